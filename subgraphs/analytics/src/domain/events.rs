//! The other domains' events analytics reads, decoded with its own types from the payloads
//! documented in `docs/events.md` (it links no other domain's crate). Fields it does not need
//! are left out; fields added later are optional here.

use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

/// Implements [`Event`] for a payload analytics only reads (its aggregate id is never asked).
macro_rules! read_only_event {
    ($name:ident, $type:literal) => {
        impl Event for $name {
            const TYPE: &'static str = $type;
            const VERSION: u32 = 1;
            fn aggregate_id(&self) -> String {
                String::new()
            }
        }
    };
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderPlaced {
    pub order_id: String,
    pub customer_id: Option<String>,
    /// Orders published before the field existed have none; their guests are not counted.
    #[serde(default)]
    pub email: Option<String>,
    pub currency: String,
    pub total: String,
    pub lines: Vec<PlacedLine>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlacedLine {
    pub product_id: String,
    pub quantity: i64,
    /// Absent from orders published before the field existed: their lines count units only.
    #[serde(default)]
    pub total: Option<String>,
}

read_only_event!(OrderPlaced, "orders.order_placed");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderStatusChanged {
    pub order_id: String,
    pub to: String,
}

read_only_event!(OrderStatusChanged, "orders.order_status_changed");

/// A refund of (part of) a payment: its amount and currency.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentRefunded {
    pub amount: String,
    pub currency: String,
}

read_only_event!(PaymentRefunded, "payments.payment_refunded");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockChanged {
    pub variant_id: String,
    pub available: i64,
}

read_only_event!(StockChanged, "inventory.stock_changed");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StockLow {
    pub variant_id: String,
    pub available: i64,
    pub threshold: i64,
}

read_only_event!(StockLow, "inventory.stock_low");

/// An account was created.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRegistered {
    pub customer_id: String,
}

read_only_event!(CustomerRegistered, "customers.customer_registered");

/// A product changed; `categoryId` is there when the change states the product's category.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProductChanged {
    pub product_id: String,
    #[serde(default, deserialize_with = "present")]
    pub category_id: Option<Option<String>>,
}

read_only_event!(ProductChanged, "catalog.product_changed");

/// A category changed; `name` is there for `CREATED` and `UPDATED`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryChanged {
    pub category_id: String,
    pub change: String,
    #[serde(default)]
    pub name: Option<String>,
}

read_only_event!(CategoryChanged, "catalog.category_changed");

/// A field that is present, even as `null`, is `Some`; an absent one stays `None` (default).
fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}
