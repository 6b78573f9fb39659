//! Orders with their copied lines, fulfillments, timeline, the order-number counter and the
//! idempotency records of staff mutations.
//!
//! Money is integer minor units of the order's currency. Times are Unix microseconds in BIGINT
//! columns, so keyset cursors and date filters compare the same way on SQLite and PostgreSQL.
//! Addresses, the shipping method and coupon codes are copies kept as JSON text: they are read
//! with their order and never queried on their own.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum OrderCounters {
    Table,
    Name,
    LastNumber,
}

#[derive(DeriveIden)]
enum Orders {
    Table,
    Id,
    Number,
    IdempotencyKey,
    RequestHash,
    CheckoutId,
    Status,
    Currency,
    CustomerId,
    Email,
    PlacedAt,
    UpdatedAt,
    ShippingAddress,
    BillingAddress,
    ShippingMethod,
    Subtotal,
    DiscountTotal,
    ShippingTotal,
    TaxTotal,
    Total,
    TaxInclusive,
    CouponCodes,
    PaymentIntentId,
    ReservationKey,
    CapturedAmount,
    RefundedAmount,
}

#[derive(DeriveIden)]
enum OrderLines {
    Table,
    Id,
    OrderId,
    Position,
    VariantId,
    ProductId,
    Sku,
    ProductName,
    VariantName,
    Quantity,
    UnitPrice,
    Discount,
    Tax,
    Total,
    FulfilledQuantity,
    ReturnedQuantity,
}

#[derive(DeriveIden)]
enum OrderEvents {
    Table,
    Id,
    OrderId,
    At,
    Actor,
    Kind,
    Message,
    Data,
}

#[derive(DeriveIden)]
enum Fulfillments {
    Table,
    Id,
    OrderId,
    WarehouseId,
    Status,
    TrackingNumbers,
    CreatedAt,
    ShippedAt,
}

#[derive(DeriveIden)]
enum FulfillmentLines {
    Table,
    Id,
    FulfillmentId,
    OrderLineId,
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

/// The first order is number 1001: shops rarely show a customer that they are order 1.
const FIRST_NUMBER: i64 = 1001;

fn id_column(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

fn big(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).big_integer().not_null().to_owned()
}

fn text(name: impl IntoIden) -> ColumnDef {
    ColumnDef::new(name).string().not_null().to_owned()
}

fn index(name: &str, table: impl IntoIden + 'static) -> IndexCreateStatement {
    Index::create().name(name).table(table).to_owned()
}

fn cascade(
    from_table: impl IntoIden + 'static,
    from: impl IntoIden + 'static,
    to_table: impl IntoIden + 'static,
    to: impl IntoIden + 'static,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from)
        .to(to_table, to)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_counter(manager).await?;
        create_orders(manager).await?;
        create_children(manager).await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(text(IdempotencyKeys::Key).primary_key())
                    .col(text(IdempotencyKeys::Operation))
                    .col(text(IdempotencyKeys::RequestHash))
                    .col(ColumnDef::new(IdempotencyKeys::Response).text().not_null())
                    .col(big(IdempotencyKeys::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            IdempotencyKeys::Table.into_iden(),
            FulfillmentLines::Table.into_iden(),
            Fulfillments::Table.into_iden(),
            OrderEvents::Table.into_iden(),
            OrderLines::Table.into_iden(),
            Orders::Table.into_iden(),
            OrderCounters::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// One row whose number the placing transaction increments: its row lock (PostgreSQL) or the
/// database write lock (SQLite) serialises placements, and a rollback gives the number back,
/// so numbers have no gaps.
async fn create_counter(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(OrderCounters::Table)
                .col(text(OrderCounters::Name).primary_key())
                .col(big(OrderCounters::LastNumber))
                .to_owned(),
        )
        .await?;
    let seed = Query::insert()
        .into_table(OrderCounters::Table)
        .columns([OrderCounters::Name, OrderCounters::LastNumber])
        .values_panic(["orders".into(), (FIRST_NUMBER - 1).into()])
        .to_owned();
    manager.exec_stmt(seed).await
}

async fn create_orders(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let money = |column: Orders| big(column);
    manager
        .create_table(
            Table::create()
                .table(Orders::Table)
                .col(id_column(Orders::Id))
                .col(big(Orders::Number).unique_key())
                // The checkout saga's id: a replayed placement finds the order it made.
                .col(text(Orders::IdempotencyKey).unique_key())
                .col(text(Orders::RequestHash))
                .col(text(Orders::CheckoutId))
                .col(ColumnDef::new(Orders::Status).string_len(24).not_null())
                .col(ColumnDef::new(Orders::Currency).string_len(3).not_null())
                // Global ids of entities other subgraphs own, stored as given: no foreign keys.
                .col(ColumnDef::new(Orders::CustomerId).string())
                .col(text(Orders::Email))
                .col(big(Orders::PlacedAt))
                .col(big(Orders::UpdatedAt))
                .col(ColumnDef::new(Orders::ShippingAddress).text().not_null())
                .col(ColumnDef::new(Orders::BillingAddress).text().not_null())
                .col(ColumnDef::new(Orders::ShippingMethod).text())
                .col(money(Orders::Subtotal))
                .col(money(Orders::DiscountTotal))
                .col(money(Orders::ShippingTotal))
                .col(money(Orders::TaxTotal))
                .col(money(Orders::Total))
                .col(ColumnDef::new(Orders::TaxInclusive).boolean().not_null())
                .col(ColumnDef::new(Orders::CouponCodes).text().not_null())
                .col(ColumnDef::new(Orders::PaymentIntentId).string())
                .col(ColumnDef::new(Orders::ReservationKey).string())
                .col(money(Orders::CapturedAmount).default(0))
                .col(money(Orders::RefundedAmount).default(0))
                .check(Expr::col(Orders::RefundedAmount).lte(Expr::col(Orders::CapturedAmount)))
                .to_owned(),
        )
        .await?;
    // A customer's orders newest first (`me { orders }`), and the staff search's sorts.
    let indexes = [
        (
            "orders_customer_placed",
            vec![Orders::CustomerId, Orders::PlacedAt, Orders::Id],
        ),
        ("orders_placed", vec![Orders::PlacedAt, Orders::Id]),
        ("orders_total", vec![Orders::Total, Orders::Id]),
        (
            "orders_status_placed",
            vec![Orders::Status, Orders::PlacedAt, Orders::Id],
        ),
        ("orders_email", vec![Orders::Email]),
    ];
    for (name, columns) in indexes {
        let mut statement = index(name, Orders::Table);
        for column in columns {
            statement.col(column);
        }
        manager.create_index(statement).await?;
    }
    Ok(())
}

async fn create_children(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(OrderLines::Table)
                .col(id_column(OrderLines::Id))
                .col(big(OrderLines::OrderId))
                .col(ColumnDef::new(OrderLines::Position).integer().not_null())
                .col(text(OrderLines::VariantId))
                .col(text(OrderLines::ProductId))
                .col(text(OrderLines::Sku))
                .col(text(OrderLines::ProductName))
                .col(ColumnDef::new(OrderLines::VariantName).string())
                .col(big(OrderLines::Quantity))
                .col(big(OrderLines::UnitPrice))
                .col(big(OrderLines::Discount))
                .col(big(OrderLines::Tax))
                .col(big(OrderLines::Total))
                .col(big(OrderLines::FulfilledQuantity).default(0))
                .col(big(OrderLines::ReturnedQuantity).default(0))
                .check(Expr::col(OrderLines::Quantity).gt(0))
                .check(Expr::col(OrderLines::FulfilledQuantity).gte(0))
                .check(
                    Expr::col(OrderLines::FulfilledQuantity).lte(Expr::col(OrderLines::Quantity)),
                )
                .check(Expr::col(OrderLines::ReturnedQuantity).gte(0))
                .check(
                    Expr::col(OrderLines::ReturnedQuantity)
                        .lte(Expr::col(OrderLines::FulfilledQuantity)),
                )
                .foreign_key(&mut cascade(
                    OrderLines::Table,
                    OrderLines::OrderId,
                    Orders::Table,
                    Orders::Id,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            index("order_lines_order", OrderLines::Table)
                .col(OrderLines::OrderId)
                .col(OrderLines::Position)
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(OrderEvents::Table)
                .col(id_column(OrderEvents::Id))
                .col(big(OrderEvents::OrderId))
                .col(big(OrderEvents::At))
                .col(text(OrderEvents::Actor))
                .col(ColumnDef::new(OrderEvents::Kind).string_len(32).not_null())
                .col(ColumnDef::new(OrderEvents::Message).text().not_null())
                .col(ColumnDef::new(OrderEvents::Data).text())
                .foreign_key(&mut cascade(
                    OrderEvents::Table,
                    OrderEvents::OrderId,
                    Orders::Table,
                    Orders::Id,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            index("order_events_order", OrderEvents::Table)
                .col(OrderEvents::OrderId)
                .col(OrderEvents::Id)
                .to_owned(),
        )
        .await?;
    create_fulfillments(manager).await
}

async fn create_fulfillments(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Fulfillments::Table)
                .col(id_column(Fulfillments::Id))
                .col(big(Fulfillments::OrderId))
                .col(text(Fulfillments::WarehouseId))
                .col(
                    ColumnDef::new(Fulfillments::Status)
                        .string_len(16)
                        .not_null(),
                )
                .col(
                    ColumnDef::new(Fulfillments::TrackingNumbers)
                        .text()
                        .not_null(),
                )
                .col(big(Fulfillments::CreatedAt))
                .col(ColumnDef::new(Fulfillments::ShippedAt).big_integer())
                .foreign_key(&mut cascade(
                    Fulfillments::Table,
                    Fulfillments::OrderId,
                    Orders::Table,
                    Orders::Id,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            index("fulfillments_order", Fulfillments::Table)
                .col(Fulfillments::OrderId)
                .col(Fulfillments::Id)
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(FulfillmentLines::Table)
                .col(id_column(FulfillmentLines::Id))
                .col(big(FulfillmentLines::FulfillmentId))
                .col(big(FulfillmentLines::OrderLineId))
                .col(big(FulfillmentLines::Quantity))
                .check(Expr::col(FulfillmentLines::Quantity).gt(0))
                .foreign_key(&mut cascade(
                    FulfillmentLines::Table,
                    FulfillmentLines::FulfillmentId,
                    Fulfillments::Table,
                    Fulfillments::Id,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            index("fulfillment_lines_fulfillment", FulfillmentLines::Table)
                .col(FulfillmentLines::FulfillmentId)
                .to_owned(),
        )
        .await
}
