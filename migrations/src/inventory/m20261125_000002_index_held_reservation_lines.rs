//! Marks reservation lines that still hold units, with a partial index over just those.
//!
//! Availability reads subtract units held by lapsed reservations. Without this, that lookup
//! scanned every line a variant ever had (closed reservations included), so reads of popular
//! variants slowed down as orders accumulated; now it only touches lines that still hold stock.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ReservationLines {
    Table,
    Held,
    VariantId,
    WarehouseId,
}

const OLD_INDEX: &str = "ix_reservation_lines_stock";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(ReservationLines::Table)
                    .add_column(
                        ColumnDef::new(ReservationLines::Held)
                            .small_integer()
                            .not_null()
                            .default(1),
                    )
                    .take(),
            )
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(
            "UPDATE reservation_lines SET held = 0 WHERE reservation_id IN \
             (SELECT id FROM reservations WHERE status <> 'active')",
        )
        .await?;
        // sea-query cannot express a partial index; this SQL is the same on both backends.
        db.execute_unprepared(
            "CREATE INDEX ix_reservation_lines_held \
             ON reservation_lines (variant_id, warehouse_id) WHERE held = 1",
        )
        .await?;
        manager
            .drop_index(
                Index::drop()
                    .name(OLD_INDEX)
                    .table(ReservationLines::Table)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name(OLD_INDEX)
                    .table(ReservationLines::Table)
                    .col(ReservationLines::VariantId)
                    .col(ReservationLines::WarehouseId)
                    .take(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_reservation_lines_held")
                    .table(ReservationLines::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(ReservationLines::Table)
                    .drop_column(ReservationLines::Held)
                    .take(),
            )
            .await
    }
}
