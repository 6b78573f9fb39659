//! The event tables every domain that emits or consumes events creates with its own migrator
//! (one definition, added to each domain's `migrations()`; each domain keeps its own
//! migrations table, so the same name is applied once per domain).
//!
//! - `event_outbox`: events written in the same transaction as the change they describe; the
//!   relay (`commerce_kernel::events::Relay`) publishes the unpublished rows in `id` order and
//!   stamps `published_at`. Times are Unix microseconds, the same on SQLite and PostgreSQL.
//! - `event_sequences`: the last sequence number per aggregate. Taking the next one updates
//!   this row, which also orders the transactions that write events of one aggregate.
//! - `processed_events`: which events each consumer of this database has applied, written in
//!   the consumer's own transaction so a redelivered event is applied once.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261207_000001_events"
    }
}

/// A migrator with only the event tables, for the kernel's own tests and benchmarks (which
/// have no domain).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migration_table_name() -> DynIden {
        Alias::new("seaql_migrations_events").into_iden()
    }

    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(Migration)]
    }
}

#[derive(DeriveIden)]
enum EventOutbox {
    Table,
    Id,
    EventId,
    EventType,
    Version,
    AggregateId,
    Sequence,
    OccurredAt,
    Payload,
    PublishedAt,
}

#[derive(DeriveIden)]
enum EventSequences {
    Table,
    AggregateId,
    LastSequence,
}

#[derive(DeriveIden)]
enum ProcessedEvents {
    Table,
    Consumer,
    EventId,
    ProcessedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(outbox_table()).await?;
        let db = manager.get_connection();
        // sea-query cannot express a partial index; this SQL is the same on both backends.
        // The relay's claim reads unpublished rows in id order, and checks that no earlier
        // unpublished row of the same aggregate exists; published rows stay out of both.
        db.execute_unprepared(
            "CREATE INDEX ix_event_outbox_unpublished ON event_outbox (id) \
             WHERE published_at IS NULL",
        )
        .await?;
        db.execute_unprepared(
            "CREATE INDEX ix_event_outbox_unpublished_aggregate \
             ON event_outbox (aggregate_id, id) WHERE published_at IS NULL",
        )
        .await?;
        // Pruning deletes published rows by age.
        manager
            .create_index(
                Index::create()
                    .name("ix_event_outbox_published_at")
                    .table(EventOutbox::Table)
                    .col(EventOutbox::PublishedAt)
                    .to_owned(),
            )
            .await?;
        manager.create_table(sequences_table()).await?;
        manager.create_table(processed_table()).await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_processed_events_processed_at")
                    .table(ProcessedEvents::Table)
                    .col(ProcessedEvents::ProcessedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ProcessedEvents::Table.into_iden(),
            EventSequences::Table.into_iden(),
            EventOutbox::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn outbox_table() -> TableCreateStatement {
    Table::create()
        .table(EventOutbox::Table)
        .col(
            ColumnDef::new(EventOutbox::Id)
                .big_integer()
                .not_null()
                .auto_increment()
                .primary_key(),
        )
        .col(
            ColumnDef::new(EventOutbox::EventId)
                .string_len(36)
                .not_null()
                .unique_key(),
        )
        .col(ColumnDef::new(EventOutbox::EventType).string().not_null())
        .col(ColumnDef::new(EventOutbox::Version).integer().not_null())
        .col(ColumnDef::new(EventOutbox::AggregateId).string().not_null())
        .col(
            ColumnDef::new(EventOutbox::Sequence)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(EventOutbox::OccurredAt)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(EventOutbox::Payload).text().not_null())
        .col(ColumnDef::new(EventOutbox::PublishedAt).big_integer())
        .check(Expr::col(EventOutbox::Sequence).gt(0))
        .to_owned()
}

fn sequences_table() -> TableCreateStatement {
    Table::create()
        .table(EventSequences::Table)
        .col(
            ColumnDef::new(EventSequences::AggregateId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(EventSequences::LastSequence)
                .big_integer()
                .not_null(),
        )
        .to_owned()
}

fn processed_table() -> TableCreateStatement {
    Table::create()
        .table(ProcessedEvents::Table)
        .col(
            ColumnDef::new(ProcessedEvents::Consumer)
                .string()
                .not_null(),
        )
        .col(
            ColumnDef::new(ProcessedEvents::EventId)
                .string_len(36)
                .not_null(),
        )
        .col(
            ColumnDef::new(ProcessedEvents::ProcessedAt)
                .big_integer()
                .not_null(),
        )
        .primary_key(
            Index::create()
                .col(ProcessedEvents::Consumer)
                .col(ProcessedEvents::EventId),
        )
        .to_owned()
}
