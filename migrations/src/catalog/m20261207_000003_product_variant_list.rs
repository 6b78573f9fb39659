//! `products.variants`: each product's variants as one JSON list, kept by the catalog in the
//! same transaction as every variant write, so a page of products (or `_entities`) reads its
//! variants with the products themselves instead of one row per variant.
//!
//! The backfill builds the list in SQL, as it stood when this migration was written (the
//! catalog's own writer may change later; a migration does not).

use sea_orm_migration::prelude::*;

use super::{Backfill, add_product_list, drop_product_list};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Variants,
}

pub(super) const BACKFILL: Backfill = Backfill {
    postgres: "UPDATE products p SET variants = COALESCE((\
        SELECT json_agg(json_build_object('id', v.id, 'sku', v.sku, 'name', v.name, \
        'options', v.options::json, 'position', v.position, 'weight_grams', v.weight_grams) \
        ORDER BY v.position, v.id)::text FROM product_variants v WHERE v.product_id = p.id), '[]')",
    sqlite: "UPDATE products SET variants = COALESCE((\
        SELECT json_group_array(json_object('id', v.id, 'sku', v.sku, 'name', v.name, \
        'options', json(v.options), 'position', v.position, 'weight_grams', v.weight_grams)) \
        FROM (SELECT * FROM product_variants WHERE product_id = products.id \
        ORDER BY position, id) v), '[]')",
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_product_list(manager, Products::Variants, BACKFILL).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_product_list(manager, Products::Variants).await
    }
}
