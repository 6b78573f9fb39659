//! The references payments were authorized under, one row each, and whether the caller
//! cancelled the reference. An authorization and a cancellation of one reference both lock
//! its row first, so one of them waits for the other: an authorization either commits before
//! the cancellation (which then voids it) or sees the reference cancelled (and is refused).
//! Intents are also indexed by reference, which the cancellation (and staff search) reads by.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentReferences {
    Table,
    Reference,
    CancelledAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PaymentIntents {
    Table,
    Reference,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PaymentReferences::Table)
                    .col(
                        ColumnDef::new(PaymentReferences::Reference)
                            .string()
                            .not_null()
                            .primary_key(),
                    )
                    // Unix milliseconds, like every time in this schema; null: not cancelled.
                    .col(ColumnDef::new(PaymentReferences::CancelledAt).big_integer())
                    .col(
                        ColumnDef::new(PaymentReferences::CreatedAt)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("payment_intents_reference")
                    .table(PaymentIntents::Table)
                    .col(PaymentIntents::Reference)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("payment_intents_reference")
                    .table(PaymentIntents::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(PaymentReferences::Table).to_owned())
            .await
    }
}
