//! Warehouses, stock levels, the movement log, reservations and idempotency records.
//!
//! Times are Unix milliseconds in BIGINT columns: SQLite stores chrono timestamps as text whose
//! fractional digits vary, which would break the `expires_at <= now` comparisons reservations
//! rely on, while integers compare the same way on both backends.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Warehouses {
    Table,
    Id,
    Code,
    Name,
    CreatedAt,
}

#[derive(DeriveIden)]
enum StockLevels {
    Table,
    VariantId,
    WarehouseId,
    OnHand,
    Reserved,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    VariantId,
    WarehouseId,
    Kind,
    OnHandDelta,
    ReservedDelta,
    ReservationId,
    Note,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Reservations {
    Table,
    Id,
    Key,
    RequestHash,
    Status,
    ExpiresAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ReservationLines {
    Table,
    Id,
    ReservationId,
    VariantId,
    WarehouseId,
    Quantity,
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

fn id_column(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .take()
}

fn big(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().take()
}

fn text(name: impl IntoIden, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).not_null().take()
}

fn warehouse_fk(from: impl IntoIden + 'static) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from_col(from)
        .to(Warehouses::Table, Warehouses::Id)
        .on_delete(ForeignKeyAction::Restrict)
        .take()
}

fn index(name: &str, table: impl IntoIden + 'static) -> IndexCreateStatement {
    Index::create().name(name).table(table).take()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Warehouses::Table)
                    .col(id_column(Warehouses::Id))
                    .col(text(Warehouses::Code, 32).unique_key())
                    .col(text(Warehouses::Name, 100))
                    .col(big(Warehouses::CreatedAt))
                    .take(),
            )
            .await?;
        create_stock_tables(manager).await?;
        create_reservation_tables(manager).await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(text(IdempotencyKeys::Key, 128).primary_key())
                    .col(text(IdempotencyKeys::Operation, 32))
                    .col(text(IdempotencyKeys::RequestHash, 64))
                    .col(ColumnDef::new(IdempotencyKeys::Response).text().not_null())
                    .col(big(IdempotencyKeys::CreatedAt))
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            ReservationLines::Table.into_iden(),
            Reservations::Table.into_iden(),
            StockMovements::Table.into_iden(),
            StockLevels::Table.into_iden(),
            Warehouses::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

async fn create_stock_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let on_hand = Expr::col(StockLevels::OnHand);
    let reserved = Expr::col(StockLevels::Reserved);
    manager
        .create_table(
            Table::create()
                .table(StockLevels::Table)
                .col(text(StockLevels::VariantId, 255))
                .col(big(StockLevels::WarehouseId))
                .col(big(StockLevels::OnHand))
                .col(big(StockLevels::Reserved))
                .col(big(StockLevels::UpdatedAt))
                .primary_key(
                    Index::create()
                        .col(StockLevels::VariantId)
                        .col(StockLevels::WarehouseId),
                )
                .foreign_key(&mut warehouse_fk(StockLevels::WarehouseId))
                // The database itself refuses oversold or negative stock, whatever the code does.
                .check(reserved.clone().gte(0))
                .check(reserved.lte(on_hand))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(StockMovements::Table)
                .col(id_column(StockMovements::Id))
                .col(text(StockMovements::VariantId, 255))
                .col(big(StockMovements::WarehouseId))
                .col(text(StockMovements::Kind, 16))
                .col(big(StockMovements::OnHandDelta))
                .col(big(StockMovements::ReservedDelta))
                .col(
                    ColumnDef::new(StockMovements::ReservationId)
                        .big_integer()
                        .null(),
                )
                .col(ColumnDef::new(StockMovements::Note).string_len(255).null())
                .col(big(StockMovements::CreatedAt))
                .foreign_key(&mut warehouse_fk(StockMovements::WarehouseId))
                .take(),
        )
        .await?;
    manager
        .create_index(
            index("ix_stock_movements_variant", StockMovements::Table)
                .col(StockMovements::VariantId)
                .col(StockMovements::Id)
                .take(),
        )
        .await?;
    manager
        .create_index(
            index("ix_stock_movements_warehouse", StockMovements::Table)
                .col(StockMovements::WarehouseId)
                .col(StockMovements::Id)
                .take(),
        )
        .await
}

async fn create_reservation_tables(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Reservations::Table)
                .col(id_column(Reservations::Id))
                .col(text(Reservations::Key, 128).unique_key())
                .col(text(Reservations::RequestHash, 64))
                .col(text(Reservations::Status, 16))
                .col(big(Reservations::ExpiresAt))
                .col(big(Reservations::CreatedAt))
                .take(),
        )
        .await?;
    manager
        .create_index(
            index("ix_reservations_status_expiry", Reservations::Table)
                .col(Reservations::Status)
                .col(Reservations::ExpiresAt)
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(ReservationLines::Table)
                .col(id_column(ReservationLines::Id))
                .col(big(ReservationLines::ReservationId))
                .col(text(ReservationLines::VariantId, 255))
                .col(big(ReservationLines::WarehouseId))
                .col(big(ReservationLines::Quantity))
                .foreign_key(
                    ForeignKey::create()
                        .from_col(ReservationLines::ReservationId)
                        .to(Reservations::Table, Reservations::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(&mut warehouse_fk(ReservationLines::WarehouseId))
                .check(Expr::col(ReservationLines::Quantity).gt(0))
                .take(),
        )
        .await?;
    for (name, columns) in [
        (
            "ix_reservation_lines_reservation",
            vec![ReservationLines::ReservationId],
        ),
        (
            "ix_reservation_lines_stock",
            vec![ReservationLines::VariantId, ReservationLines::WarehouseId],
        ),
    ] {
        let mut statement = index(name, ReservationLines::Table);
        for column in columns {
            statement.col(column);
        }
        manager.create_index(statement).await?;
    }
    Ok(())
}
