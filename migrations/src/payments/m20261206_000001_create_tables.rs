//! Payment intents, their ledger of movements, idempotency records and the provider webhook
//! events already applied.
//!
//! Amounts are integer minor units; times are Unix milliseconds in BIGINT columns (compared
//! the same way on both backends, as inventory does). The CHECK constraints restate the
//! service's invariants so that a bug can never store a refund above the capture.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PaymentIntents {
    Table,
    Id,
    Reference,
    OrderId,
    CustomerId,
    Email,
    Currency,
    AmountAuthorized,
    AmountCaptured,
    AmountRefunded,
    Status,
    Provider,
    ProviderReference,
    CardBrand,
    CardLast4,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum PaymentLedger {
    Table,
    Id,
    IntentId,
    Kind,
    Amount,
    ProviderReference,
    IdempotencyKey,
    WebhookEventId,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    Key,
    Operation,
    RequestHash,
    Response,
    CreatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    EventId,
    EventType,
    Outcome,
    ReceivedAt,
}

fn id_column(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn amount_column(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn millis_column(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(intents_table()).await?;
        // `Order.payments` for a batch of orders reads by order id.
        manager
            .create_index(
                Index::create()
                    .name("payment_intents_order")
                    .table(PaymentIntents::Table)
                    .col(PaymentIntents::OrderId)
                    .to_owned(),
            )
            .await?;
        // Webhooks name an intent by the provider's authorization reference.
        manager
            .create_index(
                Index::create()
                    .name("payment_intents_provider_reference")
                    .table(PaymentIntents::Table)
                    .col(PaymentIntents::Provider)
                    .col(PaymentIntents::ProviderReference)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager.create_table(ledger_table()).await?;
        manager
            .create_index(
                Index::create()
                    .name("payment_ledger_intent")
                    .table(PaymentLedger::Table)
                    .col(PaymentLedger::IntentId)
                    .col(PaymentLedger::Id)
                    .to_owned(),
            )
            .await?;
        manager.create_table(idempotency_table()).await?;
        manager.create_table(webhook_events_table()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(WebhookEvents::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(IdempotencyKeys::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PaymentLedger::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(PaymentIntents::Table).to_owned())
            .await
    }
}

fn intents_table() -> TableCreateStatement {
    Table::create()
        .table(PaymentIntents::Table)
        .col(id_column(PaymentIntents::Id))
        .col(
            ColumnDef::new(PaymentIntents::Reference)
                .string()
                .not_null(),
        )
        // Global ids of entities other subgraphs own, stored as given: no foreign keys.
        .col(ColumnDef::new(PaymentIntents::OrderId).string())
        .col(ColumnDef::new(PaymentIntents::CustomerId).string())
        .col(ColumnDef::new(PaymentIntents::Email).string())
        .col(
            ColumnDef::new(PaymentIntents::Currency)
                .string_len(3)
                .not_null(),
        )
        .col(amount_column(PaymentIntents::AmountAuthorized))
        .col(amount_column(PaymentIntents::AmountCaptured))
        .col(amount_column(PaymentIntents::AmountRefunded))
        .col(
            ColumnDef::new(PaymentIntents::Status)
                .string_len(24)
                .not_null(),
        )
        .col(
            ColumnDef::new(PaymentIntents::Provider)
                .string_len(32)
                .not_null(),
        )
        .col(ColumnDef::new(PaymentIntents::ProviderReference).string())
        .col(ColumnDef::new(PaymentIntents::CardBrand).string_len(16))
        .col(ColumnDef::new(PaymentIntents::CardLast4).string_len(4))
        .col(millis_column(PaymentIntents::CreatedAt))
        .col(millis_column(PaymentIntents::UpdatedAt))
        .check(Expr::col(PaymentIntents::AmountAuthorized).gte(0))
        .check(Expr::col(PaymentIntents::AmountCaptured).gte(0))
        .check(Expr::col(PaymentIntents::AmountRefunded).gte(0))
        .check(
            Expr::col(PaymentIntents::AmountCaptured)
                .lte(Expr::col(PaymentIntents::AmountAuthorized)),
        )
        .check(
            Expr::col(PaymentIntents::AmountRefunded)
                .lte(Expr::col(PaymentIntents::AmountCaptured)),
        )
        .to_owned()
}

fn ledger_table() -> TableCreateStatement {
    Table::create()
        .table(PaymentLedger::Table)
        .col(id_column(PaymentLedger::Id))
        .col(
            ColumnDef::new(PaymentLedger::IntentId)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(PaymentLedger::Kind)
                .string_len(32)
                .not_null(),
        )
        .col(amount_column(PaymentLedger::Amount))
        .col(ColumnDef::new(PaymentLedger::ProviderReference).string())
        .col(ColumnDef::new(PaymentLedger::IdempotencyKey).string())
        .col(ColumnDef::new(PaymentLedger::WebhookEventId).string())
        .col(ColumnDef::new(PaymentLedger::Note).string())
        .col(millis_column(PaymentLedger::CreatedAt))
        .foreign_key(
            ForeignKey::create()
                .name("payment_ledger_intent_fk")
                .from(PaymentLedger::Table, PaymentLedger::IntentId)
                .to(PaymentIntents::Table, PaymentIntents::Id),
        )
        .check(Expr::col(PaymentLedger::Amount).gte(0))
        .to_owned()
}

fn idempotency_table() -> TableCreateStatement {
    Table::create()
        .table(IdempotencyKeys::Table)
        .col(
            ColumnDef::new(IdempotencyKeys::Key)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(IdempotencyKeys::Operation)
                .string_len(32)
                .not_null(),
        )
        .col(
            ColumnDef::new(IdempotencyKeys::RequestHash)
                .string_len(64)
                .not_null(),
        )
        .col(ColumnDef::new(IdempotencyKeys::Response).text().not_null())
        .col(millis_column(IdempotencyKeys::CreatedAt))
        .to_owned()
}

fn webhook_events_table() -> TableCreateStatement {
    Table::create()
        .table(WebhookEvents::Table)
        .col(
            ColumnDef::new(WebhookEvents::EventId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(WebhookEvents::EventType)
                .string_len(64)
                .not_null(),
        )
        .col(ColumnDef::new(WebhookEvents::Outcome).string().not_null())
        .col(millis_column(WebhookEvents::ReceivedAt))
        .to_owned()
}
