//! Persistence of the catalog: repository functions over sea-orm, returning domain types.
//! Only this module knows the table layouts. Search is one interface over two engines:
//! PostgreSQL full-text (`tsvector` + GIN) and SQLite FTS5.

mod bulk;
mod categories;
mod collections;
mod entities;
mod listing;
mod products;
mod sql;

use sea_orm::{DbErr, SqlErr};

pub use bulk::{SeedCatalog, count_products, insert_seed, seeded_ids};
pub use categories::{
    all_categories, delete_category, find_categories, has_children, insert_category, move_category,
    product_ids_in_category, rename_category,
};
pub use collections::{
    add_to_collection, collections_of_products, delete_collection, find_collection_by_slug,
    find_collections, insert_collection, list_collections, remove_from_collection,
    update_collection,
};
pub use listing::{FacetCounts, ListedProduct, count, facets, list};
pub use products::{
    delete_product, delete_variant, find_product_by_slug, find_products, find_variants,
    insert_product, insert_variant, update_product, update_variant, variants_of_products,
};

/// Which unique rule a write broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UniqueKey {
    ProductSlug,
    CategorySlug,
    CollectionSlug,
    Sku,
}

/// Recognises a unique-constraint violation, on either backend, by the table it names.
pub fn unique_violation(error: &DbErr) -> Option<UniqueKey> {
    let Some(SqlErr::UniqueConstraintViolation(message)) = error.sql_err() else {
        return None;
    };
    // SQLite says "UNIQUE constraint failed: products.slug", PostgreSQL names the index
    // "products_slug_key"; both start with the table name.
    [
        ("product_variants", UniqueKey::Sku),
        ("products", UniqueKey::ProductSlug),
        ("categories", UniqueKey::CategorySlug),
        ("collections", UniqueKey::CollectionSlug),
    ]
    .into_iter()
    .find(|(table, _)| {
        message.contains(&format!("{table}.")) || message.contains(&format!("{table}_"))
    })
    .map(|(_, key)| key)
}

/// Decodes a JSON column written by this store.
fn from_json<T: serde::de::DeserializeOwned>(column: &str, text: &str) -> Result<T, DbErr> {
    serde_json::from_str(text)
        .map_err(|error| DbErr::Custom(format!("bad JSON in {column}: {error}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("lists of strings always serialize")
}
