//! Migrations of the reviews domain.

use sea_orm_migration::prelude::*;

mod m20261125_000001_create_tables;
mod m20261125_000002_one_review_per_author;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_reviews").into_iden()
    }

    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_tables::Migration),
            Box::new(m20261125_000002_one_review_per_author::Migration),
            Box::new(crate::events::Migration),
        ]
    }
}
