//! Products, variants, and the validated inputs that create or change them.

use chrono::{DateTime, Utc};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::{Attribute, ImageUrl, Sku, Slug, Text, ValidationError};

/// Whether the public can see a product.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ProductStatus {
    Draft,
    Published,
}

impl ProductStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Published => "published",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "draft" => Ok(Self::Draft),
            "published" => Ok(Self::Published),
            other => Err(ValidationError::new(
                field,
                format!("{other:?} is not a status (draft or published)"),
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub status: ProductStatus,
    pub category_id: Option<i64>,
    pub attributes: Vec<Attribute>,
    pub image_urls: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub id: i64,
    pub product_id: i64,
    /// Inline when short, as SKUs and variant names ("M / Blue") usually are.
    pub sku: CompactString,
    pub name: CompactString,
    pub options: Vec<Attribute>,
    pub position: i32,
    /// Shipping weight; `None` when unknown.
    pub weight_grams: Option<i32>,
}

/// A variant to create; its name defaults to the option values ("M / Blue").
#[derive(Debug, Clone, PartialEq)]
pub struct NewVariant {
    pub sku: Sku,
    pub name: Text,
    pub options: Vec<Attribute>,
    pub weight_grams: Option<i32>,
}

impl NewVariant {
    pub fn new(sku: Sku, name: Option<Text>, options: Vec<Attribute>) -> Self {
        let name = name.filter(|n| !n.as_str().is_empty()).unwrap_or_else(|| {
            let label: Vec<&str> = options.iter().map(|o| o.value.as_str()).collect();
            let label = if label.is_empty() {
                sku.as_str().to_owned()
            } else {
                label.join(" / ")
            };
            Text::name("name", &label).unwrap_or_else(|_| Text::default_label())
        });
        Self {
            sku,
            name,
            options,
            weight_grams: None,
        }
    }

    /// The variant with its shipping weight.
    pub fn with_weight(self, weight_grams: Option<i32>) -> Self {
        Self {
            weight_grams,
            ..self
        }
    }
}

/// Heaviest a variant may weigh: a tonne.
const MAX_WEIGHT_GRAMS: i32 = 1_000_000;

/// A shipping weight in grams, 0 to a tonne.
pub fn weight_grams(field: &str, grams: i32) -> Result<i32, ValidationError> {
    if (0..=MAX_WEIGHT_GRAMS).contains(&grams) {
        Ok(grams)
    } else {
        Err(ValidationError::new(
            field,
            format!("must be 0 to {MAX_WEIGHT_GRAMS} grams, got {grams}"),
        ))
    }
}

impl Text {
    fn default_label() -> Self {
        Self::name("name", "Default").expect("a constant label is valid")
    }
}

/// A product to create, with its variants and collection memberships.
#[derive(Debug, Clone, PartialEq)]
pub struct NewProduct {
    pub slug: Slug,
    pub name: Text,
    pub description: Text,
    pub status: ProductStatus,
    pub category_id: Option<i64>,
    pub attributes: Vec<Attribute>,
    pub image_urls: Vec<ImageUrl>,
    pub collection_ids: Vec<i64>,
    pub variants: Vec<NewVariant>,
}

impl NewProduct {
    /// Rejects SKUs repeated inside the product (SKUs across products are the store's check).
    pub fn check(&self) -> Result<(), ValidationError> {
        for (index, variant) in self.variants.iter().enumerate() {
            if self.variants[..index].iter().any(|v| v.sku == variant.sku) {
                return Err(ValidationError::new(
                    format!("variants[{index}].sku"),
                    format!("SKU {} is given twice", variant.sku.as_str()),
                ));
            }
        }
        Ok(())
    }
}

/// Changes to a product; `None` keeps the current value. `category_id: Some(None)` clears it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProductPatch {
    pub slug: Option<Slug>,
    pub name: Option<Text>,
    pub description: Option<Text>,
    pub status: Option<ProductStatus>,
    pub category_id: Option<Option<i64>>,
    pub attributes: Option<Vec<Attribute>>,
    pub image_urls: Option<Vec<ImageUrl>>,
    pub collection_ids: Option<Vec<i64>>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct VariantPatch {
    pub sku: Option<Sku>,
    pub name: Option<Text>,
    pub options: Option<Vec<Attribute>>,
    pub position: Option<i32>,
    pub weight_grams: Option<i32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCategory {
    pub slug: Slug,
    pub name: Text,
    pub parent_id: Option<i64>,
    pub position: i32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewCollection {
    pub slug: Slug,
    pub name: Text,
    pub description: Text,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variant(sku: &str, options: &[(&str, &str)]) -> NewVariant {
        let options = Attribute::parse_list("options", options.iter().copied()).expect("valid");
        NewVariant::new(Sku::parse("sku", sku).expect("valid"), None, options)
    }

    #[test]
    fn variant_names_default_to_their_option_values() {
        assert_eq!(
            variant("A-1", &[("size", "M"), ("colour", "Blue")])
                .name
                .as_str(),
            "M / Blue"
        );
        assert_eq!(variant("A-1", &[]).name.as_str(), "A-1");
    }

    #[test]
    fn a_product_may_not_repeat_a_sku() {
        let product = NewProduct {
            slug: Slug::parse("slug", "tee").expect("valid"),
            name: Text::name("name", "Tee").expect("valid"),
            description: Text::description("description", "").expect("valid"),
            status: ProductStatus::Draft,
            category_id: None,
            attributes: vec![],
            image_urls: vec![],
            collection_ids: vec![],
            variants: vec![variant("A-1", &[]), variant("a-1", &[])],
        };
        assert_eq!(
            product.check().map_err(|e| e.field),
            Err("variants[1].sku".to_owned())
        );
        assert_eq!(
            ProductStatus::parse("status", " Published "),
            Ok(ProductStatus::Published)
        );
        assert!(ProductStatus::parse("status", "gone").is_err());
    }
}
