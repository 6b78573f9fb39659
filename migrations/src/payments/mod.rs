//! Migrations of the payments domain.

use sea_orm_migration::prelude::*;

mod m20261206_000001_create_tables;
mod m20261207_000002_payment_references;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_payments").into_iden()
    }

    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261206_000001_create_tables::Migration),
            Box::new(m20261207_000002_payment_references::Migration),
            Box::new(crate::events::Migration),
        ]
    }
}
