//! Accounts created per day, from `customers.customer_registered`, beside the new and
//! returning (ordering) customers.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000002_analytics_registrations"
    }
}

#[derive(DeriveIden)]
enum CustomerDaily {
    Table,
    Registered,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerDaily::Table)
                    .add_column(
                        ColumnDef::new(CustomerDaily::Registered)
                            .big_integer()
                            .not_null()
                            .default(0),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(CustomerDaily::Table)
                    .drop_column(CustomerDaily::Registered)
                    .to_owned(),
            )
            .await
    }
}
