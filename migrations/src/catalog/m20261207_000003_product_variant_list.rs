//! `products.variants`: each product's variants as one JSON list, kept by the catalog in the
//! same transaction as every variant write, so a page of products (or `_entities`) reads its
//! variants with the products themselves instead of one row per variant.
//!
//! The backfill builds the list in SQL, as it stood when this migration was written (the
//! catalog's own writer may change later; a migration does not).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Products {
    Table,
    Variants,
}

pub(super) const POSTGRES_BACKFILL: &str = "UPDATE products p SET variants = COALESCE((\
    SELECT json_agg(json_build_object('id', v.id, 'sku', v.sku, 'name', v.name, \
    'options', v.options::json, 'position', v.position, 'weight_grams', v.weight_grams) \
    ORDER BY v.position, v.id)::text FROM product_variants v WHERE v.product_id = p.id), '[]')";

pub(super) const SQLITE_BACKFILL: &str = "UPDATE products SET variants = COALESCE((\
    SELECT json_group_array(json_object('id', v.id, 'sku', v.sku, 'name', v.name, \
    'options', json(v.options), 'position', v.position, 'weight_grams', v.weight_grams)) \
    FROM (SELECT * FROM product_variants WHERE product_id = products.id \
    ORDER BY position, id) v), '[]')";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(
                        ColumnDef::new(Products::Variants)
                            .text()
                            .not_null()
                            .default("[]"),
                    )
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        let backfill = match db.get_database_backend() {
            DbBackend::Postgres => POSTGRES_BACKFILL,
            _ => SQLITE_BACKFILL,
        };
        db.execute_unprepared(backfill).await.map(drop)
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .drop_column(Products::Variants)
                    .take(),
            )
            .await
    }
}
