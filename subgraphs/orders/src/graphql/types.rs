//! GraphQL output types: the `Order` entity and what it holds, and the `Customer` fields this
//! subgraph contributes. Built from domain values, never from rows.

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::ClientResultExt;
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::{Page, PageRequest, TotalCount, connection};

use super::loaders::{FulfillmentsLoader, LinesLoader, TimelineLoader};
use super::{access, service_of};
use crate::domain::{self, OrderSort};

/// An exact amount: a decimal string with the currency's digits (`"19.90"`), never a float.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
#[graphql(shareable)]
pub struct Money {
    /// Decimal with exactly the currency's minor digits, e.g. `"19.90"` (EUR) or `"500"` (JPY).
    pub amount: String,
    /// ISO 4217 code.
    pub currency: String,
}

impl From<commerce_kernel::Money> for Money {
    fn from(value: commerce_kernel::Money) -> Self {
        Self {
            amount: value.to_decimal_string(),
            currency: value.currency.code().to_owned(),
        }
    }
}

/// Where an order is in its life (see the state machine in the orders subgraph's docs).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::OrderStatus")]
pub enum OrderStatus {
    /// Placed and its payment authorized, not captured yet.
    Placed,
    /// The payment is captured.
    Paid,
    PartiallyFulfilled,
    Fulfilled,
    Shipped,
    Delivered,
    /// Cancelled before any fulfillment; the stock went back, the payment was voided or refunded.
    Cancelled,
    PartiallyRefunded,
    Refunded,
    /// Delivered, and some lines came back (refunded).
    Returned,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::FulfillmentStatus")]
pub enum FulfillmentStatus {
    /// Packed from a warehouse, not yet with a carrier.
    Fulfilled,
    Shipped,
    Delivered,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(remote = "domain::EventKind")]
pub enum OrderEventKind {
    Placed,
    StatusChanged,
    PaymentCaptured,
    Fulfilled,
    Shipped,
    Delivered,
    Cancelled,
    Refunded,
    Returned,
    StockReturned,
}

/// An order: what was bought, at which prices, by whom, and what happened since. Lines,
/// addresses and amounts are copies made when it was placed; catalog and price changes never
/// alter them.
pub struct Order(pub domain::Order);

impl From<domain::Order> for Order {
    fn from(order: domain::Order) -> Self {
        Self(order)
    }
}

#[Object]
impl Order {
    async fn id(&self) -> ID {
        ID(self.0.id.global())
    }

    /// The human-readable number (1001, 1002, ...): sequential without gaps.
    async fn number(&self) -> i32 {
        i32::try_from(self.0.number).unwrap_or(i32::MAX)
    }

    async fn status(&self) -> OrderStatus {
        self.0.status.into()
    }

    async fn placed_at(&self) -> DateTime<Utc> {
        self.0.placed_at
    }

    /// When anything about the order last changed.
    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    /// ISO 4217 code of every amount of the order.
    async fn currency(&self) -> &str {
        self.0.currency.code()
    }

    /// The customer who placed it; null for a guest order.
    async fn customer(&self) -> Option<Customer> {
        self.0.customer_id.clone().map(|id| Customer { id: ID(id) })
    }

    /// Where confirmations go: the guest's address, or the customer's at order time.
    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn lines(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderLine>> {
        let lines = ctx
            .data_unchecked::<DataLoader<LinesLoader>>()
            .load_one((self.0.id, self.0.currency))
            .await?
            .unwrap_or_default();
        Ok(lines.into_iter().map(OrderLine).collect())
    }

    async fn shipping_address(&self) -> OrderAddress {
        self.0.shipping_address.clone().into()
    }

    async fn billing_address(&self) -> OrderAddress {
        self.0.billing_address.clone().into()
    }

    async fn shipping_method(&self) -> Option<OrderShippingMethod> {
        self.0
            .shipping_method
            .clone()
            .map(|method| OrderShippingMethod {
                id: ID(method.id),
                name: method.name,
                price: method.price.into(),
            })
    }

    async fn totals(&self) -> OrderTotals {
        let totals = self.0.totals;
        OrderTotals {
            subtotal: totals.subtotal.into(),
            discount_total: totals.discount_total.into(),
            shipping_total: totals.shipping_total.into(),
            tax_total: totals.tax_total.into(),
            total: totals.total.into(),
            tax_inclusive: totals.tax_inclusive,
        }
    }

    /// The grand total (same as `totals.total`).
    async fn total(&self) -> Money {
        self.0.totals.total.into()
    }

    /// How much of the payment has been captured.
    async fn captured_amount(&self) -> Money {
        self.0.captured.into()
    }

    /// How much has been refunded (never more than captured).
    async fn refunded_amount(&self) -> Money {
        self.0.refunded.into()
    }

    async fn coupon_codes(&self) -> &[String] {
        &self.0.coupon_codes
    }

    /// The payments subgraph's `PaymentIntent` id.
    async fn payment_intent_id(&self) -> Option<ID> {
        self.0.payment_intent_id.clone().map(ID)
    }

    /// The inventory reservation the order's stock was committed from.
    async fn reservation_key(&self) -> Option<&str> {
        self.0.reservation_key.as_deref()
    }

    /// The checkout the order came from.
    async fn checkout_id(&self) -> &str {
        &self.0.checkout_id
    }

    /// Every change, oldest first.
    async fn timeline(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<OrderEvent>> {
        let events = ctx
            .data_unchecked::<DataLoader<TimelineLoader>>()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(events.into_iter().map(OrderEvent::from).collect())
    }

    /// Shipments, oldest first.
    async fn fulfillments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Fulfillment>> {
        let fulfillments = ctx
            .data_unchecked::<DataLoader<FulfillmentsLoader>>()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(fulfillments.into_iter().map(Fulfillment::from).collect())
    }
}

/// A purchased line as it was sold: names, SKU and prices are copies.
pub struct OrderLine(domain::OrderLine);

#[Object]
impl OrderLine {
    async fn id(&self) -> ID {
        ID(self.0.id.global())
    }

    /// The catalog's `ProductVariant` id at order time.
    async fn variant_id(&self) -> ID {
        ID(self.0.variant_id.clone())
    }

    /// The catalog's `Product` id at order time.
    async fn product_id(&self) -> ID {
        ID(self.0.product_id.clone())
    }

    async fn sku(&self) -> &str {
        &self.0.sku
    }

    async fn product_name(&self) -> &str {
        &self.0.product_name
    }

    async fn variant_name(&self) -> Option<&str> {
        self.0.variant_name.as_deref()
    }

    async fn quantity(&self) -> i32 {
        quantity(self.0.quantity)
    }

    async fn unit_price(&self) -> Money {
        self.0.unit_price.into()
    }

    /// The line's discount in all (not per unit).
    async fn discount(&self) -> Money {
        self.0.discount.into()
    }

    async fn tax(&self) -> Money {
        self.0.tax.into()
    }

    async fn total(&self) -> Money {
        self.0.total.into()
    }

    /// Units in fulfillments so far.
    async fn fulfilled_quantity(&self) -> i32 {
        quantity(self.0.fulfilled_quantity)
    }

    /// Units returned so far.
    async fn returned_quantity(&self) -> i32 {
        quantity(self.0.returned_quantity)
    }
}

fn quantity(value: i64) -> i32 {
    i32::try_from(value).unwrap_or(i32::MAX)
}

/// A postal address copied into the order (the customer may change theirs later).
#[derive(SimpleObject)]
pub struct OrderAddress {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: String,
    pub phone: Option<String>,
}

impl From<domain::Address> for OrderAddress {
    fn from(address: domain::Address) -> Self {
        Self {
            first_name: address.first_name,
            last_name: address.last_name,
            company: address.company,
            line1: address.line1,
            line2: address.line2,
            city: address.city,
            region: address.region,
            postal_code: address.postal_code,
            country_code: address.country_code,
            phone: address.phone,
        }
    }
}

/// The shipping method as chosen at checkout.
#[derive(SimpleObject)]
pub struct OrderShippingMethod {
    /// The checkout subgraph's shipping method id.
    pub id: ID,
    pub name: String,
    pub price: Money,
}

#[derive(SimpleObject)]
pub struct OrderTotals {
    pub subtotal: Money,
    pub discount_total: Money,
    pub shipping_total: Money,
    pub tax_total: Money,
    pub total: Money,
    /// Whether prices include tax (then `total` does not add `taxTotal` again).
    pub tax_inclusive: bool,
}

/// One entry of the timeline: who did what, when.
#[derive(SimpleObject)]
pub struct OrderEvent {
    pub at: DateTime<Utc>,
    /// A customer's or staff member's id, `service:<subgraph>`, or `system`.
    pub actor: String,
    pub kind: OrderEventKind,
    pub message: String,
    /// Details as a JSON object text (statuses, amounts, tracking numbers); null when none.
    pub data: Option<String>,
}

impl From<domain::OrderEvent> for OrderEvent {
    fn from(event: domain::OrderEvent) -> Self {
        Self {
            at: event.at,
            actor: event.actor,
            kind: event.kind.into(),
            message: event.message,
            data: event.data.map(|data| data.to_string()),
        }
    }
}

/// Some lines shipped from one warehouse.
#[derive(SimpleObject)]
pub struct Fulfillment {
    pub id: ID,
    /// The inventory's `Warehouse` id.
    pub warehouse_id: ID,
    pub status: FulfillmentStatus,
    pub tracking_numbers: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub lines: Vec<FulfillmentLine>,
}

#[derive(SimpleObject)]
pub struct FulfillmentLine {
    pub order_line_id: ID,
    pub quantity: i32,
}

impl From<domain::Fulfillment> for Fulfillment {
    fn from(fulfillment: domain::Fulfillment) -> Self {
        Self {
            id: ID(fulfillment.id.global()),
            warehouse_id: ID(fulfillment.warehouse_id),
            status: fulfillment.status.into(),
            tracking_numbers: fulfillment.tracking_numbers,
            created_at: fulfillment.created_at,
            shipped_at: fulfillment.shipped_at,
            lines: fulfillment
                .lines
                .into_iter()
                .map(|line| FulfillmentLine {
                    order_line_id: ID(line.order_line_id.global()),
                    quantity: quantity(line.quantity),
                })
                .collect(),
        }
    }
}

/// A customer; the customers subgraph owns the rest of this type.
pub struct Customer {
    pub id: ID,
}

pub type OrderConnection = Connection<String, Order, TotalCount>;

/// Builds a connection of orders; cursors are positions in `sort`.
pub fn order_connection(
    page: Page<domain::Order>,
    sort: OrderSort,
    total_count: i64,
) -> OrderConnection {
    connection(page.map(Order), |order| sort.cursor(&order.0), total_count)
}

#[Object]
impl Customer {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// The customer's orders, newest first: for that customer (`me { orders }`) or staff with
    /// `orders:read`; anyone else gets FORBIDDEN (UNAUTHENTICATED when signed out).
    async fn orders(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<OrderConnection> {
        access::require_customer_or_reader(ctx, &self.id)?;
        let request = PageRequest::parse(first, after, last, before).or_client()?;
        let filter = domain::OrderFilter {
            customer_id: Some(self.id.to_string()),
            ..Default::default()
        };
        let sort = OrderSort::newest_first();
        let (page, total) = service_of(ctx)
            .search(&filter, sort, &request)
            .await
            .map_err(top_level)?;
        Ok(order_connection(page, sort, total))
    }
}
