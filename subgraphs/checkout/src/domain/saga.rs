//! The checkout saga's durable state: the last step that took effect, and the stored outcome a
//! replay returns. Recovery reads only these: before the order is being placed, compensate;
//! from then on, finish forward (every remote step is idempotent by a key derived from the
//! saga's id, so sending one again is safe). The saga's lease says which checkout instance
//! runs it, and until when.

use std::time::Duration;

use rand::RngCore;
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

    fn saga(owner: Option<&str>, expires_at: Option<i64>) -> Saga {
        Saga {
            id: 7,
            cart_id: 1,
            idempotency_key: "k".to_owned(),
            request_hash: String::new(),
            step: Step::Reserved,
            plan: None,
            reservation_key: None,
            payment_intent_id: None,
            order_id: None,
            order_number: None,
            outcome: None,
            lease_owner: owner.map(str::to_owned),
            lease_expires_at: expires_at,
        }
    }

    #[test]
    fn a_saga_is_taken_only_without_a_live_lease_of_another_instance() {
        let me = Lease::generate(Duration::from_secs(20));
        let other = Lease::generate(Duration::from_secs(20));
        assert_ne!(me.owner(), other.owner(), "instances have their own ids");
        assert_eq!(me.owner().len(), 32);
        assert_eq!(me.expiry(1_000), 21_000);

        assert!(saga(None, None).may_take(&me, 5_000), "nobody runs it");
        assert!(
            saga(Some(me.owner()), Some(9_000)).may_take(&me, 5_000),
            "mine"
        );
        assert!(
            !saga(Some(other.owner()), Some(9_000)).may_take(&me, 5_000),
            "live"
        );
        assert!(
            saga(Some(other.owner()), Some(4_999)).may_take(&me, 5_000),
            "lapsed"
        );
        let mut finished = saga(None, None);
        finished.outcome = Some(Outcome::Failed {
            code: "X".to_owned(),
            message: String::new(),
        });
        assert!(
            !finished.may_take(&me, 5_000),
            "finished sagas stay finished"
        );
        assert_eq!(saga(None, None).payment_reference(), "checkout-7");
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
    /// The instance running the saga, and when its lease lapses (Unix ms); both `None` when
    /// nobody runs it.
    pub lease_owner: Option<String>,
    pub lease_expires_at: Option<i64>,
}

impl Saga {
    /// Keys of the remote steps, derived from the saga's id so a resent step is a replay.
    pub fn key(&self, step: &str) -> String {
        format!("checkout-{}-{step}", self.id)
    }

    /// The reference of the saga's payment: authorized under it, cancelled under it.
    pub fn payment_reference(&self) -> String {
        format!("checkout-{}", self.id)
    }

    /// Whether `lease`'s instance may run this saga at `now_ms`: it is unfinished, and no
    /// other instance holds a live lease on it. A pre-check only: the store's conditional
    /// take (the same rule in SQL) decides.
    pub fn may_take(&self, lease: &Lease, now_ms: i64) -> bool {
        self.outcome.is_none()
            && match &self.lease_owner {
                None => true,
                Some(owner) if owner == lease.owner() => true,
                Some(_) => self.lease_expires_at.is_some_and(|at| at < now_ms),
            }
    }
}

/// The lease a checkout instance takes on each saga it runs: the instance's id (random, one
/// per process) and how long a lease lasts once taken or renewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    owner: String,
    duration: Duration,
}

impl Lease {
    /// A lease for a new instance: 128 random bits, hex.
    pub fn generate(duration: Duration) -> Self {
        let mut bytes = [0u8; 16];
        rand::rng().fill_bytes(&mut bytes);
        Self {
            owner: hex::encode(bytes),
            duration,
        }
    }

    pub fn owner(&self) -> &str {
        &self.owner
    }

    pub fn duration(&self) -> Duration {
        self.duration
    }

    /// When a lease taken or renewed at `now_ms` lapses.
    pub fn expiry(&self, now_ms: i64) -> i64 {
        let millis = i64::try_from(self.duration.as_millis()).unwrap_or(i64::MAX);
        now_ms.saturating_add(millis)
    }
}
