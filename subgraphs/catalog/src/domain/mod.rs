//! Catalog values and rules, free of I/O: validated newtypes, the product and category shapes,
//! what a product listing may ask for, and the events the catalog publishes.

mod category;
pub mod events;
mod listing;
mod product;
mod values;

pub use category::{Category, CategoryPath, Collection};
pub use commerce_kernel::ValidationError;
pub use listing::{
    AttributeFilter, ListWindow, ListedParts, ProductFilter, ProductSort, SearchQuery, SortPosition,
};
pub use product::{
    NewCategory, NewCollection, NewProduct, NewVariant, Product, ProductPatch, ProductStatus,
    Variant, VariantPatch, weight_grams,
};
pub use values::{Attribute, ImageUrl, Sku, Slug, Text};
