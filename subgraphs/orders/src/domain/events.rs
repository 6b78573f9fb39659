//! The events orders publishes (stream `orders`), documented in `docs/events.md`.

use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

use super::{Order, OrderStatus};

/// An order was placed (by the checkout saga).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPlaced {
    pub order_id: String,
    pub number: i64,
    pub checkout_id: String,
    pub customer_id: Option<String>,
    /// The address the order was placed with (a guest's only identity, for analytics'
    /// new and returning customers).
    pub email: String,
    pub currency: String,
    /// Decimal, in the currency (`"42.50"`).
    pub total: String,
    pub lines: Vec<PlacedLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedLine {
    pub variant_id: String,
    pub product_id: String,
    pub quantity: i64,
    /// The line's total after discounts, with tax, decimal in the order's currency.
    pub total: String,
}

impl Event for OrderPlaced {
    const TYPE: &'static str = "orders.order_placed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.order_id.clone()
    }
}

/// An order moved from one status to another (paid, fulfilled, shipped, cancelled, ...).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatusChanged {
    pub order_id: String,
    pub number: i64,
    /// The GraphQL `OrderStatus` values (`PLACED`, `PAID`, ...).
    pub from: String,
    pub to: String,
}

impl OrderStatusChanged {
    pub fn new(order: &Order, to: OrderStatus) -> Self {
        Self {
            order_id: order.id.global(),
            number: order.number,
            from: order.status.as_str().to_owned(),
            to: to.as_str().to_owned(),
        }
    }
}

impl Event for OrderStatusChanged {
    const TYPE: &'static str = "orders.order_status_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.order_id.clone()
    }
}

impl OrderPlaced {
    pub fn of(order: &Order, lines: &[super::NewLine]) -> Self {
        Self {
            order_id: order.id.global(),
            number: order.number,
            checkout_id: order.checkout_id.clone(),
            customer_id: order.customer_id.clone(),
            email: order.email.clone(),
            currency: order.currency.code().to_owned(),
            total: order.totals.total.to_decimal_string(),
            lines: lines
                .iter()
                .map(|line| PlacedLine {
                    variant_id: line.variant_id.clone(),
                    product_id: line.product_id.clone(),
                    quantity: line.quantity,
                    total: line.total.to_decimal_string(),
                })
                .collect(),
        }
    }
}
