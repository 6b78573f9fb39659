//! Migrations of the catalog domain.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

mod m20261125_000001_create_tables;
mod m20261206_000002_variant_weight;
mod m20261207_000003_product_variant_list;
mod m20261207_000004_variant_options;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_catalog").into_iden()
    }

    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_tables::Migration),
            Box::new(m20261206_000002_variant_weight::Migration),
            Box::new(crate::events::Migration),
            Box::new(m20261207_000003_product_variant_list::Migration),
            Box::new(m20261207_000004_variant_options::Migration),
        ]
    }
}

/// Adds `column` to `products`: a JSON list as text, `[]` until `backfill` fills it.
async fn add_product_list(
    manager: &SchemaManager<'_>,
    column: impl IntoIden,
    backfill: Backfill,
) -> Result<(), DbErr> {
    let column = ColumnDef::new(column)
        .text()
        .not_null()
        .default("[]")
        .take();
    let add = Table::alter()
        .table(Products::Table)
        .add_column(column)
        .take();
    manager.alter_table(add).await?;
    backfill.run(manager).await
}

/// Drops `column` from `products`.
async fn drop_product_list(
    manager: &SchemaManager<'_>,
    column: impl IntoIden,
) -> Result<(), DbErr> {
    let drop = Table::alter()
        .table(Products::Table)
        .drop_column(column)
        .take();
    manager.alter_table(drop).await
}

#[derive(DeriveIden)]
enum Products {
    Table,
}

/// A statement that fills list columns, in each backend's SQL.
struct Backfill {
    postgres: &'static str,
    sqlite: &'static str,
}

impl Backfill {
    async fn run(&self, manager: &SchemaManager<'_>) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let sql = match db.get_database_backend() {
            DbBackend::Postgres => self.postgres,
            _ => self.sqlite,
        };
        db.execute_unprepared(sql).await.map(drop)
    }
}
