//! Migrations of the webhooks domain. It consumes every domain's events, so it has the event
//! tables too (`processed_events` makes the fan-in apply each event once).

use sea_orm_migration::prelude::*;

mod m20261207_000001_create_tables;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_webhooks").into_iden()
    }

    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(crate::events::Migration),
            Box::new(m20261207_000001_create_tables::Migration),
        ]
    }
}
