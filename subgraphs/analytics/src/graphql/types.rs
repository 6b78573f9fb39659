//! GraphQL output types, built from the domain's reports. Products and variants are the
//! catalog's entities, referenced by id: the router fetches their names from the catalog.

use async_graphql::{
    ID, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};
use commerce_kernel::Currency;

use crate::domain::reports::{self, SalesTotals};
use crate::domain::{AnalyticsError, Day};

/// A calendar day, `YYYY-MM-DD`; analytics' days are UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date(pub Day);

/// A calendar day, `YYYY-MM-DD`; analytics' days are UTC.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) => Day::parse(text)
                .map(Date)
                .map_err(|error| InputValueError::custom(error.to_string())),
            _ => Err(InputValueError::expected_type(value)),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.date().to_string())
    }
}

impl Date {
    pub fn day(self) -> Day {
        self.0
    }
}

impl From<Day> for Date {
    fn from(day: Day) -> Self {
        Self(day)
    }
}

/// An exact amount: a decimal string with the currency's digits (`"19.90"`), never a float.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
#[graphql(shareable)]
pub struct Money {
    /// Decimal with exactly the currency's minor digits, e.g. `"19.90"` (EUR) or `"500"` (JPY).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

fn money(amount: i64, currency: Currency) -> Money {
    let value = commerce_kernel::Money::new(amount, currency);
    Money {
        amount: value.to_decimal_string(),
        currency: currency.code().to_owned(),
    }
}

pub fn parse_currency(code: &str) -> Result<Currency, AnalyticsError> {
    Currency::parse(code).map_err(|_| AnalyticsError::InvalidCurrency {
        value: code.to_owned(),
    })
}

/// The catalog's product; analytics only knows its id.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Product {
    pub id: ID,
}

/// The catalog's variant; analytics only knows its id.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct ProductVariant {
    pub id: ID,
}

/// One day's sales in one currency, net of cancelled orders.
#[derive(SimpleObject)]
pub struct DailySales {
    pub day: Date,
    /// Orders placed that day and not cancelled.
    pub order_count: i64,
    pub revenue: Money,
    /// Units in those orders.
    pub items: i64,
    /// Orders placed that day and cancelled since.
    pub cancelled_orders: i64,
}

impl DailySales {
    pub fn new(sales: reports::DaySales, currency: Currency) -> Self {
        Self {
            day: sales.day.into(),
            order_count: sales.totals.orders,
            revenue: money(sales.totals.revenue, currency),
            items: sales.totals.items,
            cancelled_orders: sales.totals.cancelled_orders,
        }
    }
}

/// A range's sales in one currency, net of cancelled orders.
#[derive(SimpleObject)]
pub struct SalesSummary {
    pub currency: String,
    pub order_count: i64,
    pub revenue: Money,
    /// Revenue per order; null without orders.
    pub average_order_value: Option<Money>,
    pub items: i64,
    pub cancelled_orders: i64,
    pub cancelled_revenue: Money,
}

impl From<reports::CurrencySales> for SalesSummary {
    fn from(sales: reports::CurrencySales) -> Self {
        let SalesTotals {
            orders,
            revenue,
            items,
            cancelled_orders,
            cancelled_revenue,
        } = sales.totals;
        let currency = sales.currency;
        Self {
            currency: currency.code().to_owned(),
            order_count: orders,
            revenue: money(revenue, currency),
            average_order_value: sales
                .totals
                .average_order_value()
                .map(|average| money(average, currency)),
            items,
            cancelled_orders,
            cancelled_revenue: money(cancelled_revenue, currency),
        }
    }
}

/// A product's sales over a range in one currency.
#[derive(SimpleObject)]
pub struct TopProduct {
    pub product: Product,
    pub units_sold: i64,
    pub revenue: Money,
}

impl TopProduct {
    pub fn new(sales: reports::ProductSales, currency: Currency) -> Self {
        Self {
            product: Product {
                id: ID(sales.product_id),
            },
            units_sold: sales.units,
            revenue: money(sales.revenue, currency),
        }
    }
}

/// A category's sales over a range in one currency: those of the products in it now.
#[derive(SimpleObject)]
pub struct TopCategory {
    pub category_id: ID,
    /// Null until analytics has seen the category's name (a category unchanged since
    /// analytics started), or once it is deleted.
    pub name: Option<String>,
    pub units_sold: i64,
    pub revenue: Money,
}

impl TopCategory {
    pub fn new(sales: reports::CategorySales, currency: Currency) -> Self {
        Self {
            category_id: ID(sales.category_id),
            name: sales.name,
            units_sold: sales.units,
            revenue: money(sales.revenue, currency),
        }
    }
}

/// Customers who ordered in a range: for the first time, or again.
#[derive(SimpleObject)]
pub struct CustomerCounts {
    /// Customers whose first order falls in the range.
    pub new_customers: i64,
    /// Customers ordering again (after an earlier day), counted once per day they ordered.
    pub returning_customers: i64,
    /// Accounts created in the range (whether or not they ordered).
    pub registered_customers: i64,
}

impl From<reports::CustomerCounts> for CustomerCounts {
    fn from(counts: reports::CustomerCounts) -> Self {
        Self {
            new_customers: counts.new_customers,
            returning_customers: counts.returning_customers,
            registered_customers: counts.registered,
        }
    }
}

/// Refunds made in a range, in one currency.
#[derive(SimpleObject)]
pub struct RefundSummary {
    pub currency: String,
    pub refund_count: i64,
    pub amount: Money,
}

impl From<reports::Refunds> for RefundSummary {
    fn from(refunds: reports::Refunds) -> Self {
        Self {
            currency: refunds.currency.code().to_owned(),
            refund_count: refunds.refunds,
            amount: money(refunds.amount, refunds.currency),
        }
    }
}

/// A variant whose available stock is below the low-stock threshold.
#[derive(SimpleObject)]
pub struct LowStockVariant {
    pub variant: ProductVariant,
    pub available: i64,
    pub threshold: i64,
}

impl From<reports::LowStock> for LowStockVariant {
    fn from(low: reports::LowStock) -> Self {
        Self {
            variant: ProductVariant {
                id: ID(low.variant_id),
            },
            available: low.available,
            threshold: low.threshold,
        }
    }
}

#[derive(SimpleObject)]
pub struct RebuildReport {
    /// Events replayed from analytics' log.
    pub events_replayed: i64,
}
