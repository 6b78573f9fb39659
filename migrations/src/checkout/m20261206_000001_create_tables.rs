//! Carts and their lines, shipping zones and methods, and one row per checkout saga.
//!
//! Times are Unix milliseconds in BIGINT columns (they compare the same on both backends).
//! Addresses, coupon codes and shipping rates are JSON text: they are read and written whole
//! with their cart or method, never queried inside.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Carts {
    Table,
    Id,
    Token,
    CustomerId,
    Status,
    Currency,
    Country,
    Email,
    ShippingAddress,
    BillingAddress,
    CouponCodes,
    ShippingMethodId,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum CartLines {
    Table,
    Id,
    CartId,
    VariantId,
    Quantity,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShippingZones {
    Table,
    Id,
    Name,
    Countries,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShippingMethods {
    Table,
    Id,
    ZoneId,
    Name,
    Kind,
    Rates,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Checkouts {
    Table,
    Id,
    CartId,
    IdempotencyKey,
    RequestHash,
    Status,
    Step,
    Plan,
    ReservationKey,
    PaymentIntentId,
    OrderId,
    OrderNumber,
    Outcome,
    CreatedAt,
    UpdatedAt,
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

fn optional_text(name: impl IntoIden, length: u32) -> ColumnDef {
    ColumnDef::new(name).string_len(length).null().take()
}

fn json(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).text().null().take()
}

/// One active cart per customer: a partial unique index, which both backends support and
/// sea-query cannot express.
const ONE_ACTIVE_CART: &str = "CREATE UNIQUE INDEX carts_one_active_per_customer \
     ON carts (customer_id) WHERE status = 'ACTIVE' AND customer_id IS NOT NULL";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_carts(manager).await?;
        create_shipping(manager).await?;
        manager
            .create_table(
                Table::create()
                    .table(Checkouts::Table)
                    .col(id_column(Checkouts::Id))
                    .col(big(Checkouts::CartId))
                    .col(text(Checkouts::IdempotencyKey, 128))
                    .col(text(Checkouts::RequestHash, 64))
                    .col(text(Checkouts::Status, 16))
                    .col(text(Checkouts::Step, 32))
                    .col(json(Checkouts::Plan))
                    .col(optional_text(Checkouts::ReservationKey, 128))
                    .col(optional_text(Checkouts::PaymentIntentId, 128))
                    .col(optional_text(Checkouts::OrderId, 128))
                    .col(optional_text(Checkouts::OrderNumber, 64))
                    .col(json(Checkouts::Outcome))
                    .col(big(Checkouts::CreatedAt))
                    .col(big(Checkouts::UpdatedAt))
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("checkouts_one_per_cart_and_key")
                    .table(Checkouts::Table)
                    .col(Checkouts::CartId)
                    .col(Checkouts::IdempotencyKey)
                    .unique()
                    .take(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("checkouts_by_status")
                    .table(Checkouts::Table)
                    .col(Checkouts::Status)
                    .take(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Checkouts::Table.into_iden(),
            ShippingMethods::Table.into_iden(),
            ShippingZones::Table.into_iden(),
            CartLines::Table.into_iden(),
            Carts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).take())
                .await?;
        }
        Ok(())
    }
}

async fn create_carts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Carts::Table)
                .col(id_column(Carts::Id))
                .col(text(Carts::Token, 64).unique_key())
                .col(optional_text(Carts::CustomerId, 128))
                .col(text(Carts::Status, 16))
                .col(text(Carts::Currency, 3))
                .col(optional_text(Carts::Country, 2))
                .col(optional_text(Carts::Email, 254))
                .col(json(Carts::ShippingAddress))
                .col(json(Carts::BillingAddress))
                .col(ColumnDef::new(Carts::CouponCodes).text().not_null())
                .col(ColumnDef::new(Carts::ShippingMethodId).big_integer().null())
                .col(big(Carts::CreatedAt))
                .col(big(Carts::UpdatedAt))
                .take(),
        )
        .await?;
    manager
        .get_connection()
        .execute_unprepared(ONE_ACTIVE_CART)
        .await?;
    manager
        .create_table(
            Table::create()
                .table(CartLines::Table)
                .col(id_column(CartLines::Id))
                .col(big(CartLines::CartId))
                .col(text(CartLines::VariantId, 128))
                .col(ColumnDef::new(CartLines::Quantity).integer().not_null())
                .col(big(CartLines::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from_col(CartLines::CartId)
                        .to(Carts::Table, Carts::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("cart_lines_one_per_variant")
                .table(CartLines::Table)
                .col(CartLines::CartId)
                .col(CartLines::VariantId)
                .unique()
                .take(),
        )
        .await
}

async fn create_shipping(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(ShippingZones::Table)
                .col(id_column(ShippingZones::Id))
                .col(text(ShippingZones::Name, 100))
                .col(ColumnDef::new(ShippingZones::Countries).text().not_null())
                .col(big(ShippingZones::CreatedAt))
                .take(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(ShippingMethods::Table)
                .col(id_column(ShippingMethods::Id))
                .col(big(ShippingMethods::ZoneId))
                .col(text(ShippingMethods::Name, 100))
                .col(text(ShippingMethods::Kind, 16))
                .col(ColumnDef::new(ShippingMethods::Rates).text().not_null())
                .col(big(ShippingMethods::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from_col(ShippingMethods::ZoneId)
                        .to(ShippingZones::Table, ShippingZones::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .take(),
        )
        .await
}
