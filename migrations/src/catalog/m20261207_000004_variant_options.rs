//! `products.variant_options`: each product's variants' options moved out of its variant list
//! into a list of their own, and the variant list made compact (`[id, sku, name, position,
//! weight_grams]` per variant). Options were most of a list's text, and a page that shows
//! no options now neither sends nor parses them.
//!
//! The backfill builds both lists in SQL, as they stood when this migration was written; going
//! down rebuilds the list of the migration before.

use sea_orm_migration::prelude::*;

use super::m20261207_000003_product_variant_list as variant_list;
use super::{Backfill, add_product_list, drop_product_list};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    VariantOptions,
}

const BACKFILL: Backfill = Backfill {
    postgres: "UPDATE products p SET variants = l.variants, variant_options = l.options \
        FROM (SELECT product_id, json_agg(json_build_array(id, sku, name, position, \
        weight_grams) ORDER BY position, id)::text AS variants, \
        json_agg(options::json ORDER BY position, id)::text AS options \
        FROM product_variants GROUP BY product_id) l WHERE l.product_id = p.id",
    sqlite: "UPDATE products SET variants = COALESCE((\
        SELECT json_group_array(json_array(v.id, v.sku, v.name, v.position, v.weight_grams)) \
        FROM (SELECT * FROM product_variants WHERE product_id = products.id \
        ORDER BY position, id) v), '[]'), variant_options = COALESCE((\
        SELECT json_group_array(json(v.options)) \
        FROM (SELECT * FROM product_variants WHERE product_id = products.id \
        ORDER BY position, id) v), '[]')",
};

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        add_product_list(manager, Products::VariantOptions, BACKFILL).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_product_list(manager, Products::VariantOptions).await?;
        variant_list::BACKFILL.run(manager).await
    }
}
