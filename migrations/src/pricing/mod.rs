//! Migrations of the pricing domain.

use sea_orm_migration::prelude::*;

mod m20261125_000001_create_tables;
mod m20261125_000002_coupon_customer_usages;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_pricing").into_iden()
    }

    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261125_000001_create_tables::Migration),
            Box::new(m20261125_000002_coupon_customer_usages::Migration),
            Box::new(crate::events::Migration),
        ]
    }
}
