//! Webhook endpoints, the events they were sent (the body exactly as signed, once per event),
//! one delivery per endpoint and event, and every attempt of a delivery (the delivery log).
//!
//! Times are Unix microseconds in BIGINT columns, the same on SQLite and PostgreSQL.
//! Deliveries keep their event's aggregate (`<domain>:<aggregate id>`) and sequence, so the
//! worker can hold back a later event of an aggregate while an earlier one is pending.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum WebhookEndpoints {
    Table,
    Id,
    Url,
    Description,
    EventTypes,
    Secret,
    PreviousSecret,
    PreviousSecretExpiresAt,
    Enabled,
    DisabledReason,
    DisabledAt,
    ConsecutiveFailures,
    FailingSince,
    DeadInRun,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum WebhookEvents {
    Table,
    EventId,
    EventType,
    Aggregate,
    Sequence,
    OccurredAt,
    Body,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    EndpointId,
    EventId,
    EventType,
    Aggregate,
    Sequence,
    Status,
    Attempts,
    Step,
    NextAttemptAt,
    ClaimedUntil,
    CreatedAt,
    FinishedAt,
    LastStatusCode,
    LastError,
}

#[derive(DeriveIden)]
enum WebhookAttempts {
    Table,
    Id,
    DeliveryId,
    Number,
    StartedAt,
    StatusCode,
    LatencyMs,
    Error,
    Succeeded,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.create_table(endpoints()).await?;
        manager.create_table(events()).await?;
        manager.create_table(deliveries()).await?;
        manager.create_table(attempts()).await?;
        let db = manager.get_connection();
        // sea-query cannot express partial indexes; this SQL is the same on both backends.
        // The worker claims due pending deliveries in time order, and checks each for an
        // earlier pending delivery of its aggregate to the same endpoint.
        for sql in [
            "CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) \
             WHERE status = 'PENDING'",
            "CREATE INDEX ix_webhook_deliveries_pending_aggregate \
             ON webhook_deliveries (endpoint_id, aggregate, sequence) WHERE status = 'PENDING'",
        ] {
            db.execute_unprepared(sql).await?;
        }
        // The delivery log of an endpoint, newest first; replays by creation time.
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_endpoint")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EndpointId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_deliveries_event")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::EventId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_webhook_attempts_delivery")
                    .table(WebhookAttempts::Table)
                    .col(WebhookAttempts::DeliveryId)
                    .col(WebhookAttempts::Number)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookAttempts::Table.into_iden(),
            WebhookDeliveries::Table.into_iden(),
            WebhookEvents::Table.into_iden(),
            WebhookEndpoints::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn id(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn endpoints() -> TableCreateStatement {
    use WebhookEndpoints as E;
    Table::create()
        .table(E::Table)
        .col(id(E::Id))
        .col(ColumnDef::new(E::Url).string_len(2048).not_null())
        .col(ColumnDef::new(E::Description).text().not_null())
        // A JSON array of event types: read with the endpoint, never queried on its own.
        .col(ColumnDef::new(E::EventTypes).text().not_null())
        .col(ColumnDef::new(E::Secret).string().not_null())
        .col(ColumnDef::new(E::PreviousSecret).string())
        .col(ColumnDef::new(E::PreviousSecretExpiresAt).big_integer())
        .col(ColumnDef::new(E::Enabled).boolean().not_null())
        .col(ColumnDef::new(E::DisabledReason).text())
        .col(ColumnDef::new(E::DisabledAt).big_integer())
        .col(
            ColumnDef::new(E::ConsecutiveFailures)
                .integer()
                .not_null()
                .default(0),
        )
        .col(ColumnDef::new(E::FailingSince).big_integer())
        .col(
            ColumnDef::new(E::DeadInRun)
                .boolean()
                .not_null()
                .default(false),
        )
        .col(ColumnDef::new(E::CreatedAt).big_integer().not_null())
        .col(ColumnDef::new(E::UpdatedAt).big_integer().not_null())
        .to_owned()
}

fn events() -> TableCreateStatement {
    use WebhookEvents as V;
    Table::create()
        .table(V::Table)
        .col(
            ColumnDef::new(V::EventId)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(V::EventType).string().not_null())
        .col(ColumnDef::new(V::Aggregate).string().not_null())
        .col(ColumnDef::new(V::Sequence).big_integer().not_null())
        .col(ColumnDef::new(V::OccurredAt).big_integer().not_null())
        .col(ColumnDef::new(V::Body).text().not_null())
        .to_owned()
}

fn deliveries() -> TableCreateStatement {
    use WebhookDeliveries as D;
    Table::create()
        .table(D::Table)
        .col(id(D::Id))
        .col(ColumnDef::new(D::EndpointId).big_integer().not_null())
        .col(ColumnDef::new(D::EventId).string_len(36).not_null())
        .col(ColumnDef::new(D::EventType).string().not_null())
        .col(ColumnDef::new(D::Aggregate).string().not_null())
        .col(ColumnDef::new(D::Sequence).big_integer().not_null())
        .col(ColumnDef::new(D::Status).string_len(16).not_null())
        .col(ColumnDef::new(D::Attempts).integer().not_null().default(0))
        .col(ColumnDef::new(D::Step).integer().not_null().default(0))
        .col(ColumnDef::new(D::NextAttemptAt).big_integer().not_null())
        .col(ColumnDef::new(D::ClaimedUntil).big_integer())
        .col(ColumnDef::new(D::CreatedAt).big_integer().not_null())
        .col(ColumnDef::new(D::FinishedAt).big_integer())
        .col(ColumnDef::new(D::LastStatusCode).integer())
        .col(ColumnDef::new(D::LastError).text())
        .index(
            Index::create()
                .name("ux_webhook_deliveries_endpoint_event")
                .unique()
                .col(D::EndpointId)
                .col(D::EventId),
        )
        .foreign_key(
            ForeignKey::create()
                .from(D::Table, D::EndpointId)
                .to(WebhookEndpoints::Table, WebhookEndpoints::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .foreign_key(
            ForeignKey::create()
                .from(D::Table, D::EventId)
                .to(WebhookEvents::Table, WebhookEvents::EventId),
        )
        .check(Expr::col(D::Status).is_in(["PENDING", "DELIVERED", "DEAD"]))
        .to_owned()
}

fn attempts() -> TableCreateStatement {
    use WebhookAttempts as A;
    Table::create()
        .table(A::Table)
        .col(id(A::Id))
        .col(ColumnDef::new(A::DeliveryId).big_integer().not_null())
        .col(ColumnDef::new(A::Number).integer().not_null())
        .col(ColumnDef::new(A::StartedAt).big_integer().not_null())
        .col(ColumnDef::new(A::StatusCode).integer())
        .col(ColumnDef::new(A::LatencyMs).integer().not_null())
        .col(ColumnDef::new(A::Error).text())
        .col(ColumnDef::new(A::Succeeded).boolean().not_null())
        .foreign_key(
            ForeignKey::create()
                .from(A::Table, A::DeliveryId)
                .to(WebhookDeliveries::Table, WebhookDeliveries::Id)
                .on_delete(ForeignKeyAction::Cascade),
        )
        .to_owned()
}
