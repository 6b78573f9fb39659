//! Catalog values and rules, free of I/O: validated newtypes, the product and category shapes,
//! and what a product listing may ask for.

mod category;
mod listing;
mod product;
mod values;

pub use category::{Category, CategoryPath, Collection};
pub use listing::{
    AttributeFilter, ListWindow, ProductFilter, ProductSort, SearchQuery, SortPosition,
};
pub use product::{
    NewCategory, NewCollection, NewProduct, NewVariant, Product, ProductPatch, ProductStatus,
    Variant, VariantPatch,
};
pub use values::{Attribute, ImageUrl, Sku, Slug, Text};

/// An input that breaks a rule; `field` names the input field so clients can point at it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}
