//! The analytics read models, built only from other domains' events.
//!
//! - `analytics_events`: every event the rollups were built from, as received (the outboxes
//!   prune published rows after a day, and the in-process bus keeps nothing), so the rollups
//!   can be rebuilt by replaying it.
//! - Rollups keyed by day (days since 1970-01-01, UTC) and currency: `sales_daily`,
//!   `product_sales_daily`, `refund_daily`, and `customer_daily` (new and returning customers).
//!   A dashboard query reads one row per day (and product), never one per order.
//! - Projections the rollups need while events arrive: `analytics_orders` (to take a cancelled
//!   order back out), `analytics_customers` and `customer_order_days` (first order, days
//!   ordered), `variant_stock` (low stock), `product_categories` and `category_names`.
//!   Amounts are integer minor units; times Unix microseconds.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261206_000001_analytics_tables"
    }
}

#[derive(DeriveIden)]
enum AnalyticsEvents {
    Table,
    EventId,
    EventType,
    Version,
    AggregateId,
    Sequence,
    OccurredAt,
    Payload,
}

#[derive(DeriveIden)]
enum SalesDaily {
    Table,
    Currency,
    Day,
    Orders,
    Revenue,
    Items,
    CancelledOrders,
    CancelledRevenue,
}

#[derive(DeriveIden)]
enum ProductSalesDaily {
    Table,
    Currency,
    Day,
    ProductId,
    Units,
    Revenue,
}

#[derive(DeriveIden)]
enum RefundDaily {
    Table,
    Currency,
    Day,
    Refunds,
    Amount,
}

#[derive(DeriveIden)]
enum CustomerDaily {
    Table,
    Day,
    NewCustomers,
    ReturningCustomers,
}

#[derive(DeriveIden)]
enum AnalyticsOrders {
    Table,
    OrderId,
    Placed,
    Cancelled,
    Day,
    Currency,
    Total,
    Lines,
}

#[derive(DeriveIden)]
enum AnalyticsCustomers {
    Table,
    CustomerKey,
    FirstAt,
    FirstDay,
}

#[derive(DeriveIden)]
enum CustomerOrderDays {
    Table,
    CustomerKey,
    Day,
}

#[derive(DeriveIden)]
enum VariantStock {
    Table,
    VariantId,
    Sequence,
    Available,
    Threshold,
}

#[derive(DeriveIden)]
enum ProductCategories {
    Table,
    ProductId,
    Sequence,
    CategoryId,
}

#[derive(DeriveIden)]
enum CategoryNames {
    Table,
    CategoryId,
    Sequence,
    Name,
}

fn counter<T: IntoIden>(column: T) -> ColumnDef {
    ColumnDef::new(column)
        .big_integer()
        .not_null()
        .default(0)
        .to_owned()
}

fn events_table() -> TableCreateStatement {
    Table::create()
        .table(AnalyticsEvents::Table)
        .col(
            ColumnDef::new(AnalyticsEvents::EventId)
                .string_len(36)
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(AnalyticsEvents::EventType)
                .string()
                .not_null(),
        )
        .col(
            ColumnDef::new(AnalyticsEvents::Version)
                .integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(AnalyticsEvents::AggregateId)
                .string()
                .not_null(),
        )
        .col(
            ColumnDef::new(AnalyticsEvents::Sequence)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(AnalyticsEvents::OccurredAt)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(AnalyticsEvents::Payload).text().not_null())
        .to_owned()
}

fn sales_table() -> TableCreateStatement {
    Table::create()
        .table(SalesDaily::Table)
        .col(
            ColumnDef::new(SalesDaily::Currency)
                .string_len(3)
                .not_null(),
        )
        .col(ColumnDef::new(SalesDaily::Day).integer().not_null())
        .col(counter(SalesDaily::Orders))
        .col(counter(SalesDaily::Revenue))
        .col(counter(SalesDaily::Items))
        .col(counter(SalesDaily::CancelledOrders))
        .col(counter(SalesDaily::CancelledRevenue))
        .primary_key(
            Index::create()
                .col(SalesDaily::Currency)
                .col(SalesDaily::Day),
        )
        .to_owned()
}

fn product_sales_table() -> TableCreateStatement {
    Table::create()
        .table(ProductSalesDaily::Table)
        .col(
            ColumnDef::new(ProductSalesDaily::Currency)
                .string_len(3)
                .not_null(),
        )
        .col(ColumnDef::new(ProductSalesDaily::Day).integer().not_null())
        .col(
            ColumnDef::new(ProductSalesDaily::ProductId)
                .string()
                .not_null(),
        )
        .col(counter(ProductSalesDaily::Units))
        .col(counter(ProductSalesDaily::Revenue))
        .primary_key(
            Index::create()
                .col(ProductSalesDaily::Currency)
                .col(ProductSalesDaily::Day)
                .col(ProductSalesDaily::ProductId),
        )
        .to_owned()
}

fn refund_table() -> TableCreateStatement {
    Table::create()
        .table(RefundDaily::Table)
        .col(
            ColumnDef::new(RefundDaily::Currency)
                .string_len(3)
                .not_null(),
        )
        .col(ColumnDef::new(RefundDaily::Day).integer().not_null())
        .col(counter(RefundDaily::Refunds))
        .col(counter(RefundDaily::Amount))
        .primary_key(
            Index::create()
                .col(RefundDaily::Currency)
                .col(RefundDaily::Day),
        )
        .to_owned()
}

fn customer_daily_table() -> TableCreateStatement {
    Table::create()
        .table(CustomerDaily::Table)
        .col(
            ColumnDef::new(CustomerDaily::Day)
                .integer()
                .not_null()
                .primary_key(),
        )
        .col(counter(CustomerDaily::NewCustomers))
        .col(counter(CustomerDaily::ReturningCustomers))
        .to_owned()
}

fn orders_table() -> TableCreateStatement {
    Table::create()
        .table(AnalyticsOrders::Table)
        .col(
            ColumnDef::new(AnalyticsOrders::OrderId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(ColumnDef::new(AnalyticsOrders::Placed).boolean().not_null())
        .col(
            ColumnDef::new(AnalyticsOrders::Cancelled)
                .boolean()
                .not_null(),
        )
        .col(ColumnDef::new(AnalyticsOrders::Day).integer().not_null())
        .col(
            ColumnDef::new(AnalyticsOrders::Currency)
                .string_len(3)
                .not_null(),
        )
        .col(
            ColumnDef::new(AnalyticsOrders::Total)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(AnalyticsOrders::Lines).text().not_null())
        .to_owned()
}

fn customers_table() -> TableCreateStatement {
    Table::create()
        .table(AnalyticsCustomers::Table)
        .col(
            ColumnDef::new(AnalyticsCustomers::CustomerKey)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(AnalyticsCustomers::FirstAt)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(AnalyticsCustomers::FirstDay)
                .integer()
                .not_null(),
        )
        .to_owned()
}

fn customer_days_table() -> TableCreateStatement {
    Table::create()
        .table(CustomerOrderDays::Table)
        .col(
            ColumnDef::new(CustomerOrderDays::CustomerKey)
                .string()
                .not_null(),
        )
        .col(ColumnDef::new(CustomerOrderDays::Day).integer().not_null())
        .primary_key(
            Index::create()
                .col(CustomerOrderDays::CustomerKey)
                .col(CustomerOrderDays::Day),
        )
        .to_owned()
}

fn variant_stock_table() -> TableCreateStatement {
    Table::create()
        .table(VariantStock::Table)
        .col(
            ColumnDef::new(VariantStock::VariantId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(VariantStock::Sequence)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(VariantStock::Available)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(VariantStock::Threshold).big_integer().null())
        .to_owned()
}

fn product_categories_table() -> TableCreateStatement {
    Table::create()
        .table(ProductCategories::Table)
        .col(
            ColumnDef::new(ProductCategories::ProductId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(ProductCategories::Sequence)
                .big_integer()
                .not_null(),
        )
        .col(
            ColumnDef::new(ProductCategories::CategoryId)
                .string()
                .null(),
        )
        .to_owned()
}

fn category_names_table() -> TableCreateStatement {
    Table::create()
        .table(CategoryNames::Table)
        .col(
            ColumnDef::new(CategoryNames::CategoryId)
                .string()
                .not_null()
                .primary_key(),
        )
        .col(
            ColumnDef::new(CategoryNames::Sequence)
                .big_integer()
                .not_null(),
        )
        .col(ColumnDef::new(CategoryNames::Name).string().null())
        .to_owned()
}

fn tables() -> Vec<TableCreateStatement> {
    vec![
        events_table(),
        sales_table(),
        product_sales_table(),
        refund_table(),
        customer_daily_table(),
        orders_table(),
        customers_table(),
        customer_days_table(),
        variant_stock_table(),
        product_categories_table(),
        category_names_table(),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables() {
            manager.create_table(table).await?;
        }
        // Summaries over every currency read a range of days.
        for (name, table) in [
            ("ix_sales_daily_day", SalesDaily::Table.into_iden()),
            ("ix_refund_daily_day", RefundDaily::Table.into_iden()),
        ] {
            manager
                .create_index(
                    Index::create()
                        .name(name)
                        .table(table)
                        .col(Alias::new("day"))
                        .to_owned(),
                )
                .await?;
        }
        // A rebuild replays the log in the order the changes were written.
        manager
            .create_index(
                Index::create()
                    .name("ix_analytics_events_occurred")
                    .table(AnalyticsEvents::Table)
                    .col(AnalyticsEvents::OccurredAt)
                    .col(AnalyticsEvents::EventId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in tables().into_iter().rev() {
            let name = table
                .get_table_name()
                .cloned()
                .ok_or_else(|| DbErr::Migration("a table without a name".to_owned()))?;
            manager
                .drop_table(Table::drop().table(name).to_owned())
                .await?;
        }
        Ok(())
    }
}
