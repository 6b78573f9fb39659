//! An order as it was placed (copies of everything it was sold with) and what happened to it
//! since: fulfillments, the timeline, captured and refunded amounts.

use chrono::{DateTime, Utc};
use commerce_kernel::pagination::Cursor;
use commerce_kernel::{Currency, GlobalId, KernelError, Money};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::OrderStatus;

macro_rules! numeric_id {
    ($(#[$meta:meta])* $name:ident = $type_name:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub struct $name(pub i64);

        impl $name {
            pub const TYPE: &'static str = $type_name;

            pub fn parse(value: &str) -> Result<Self, KernelError> {
                GlobalId::decode(value, Self::TYPE).map(Self)
            }

            pub fn global(self) -> String {
                GlobalId::encode(Self::TYPE, self.0)
            }
        }
    };
}

numeric_id!(
    /// An order's database id; clients see it as a `GlobalId`.
    OrderId = "Order"
);
numeric_id!(OrderLineId = "OrderLine");
numeric_id!(FulfillmentId = "Fulfillment");

/// A postal address, copied at order time (the customer may change theirs later).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
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

/// The shipping method as chosen at checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingMethod {
    pub id: String,
    pub name: String,
    pub price: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Totals {
    pub subtotal: Money,
    pub discount_total: Money,
    pub shipping_total: Money,
    pub tax_total: Money,
    pub total: Money,
    /// Whether line prices include tax (then `total` does not add `tax_total` again).
    pub tax_inclusive: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub id: OrderId,
    pub number: i64,
    pub status: OrderStatus,
    pub currency: Currency,
    pub customer_id: Option<String>,
    pub email: String,
    pub placed_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub shipping_address: Address,
    pub billing_address: Address,
    pub shipping_method: Option<ShippingMethod>,
    pub totals: Totals,
    pub coupon_codes: Vec<String>,
    pub payment_intent_id: Option<String>,
    pub reservation_key: Option<String>,
    pub checkout_id: String,
    pub captured: Money,
    pub refunded: Money,
}

impl Order {
    /// What can still be refunded: the captured amount not refunded yet.
    pub fn refundable(&self) -> Money {
        Money::new(self.captured.amount - self.refunded.amount, self.currency)
    }
}

/// One purchased line, copied from the catalog and pricing at order time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub id: OrderLineId,
    pub order_id: OrderId,
    pub variant_id: String,
    pub product_id: String,
    pub sku: String,
    pub product_name: String,
    pub variant_name: Option<String>,
    pub quantity: i64,
    pub unit_price: Money,
    pub discount: Money,
    pub tax: Money,
    pub total: Money,
    pub fulfilled_quantity: i64,
    pub returned_quantity: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FulfillmentStatus {
    /// Packed from a warehouse, not yet handed to a carrier.
    Fulfilled,
    Shipped,
    Delivered,
}

impl FulfillmentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fulfilled => "FULFILLED",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        [Self::Fulfilled, Self::Shipped, Self::Delivered]
            .into_iter()
            .find(|status| status.as_str() == value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FulfillmentLine {
    pub order_line_id: OrderLineId,
    pub quantity: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fulfillment {
    pub id: FulfillmentId,
    pub order_id: OrderId,
    pub warehouse_id: String,
    pub status: FulfillmentStatus,
    pub tracking_numbers: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub shipped_at: Option<DateTime<Utc>>,
    pub lines: Vec<FulfillmentLine>,
}

/// What happened, for the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
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

impl EventKind {
    pub const ALL: [EventKind; 10] = [
        Self::Placed,
        Self::StatusChanged,
        Self::PaymentCaptured,
        Self::Fulfilled,
        Self::Shipped,
        Self::Delivered,
        Self::Cancelled,
        Self::Refunded,
        Self::Returned,
        Self::StockReturned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Placed => "PLACED",
            Self::StatusChanged => "STATUS_CHANGED",
            Self::PaymentCaptured => "PAYMENT_CAPTURED",
            Self::Fulfilled => "FULFILLED",
            Self::Shipped => "SHIPPED",
            Self::Delivered => "DELIVERED",
            Self::Cancelled => "CANCELLED",
            Self::Refunded => "REFUNDED",
            Self::Returned => "RETURNED",
            Self::StockReturned => "STOCK_RETURNED",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// One entry of an order's timeline: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderEvent {
    pub id: i64,
    pub order_id: OrderId,
    pub at: DateTime<Utc>,
    /// A customer, staff member or `service:<name>` global id, or `system`.
    pub actor: String,
    pub kind: EventKind,
    pub message: String,
    /// Details as JSON (amounts, statuses, tracking numbers).
    pub data: Option<serde_json::Value>,
}

/// An event not stored yet.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: EventKind,
    pub message: String,
    pub data: Option<serde_json::Value>,
}

impl NewEvent {
    pub fn new(kind: EventKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            message: message.into(),
            data: None,
        }
    }

    pub fn with_data(mut self, data: serde_json::Value) -> Self {
        self.data = Some(data);
        self
    }

    /// Adds the reason staff gave to the event's data.
    pub fn with_reason(mut self, reason: &str) -> Self {
        match &mut self.data {
            Some(serde_json::Value::Object(data)) => {
                data.insert("reason".to_owned(), reason.into());
            }
            _ => self.data = Some(json!({ "reason": reason })),
        }
        self
    }

    /// The event of a status change, recording both ends.
    pub fn status(kind: EventKind, from: OrderStatus, to: OrderStatus, message: String) -> Self {
        Self::new(kind, message).with_data(json!({ "from": from.as_str(), "to": to.as_str() }))
    }
}

/// Who caused a change, as the timeline records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(pub String);

impl Actor {
    pub fn system() -> Self {
        Self("system".to_owned())
    }
}

/// The orders a list shows, and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortField {
    Number,
    #[default]
    PlacedAt,
    Total,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OrderSort {
    pub field: SortField,
    pub descending: bool,
}

impl OrderSort {
    /// Newest first: what customers and the dashboard show by default.
    pub fn newest_first() -> Self {
        Self {
            field: SortField::PlacedAt,
            descending: true,
        }
    }

    /// An order's position in this sort: its sort key, then its id.
    pub fn cursor(&self, order: &Order) -> Cursor {
        let key = match self.field {
            SortField::Number => order.number,
            SortField::PlacedAt => order.placed_at.timestamp_micros(),
            SortField::Total => order.totals.total.amount,
        };
        Cursor(vec![key.into(), order.id.0.into()])
    }
}

/// Staff search filters; every given one must hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OrderFilter {
    pub statuses: Vec<OrderStatus>,
    pub placed_from: Option<DateTime<Utc>>,
    pub placed_to: Option<DateTime<Utc>>,
    pub customer_id: Option<String>,
    /// Totals are compared in one currency's minor units; the filter then keeps that currency.
    pub total_min: Option<Money>,
    pub total_max: Option<Money>,
    pub number: Option<i64>,
    /// Exact match after trimming and lower-casing.
    pub email: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_check_their_type() {
        let id = OrderId(7).global();
        assert_eq!(OrderId::parse(&id), Ok(OrderId(7)));
        assert!(FulfillmentId::parse(&id).is_err());
        assert!(OrderId::parse("nope").is_err());
    }

    #[test]
    fn event_kinds_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::from_stored(kind.as_str()), Some(kind));
        }
    }
}
