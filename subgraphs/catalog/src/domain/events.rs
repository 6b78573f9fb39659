//! The events the catalog publishes (stream `catalog`), documented in `docs/events.md`. Ids
//! are global ids, as other subgraphs store them.

use commerce_kernel::GlobalId;
use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

/// A product, or one of its variants, was created, changed or deleted. `slugs` are the
/// product's slugs before and after (one when it did not change), so that readers keyed by
/// slug can drop both.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductChanged {
    pub product_id: String,
    pub change: ProductChange,
    pub slugs: Vec<String>,
    /// The variant, for the variant changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_id: Option<String>,
    /// The product's category after the change (`null`: none), for the changes that set it
    /// (create, update, import, its category deleted); absent otherwise.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub category_id: Option<Option<String>>,
}

/// A field that is present, even as `null`, is `Some`; an absent one stays `None` (default).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductChange {
    Created,
    Updated,
    Deleted,
    VariantCreated,
    VariantUpdated,
    VariantDeleted,
}

impl ProductChanged {
    pub fn new(product_id: i64, change: ProductChange, slugs: &[&str]) -> Self {
        let mut slugs: Vec<String> = slugs.iter().map(|s| (*s).to_owned()).collect();
        slugs.dedup();
        Self {
            product_id: GlobalId::encode("Product", product_id),
            change,
            slugs,
            variant_id: None,
            category_id: None,
        }
    }

    /// States the product's category after the change.
    pub fn with_category(self, category_id: Option<i64>) -> Self {
        Self {
            category_id: Some(category_id.map(|id| GlobalId::encode("Category", id))),
            ..self
        }
    }

    pub fn of_variant(product_id: i64, variant_id: i64, change: ProductChange) -> Self {
        Self {
            variant_id: Some(GlobalId::encode("ProductVariant", variant_id)),
            ..Self::new(product_id, change, &[])
        }
    }

    /// The product's database key (the catalog owns the id).
    pub fn product_key(&self) -> Option<i64> {
        GlobalId::decode(&self.product_id, "Product").ok()
    }
}

impl Event for ProductChanged {
    const TYPE: &'static str = "catalog.product_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.product_id.clone()
    }
}

/// A category was created, renamed, moved or deleted (the tree changed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryChanged {
    pub category_id: String,
    pub change: EntityChange,
    /// The category's name after the change, for `CREATED` and `UPDATED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl CategoryChanged {
    pub fn new(category_id: i64, change: EntityChange) -> Self {
        Self {
            category_id: GlobalId::encode("Category", category_id),
            change,
            name: None,
        }
    }

    pub fn named(self, name: &str) -> Self {
        Self {
            name: Some(name.to_owned()),
            ..self
        }
    }
}

impl Event for CategoryChanged {
    const TYPE: &'static str = "catalog.category_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.category_id.clone()
    }
}

/// A collection was created, changed or deleted, or products joined or left it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CollectionChanged {
    pub collection_id: String,
    pub change: EntityChange,
    /// The products that joined or left, for `PRODUCTS_ADDED` / `PRODUCTS_REMOVED`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub product_ids: Vec<String>,
}

impl CollectionChanged {
    pub fn new(collection_id: i64, change: EntityChange, product_ids: &[i64]) -> Self {
        Self {
            collection_id: GlobalId::encode("Collection", collection_id),
            change,
            product_ids: product_ids
                .iter()
                .map(|&id| GlobalId::encode("Product", id))
                .collect(),
        }
    }
}

impl Event for CollectionChanged {
    const TYPE: &'static str = "catalog.collection_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.collection_id.clone()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityChange {
    Created,
    Updated,
    Deleted,
    ProductsAdded,
    ProductsRemoved,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_changes_carry_global_ids_and_distinct_slugs() {
        let event = ProductChanged::new(7, ProductChange::Updated, &["old", "old"]);
        assert_eq!(event.slugs, ["old"]);
        assert_eq!(event.product_key(), Some(7));
        let json = serde_json::to_value(&event).expect("serializes");
        assert_eq!(
            json,
            serde_json::json!({
                "productId": GlobalId::encode("Product", 7),
                "change": "UPDATED",
                "slugs": ["old"],
            })
        );
        let variant = ProductChanged::of_variant(7, 3, ProductChange::VariantDeleted);
        assert_eq!(
            variant.variant_id,
            Some(GlobalId::encode("ProductVariant", 3))
        );
    }

    #[test]
    fn a_stated_category_is_sent_even_when_there_is_none() {
        let moved = ProductChanged::new(7, ProductChange::Updated, &["s"]).with_category(Some(2));
        let json = serde_json::to_value(&moved).expect("serializes");
        assert_eq!(json["categoryId"], GlobalId::encode("Category", 2));
        let cleared = ProductChanged::new(7, ProductChange::Updated, &["s"]).with_category(None);
        let json = serde_json::to_value(&cleared).expect("serializes");
        assert_eq!(json["categoryId"], serde_json::Value::Null);
        let back: ProductChanged = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back.category_id, Some(None));
        let unstated = serde_json::to_value(ProductChanged::new(7, ProductChange::Updated, &[]))
            .expect("serializes");
        assert!(unstated.get("categoryId").is_none(), "{unstated}");
        let back: ProductChanged = serde_json::from_value(unstated).expect("deserializes");
        assert_eq!(back.category_id, None);
    }
}
