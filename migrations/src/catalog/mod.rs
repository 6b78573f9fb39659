//! Migrations of the catalog domain.

use sea_orm_migration::prelude::*;

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
