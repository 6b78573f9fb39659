//! The events payments publishes (stream `payments`), documented in `docs/events.md`: one per
//! movement of an intent's money, each with the intent's reference and order so that other
//! domains can tie it to their own records.

use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

use super::{IntentStatus, PaymentIntent};

/// What every payment event says: the intent after the movement, and the movement's amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentMoved {
    pub intent_id: String,
    /// The caller's reference (`checkout-<id>` for a checkout's payment).
    pub reference: String,
    /// The order the intent is attached to; `null` until checkout attached it (always the
    /// case for an authorization).
    pub order_id: Option<String>,
    pub customer_id: Option<String>,
    pub currency: String,
    /// Decimal in the currency (`"19.99"`): what this movement moved.
    pub amount: String,
    /// The intent's status after the movement (`AUTHORIZED`, `CAPTURED`, ...).
    pub status: String,
    /// The intent's totals after the movement, decimals like `amount`.
    pub authorized: String,
    pub captured: String,
    pub refunded: String,
}

impl PaymentMoved {
    /// `after` is the intent as the movement left it; `moved` its amount in minor units.
    pub fn new(after: &PaymentIntent, moved: i64) -> Self {
        let decimal = |amount: i64| after.money(amount).to_decimal_string();
        Self {
            intent_id: after.id.global(),
            reference: after.reference.clone(),
            order_id: after.order_id.clone(),
            customer_id: after.customer_id.clone(),
            currency: after.currency.code().to_owned(),
            amount: decimal(moved),
            status: status_name(after.status).to_owned(),
            authorized: decimal(after.authorized),
            captured: decimal(after.captured),
            refunded: decimal(after.refunded),
        }
    }
}

/// The GraphQL `PaymentIntentStatus` value.
fn status_name(status: IntentStatus) -> &'static str {
    match status {
        IntentStatus::Authorized => "AUTHORIZED",
        IntentStatus::PartiallyCaptured => "PARTIALLY_CAPTURED",
        IntentStatus::Captured => "CAPTURED",
        IntentStatus::PartiallyRefunded => "PARTIALLY_REFUNDED",
        IntentStatus::Refunded => "REFUNDED",
        IntentStatus::Voided => "VOIDED",
        IntentStatus::Failed => "FAILED",
    }
}

/// One event type per movement, each the same [`PaymentMoved`] payload.
macro_rules! payment_event {
    ($(#[$doc:meta])* $name:ident = $type:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub PaymentMoved);

        impl Event for $name {
            const TYPE: &'static str = $type;
            const VERSION: u32 = 1;
            fn aggregate_id(&self) -> String {
                self.0.intent_id.clone()
            }
        }
    };
}

payment_event!(
    /// The provider authorized the amount.
    PaymentAuthorized = "payments.payment_authorized"
);
payment_event!(
    /// Part or all of the authorization was captured (a mutation or a provider webhook).
    PaymentCaptured = "payments.payment_captured"
);
payment_event!(
    /// Part or all of the capture was refunded (a mutation or a provider webhook).
    PaymentRefunded = "payments.payment_refunded"
);
payment_event!(
    /// The authorization was released (a void, or the cancellation of its reference).
    PaymentVoided = "payments.payment_voided"
);

/// An authorization was declined, or the provider reported the payment failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentFailed {
    #[serde(flatten)]
    pub payment: PaymentMoved,
    /// The GraphQL `PaymentFailureReason` (`CARD_DECLINED`, ...); `PROVIDER_REPORTED` when a
    /// provider webhook said the payment failed.
    pub reason: String,
}

impl Event for PaymentFailed {
    const TYPE: &'static str = "payments.payment_failed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.payment.intent_id.clone()
    }
}
