//! The checkout saga's durable state: the last step that took effect, and the stored outcome a
//! replay returns. Recovery reads only these: before the order is being placed, compensate;
//! from then on, finish forward (every remote step is idempotent by a key derived from the
//! saga's id, so sending one again is safe).

use serde::{Deserialize, Serialize};

use super::CheckoutError;

/// The last step whose effect is known, in the order the saga takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// The row exists and the cart is held; nothing remote happened yet.
    Started,
    /// Stock is reserved under the saga's reservation key.
    Reserved,
    /// The payment is authorized; its intent id is stored.
    Authorized,
    /// The order is being placed: it may exist, so recovery sends it again (same key) and
    /// finishes forward instead of compensating.
    PlacingOrder,
    /// The order exists; its id and number are stored.
    OrderPlaced,
    /// Payment attached, stock committed, coupons redeemed, cart completed.
    Completed,
    /// Compensated: nothing is left reserved or authorized.
    Failed,
}

impl Step {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Started => "STARTED",
            Self::Reserved => "RESERVED",
            Self::Authorized => "AUTHORIZED",
            Self::PlacingOrder => "PLACING_ORDER",
            Self::OrderPlaced => "ORDER_PLACED",
            Self::Completed => "COMPLETED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(value: &str) -> Result<Self, CheckoutError> {
        Ok(match value {
            "STARTED" => Self::Started,
            "RESERVED" => Self::Reserved,
            "AUTHORIZED" => Self::Authorized,
            "PLACING_ORDER" => Self::PlacingOrder,
            "ORDER_PLACED" => Self::OrderPlaced,
            "COMPLETED" => Self::Completed,
            "FAILED" => Self::Failed,
            other => return Err(CheckoutError::unexpected(format!("saga step {other:?}"))),
        })
    }

    /// Whether a saga interrupted after this step is finished forward rather than compensated.
    pub fn goes_forward(self) -> bool {
        self >= Self::PlacingOrder
    }

    pub fn status(self) -> SagaStatus {
        match self {
            Self::Completed => SagaStatus::Succeeded,
            Self::Failed => SagaStatus::Failed,
            _ => SagaStatus::Running,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaStatus {
    Running,
    Succeeded,
    Failed,
}

impl SagaStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Succeeded => "SUCCEEDED",
            Self::Failed => "FAILED",
        }
    }
}

/// What a finished saga answered, stored so that a replay answers the same.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    Completed {
        order_id: String,
        order_number: String,
        payment_intent_id: String,
        /// Decimal amount and currency of what was authorized.
        total_amount: String,
        currency: String,
    },
    InsufficientStock {
        variant_id: String,
        requested: i32,
        available: i32,
    },
    PaymentDeclined {
        decline_code: String,
        message: String,
    },
    /// Any other failure: the code and message the client saw.
    Failed { code: String, message: String },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_round_trip_and_only_order_placement_onwards_goes_forward() {
        let all = [
            Step::Started,
            Step::Reserved,
            Step::Authorized,
            Step::PlacingOrder,
            Step::OrderPlaced,
            Step::Completed,
            Step::Failed,
        ];
        for step in all {
            assert_eq!(Step::parse(step.as_str()).ok(), Some(step));
        }
        assert!(!Step::Authorized.goes_forward());
        assert!(Step::PlacingOrder.goes_forward());
        assert_eq!(Step::Reserved.status(), SagaStatus::Running);
    }
}

/// One checkout saga as stored: unique per cart and idempotency key.
#[derive(Debug, Clone, PartialEq)]
pub struct Saga {
    pub id: i64,
    pub cart_id: i64,
    pub idempotency_key: String,
    /// SHA-256 of the request, to tell a replay from a different request with the same key.
    pub request_hash: String,
    pub step: Step,
    /// What the saga sends to orders (and how much it authorizes), fixed once priced, so a
    /// recovered saga places exactly the order it started.
    pub plan: Option<serde_json::Value>,
    pub reservation_key: Option<String>,
    pub payment_intent_id: Option<String>,
    pub order_id: Option<String>,
    pub order_number: Option<String>,
    pub outcome: Option<Outcome>,
}

impl Saga {
    /// Keys of the remote steps, derived from the saga's id so a resent step is a replay.
    pub fn key(&self, step: &str) -> String {
        format!("checkout-{}-{step}", self.id)
    }
}
