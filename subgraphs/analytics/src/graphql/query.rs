//! The dashboard's reads, for staff with `analytics:read`. Each reads the daily rollups of
//! its range in one statement, so its cost follows the number of days, not of orders.

use async_graphql::{Context, Object};
use commerce_kernel::error::top_level;

use super::types::{
    CustomerCounts, DailySales, Date, LowStockVariant, RefundSummary, SalesSummary, TopCategory,
    TopProduct, parse_currency,
};
use super::{access, service_of};
use crate::domain::{AnalyticsError, DateRange};

/// The most rows a ranking returns.
const MAX_FIRST: i32 = 100;

#[derive(Default)]
pub struct Query;

fn range(from: Date, to: Date) -> async_graphql::Result<DateRange> {
    DateRange::new(from.day(), to.day()).map_err(top_level)
}

/// `first` as a count, `default` when null.
fn first(value: Option<i32>, default: i32) -> async_graphql::Result<usize> {
    let value = value.unwrap_or(default);
    match usize::try_from(value) {
        Ok(n) if (1..=MAX_FIRST).contains(&value) => Ok(n),
        _ => Err(top_level(AnalyticsError::InvalidFirst {
            value,
            max: MAX_FIRST,
        })),
    }
}

#[Object]
impl Query {
    /// Sales in `currency` for every day from `from` to `to` (both included, at most three
    /// years; days without sales are zeros).
    async fn sales_by_day(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        currency: String,
    ) -> async_graphql::Result<Vec<DailySales>> {
        access::require_reader(ctx)?;
        let (range, currency) = (
            range(from, to)?,
            parse_currency(&currency).map_err(top_level)?,
        );
        let days = service_of(ctx)
            .sales_by_day(range, currency)
            .await
            .map_err(top_level)?;
        Ok(days
            .into_iter()
            .map(|day| DailySales::new(day, currency))
            .collect())
    }

    /// Order count, revenue and average order value per currency over a range.
    async fn sales_summary(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
    ) -> async_graphql::Result<Vec<SalesSummary>> {
        access::require_reader(ctx)?;
        let summary = service_of(ctx)
            .sales_summary(range(from, to)?)
            .await
            .map_err(top_level)?;
        Ok(summary.into_iter().map(SalesSummary::from).collect())
    }

    /// The best-selling products by revenue in `currency` over a range (then by units).
    async fn top_products(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        currency: String,
        #[graphql(default = 10)] first: Option<i32>,
    ) -> async_graphql::Result<Vec<TopProduct>> {
        access::require_reader(ctx)?;
        let (range, first) = (range(from, to)?, self::first(first, 10)?);
        let currency = parse_currency(&currency).map_err(top_level)?;
        let products = service_of(ctx)
            .top_products(range, currency, first)
            .await
            .map_err(top_level)?;
        Ok(products
            .into_iter()
            .map(|product| TopProduct::new(product, currency))
            .collect())
    }

    /// The best-selling categories by revenue in `currency` over a range (then by units):
    /// each the sales of the products in it now.
    async fn top_categories(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
        currency: String,
        #[graphql(default = 10)] first: Option<i32>,
    ) -> async_graphql::Result<Vec<TopCategory>> {
        access::require_reader(ctx)?;
        let (range, first) = (range(from, to)?, self::first(first, 10)?);
        let currency = parse_currency(&currency).map_err(top_level)?;
        let categories = service_of(ctx)
            .top_categories(range, currency, first)
            .await
            .map_err(top_level)?;
        Ok(categories
            .into_iter()
            .map(|category| TopCategory::new(category, currency))
            .collect())
    }

    /// New and returning customers over a range.
    async fn customer_counts(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
    ) -> async_graphql::Result<CustomerCounts> {
        access::require_reader(ctx)?;
        let counts = service_of(ctx)
            .customer_counts(range(from, to)?)
            .await
            .map_err(top_level)?;
        Ok(counts.into())
    }

    /// Refunds made over a range, per currency.
    async fn refunds(
        &self,
        ctx: &Context<'_>,
        from: Date,
        to: Date,
    ) -> async_graphql::Result<Vec<RefundSummary>> {
        access::require_reader(ctx)?;
        let refunds = service_of(ctx)
            .refunds(range(from, to)?)
            .await
            .map_err(top_level)?;
        Ok(refunds.into_iter().map(RefundSummary::from).collect())
    }

    /// Variants below their low-stock threshold now, fewest available first.
    async fn low_stock_variants(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: Option<i32>,
    ) -> async_graphql::Result<Vec<LowStockVariant>> {
        access::require_reader(ctx)?;
        let variants = service_of(ctx)
            .low_stock(self::first(first, 20)?)
            .await
            .map_err(top_level)?;
        Ok(variants.into_iter().map(LowStockVariant::from).collect())
    }
}
