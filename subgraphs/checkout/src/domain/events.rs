//! The events checkout publishes (stream `checkout`), documented in `docs/events.md`: how
//! each checkout saga ended, written with its final save.

use commerce_kernel::GlobalId;
use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

use super::{CART, Outcome, Saga};

/// A checkout placed its order: payment attached, stock committed, cart completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutCompleted {
    pub cart_id: String,
    pub order_id: String,
    pub order_number: String,
    pub payment_intent_id: String,
    pub customer_id: Option<String>,
    /// Decimal in the currency (`"42.50"`): what was charged.
    pub total: String,
    pub currency: String,
}

impl Event for CheckoutCompleted {
    const TYPE: &'static str = "checkout.checkout_completed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.cart_id.clone()
    }
}

/// A checkout ended without an order; whatever it had reserved or authorized was undone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutFailed {
    pub cart_id: String,
    pub customer_id: Option<String>,
    /// `INSUFFICIENT_STOCK`, `PAYMENT_DECLINED`, or the error code the client saw
    /// (`CONFLICT`, `SERVICE_UNAVAILABLE`, ...).
    pub reason: String,
    /// The decline code for `PAYMENT_DECLINED` (`CARD_DECLINED`, ...), the variant for
    /// `INSUFFICIENT_STOCK`; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub detail: Option<String>,
}

impl Event for CheckoutFailed {
    const TYPE: &'static str = "checkout.checkout_failed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.cart_id.clone()
    }
}

/// The event of a saga that finished with `outcome`.
pub enum Finished {
    Completed(CheckoutCompleted),
    Failed(CheckoutFailed),
}

impl Finished {
    pub fn of(saga: &Saga, outcome: &Outcome) -> Self {
        let cart_id = GlobalId::encode(CART, saga.cart_id);
        let customer_id = saga
            .plan
            .as_ref()
            .and_then(|plan| plan["customerId"].as_str())
            .map(str::to_owned);
        let failed = |reason: &str, detail: Option<&str>| {
            Self::Failed(CheckoutFailed {
                cart_id: cart_id.clone(),
                customer_id: customer_id.clone(),
                reason: reason.to_owned(),
                detail: detail.map(str::to_owned),
            })
        };
        match outcome {
            Outcome::Completed {
                order_id,
                order_number,
                payment_intent_id,
                total_amount,
                currency,
            } => Self::Completed(CheckoutCompleted {
                cart_id: cart_id.clone(),
                order_id: order_id.clone(),
                order_number: order_number.clone(),
                payment_intent_id: payment_intent_id.clone(),
                customer_id: customer_id.clone(),
                total: total_amount.clone(),
                currency: currency.clone(),
            }),
            Outcome::InsufficientStock { variant_id, .. } => {
                failed("INSUFFICIENT_STOCK", Some(variant_id))
            }
            Outcome::PaymentDeclined { decline_code, .. } => {
                failed("PAYMENT_DECLINED", Some(decline_code))
            }
            Outcome::Failed { code, .. } => failed(code, None),
        }
    }
}
