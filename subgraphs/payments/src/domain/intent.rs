//! Payment intents and the rules of their money: captured never exceeds authorized, refunded
//! never exceeds captured, no capture after a void and no void after a capture. The rules are
//! pure functions of an intent's amounts and status; the service applies them to a locked row.

use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, GlobalId, KernelError, Money};
use serde::{Deserialize, Serialize};

use super::card::CardSummary;

/// The database key of a payment intent; its global id is `PaymentIntent:<n>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct IntentId(pub i64);

impl IntentId {
    pub const TYPE: &'static str = "PaymentIntent";

    pub fn parse(id: &str) -> Result<Self, KernelError> {
        GlobalId::decode(id, Self::TYPE).map(Self)
    }

    pub fn global(self) -> String {
        GlobalId::encode(Self::TYPE, self.0)
    }
}

/// Where an intent's money stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum IntentStatus {
    /// Authorized, nothing captured yet.
    Authorized,
    /// Part of the authorization captured; more may be.
    PartiallyCaptured,
    /// All of the authorization captured.
    Captured,
    /// Part of the capture refunded.
    PartiallyRefunded,
    /// All of the capture refunded.
    Refunded,
    /// The authorization was released before any capture.
    Voided,
    /// The authorization was declined, or the provider reported it failed.
    Failed,
}

impl IntentStatus {
    pub const ALL: [Self; 7] = [
        Self::Authorized,
        Self::PartiallyCaptured,
        Self::Captured,
        Self::PartiallyRefunded,
        Self::Refunded,
        Self::Voided,
        Self::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorized => "authorized",
            Self::PartiallyCaptured => "partially_captured",
            Self::Captured => "captured",
            Self::PartiallyRefunded => "partially_refunded",
            Self::Refunded => "refunded",
            Self::Voided => "voided",
            Self::Failed => "failed",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
    }

    /// The status of a live (neither voided nor failed) intent with these amounts.
    fn of_amounts(authorized: i64, captured: i64, refunded: i64) -> Self {
        if refunded > 0 {
            if refunded == captured {
                Self::Refunded
            } else {
                Self::PartiallyRefunded
            }
        } else if captured == 0 {
            Self::Authorized
        } else if captured == authorized {
            Self::Captured
        } else {
            Self::PartiallyCaptured
        }
    }
}

/// One movement of an intent's money, as the ledger records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LedgerKind {
    /// The provider authorized the amount.
    Authorization,
    /// The provider declined the authorization; nothing is held.
    AuthorizationDeclined,
    Capture,
    /// The provider refused a capture; the authorization stands.
    CaptureFailed,
    /// The authorization was released.
    Void,
    Refund,
    /// The provider reported the payment failed (a webhook).
    Failure,
}

impl LedgerKind {
    pub const ALL: [Self; 7] = [
        Self::Authorization,
        Self::AuthorizationDeclined,
        Self::Capture,
        Self::CaptureFailed,
        Self::Void,
        Self::Refund,
        Self::Failure,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Authorization => "authorization",
            Self::AuthorizationDeclined => "authorization_declined",
            Self::Capture => "capture",
            Self::CaptureFailed => "capture_failed",
            Self::Void => "void",
            Self::Refund => "refund",
            Self::Failure => "failure",
        }
    }

    pub fn from_stored(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == value)
    }
}

/// A payment intent as stored: amounts in minor units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentIntent {
    pub id: IntentId,
    pub reference: String,
    pub order_id: Option<String>,
    pub customer_id: Option<String>,
    pub email: Option<String>,
    pub currency: Currency,
    pub authorized: i64,
    pub captured: i64,
    pub refunded: i64,
    pub status: IntentStatus,
    pub provider: String,
    pub provider_reference: Option<String>,
    pub card: Option<CardSummary>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One row of an intent's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: i64,
    pub intent_id: IntentId,
    pub kind: LedgerKind,
    pub amount: Money,
    pub provider_reference: Option<String>,
    pub idempotency_key: Option<String>,
    pub webhook_event_id: Option<String>,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Why a movement is refused; the intent is left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleViolation {
    #[error("payment is {} and cannot be {action}", status.as_str())]
    InvalidState {
        status: IntentStatus,
        action: &'static str,
    },
    #[error(
        "capturing {requested} would exceed the authorization; {remaining} can still be captured"
    )]
    CaptureExceedsAuthorized { requested: Money, remaining: Money },
    #[error("refunding {requested} would exceed the capture; {refundable} can still be refunded")]
    RefundExceedsCaptured { requested: Money, refundable: Money },
    #[error("{field}: {message}")]
    InvalidAmount {
        field: &'static str,
        message: String,
    },
}

impl PaymentIntent {
    pub fn money(&self, amount: i64) -> Money {
        Money::new(amount, self.currency)
    }

    /// Parses a capture or refund amount in this intent's currency.
    fn requested(
        &self,
        field: &'static str,
        amount: Option<&str>,
    ) -> Result<Option<i64>, RuleViolation> {
        amount
            .map(|value| {
                super::parse_amount(field, value, self.currency)
                    .map(|money| money.amount)
                    .map_err(|error| RuleViolation::InvalidAmount {
                        field,
                        message: error.message,
                    })
            })
            .transpose()
    }

    /// The amount a capture takes (`None`: all that is left) and the intent after it.
    pub fn capture(&self, amount: Option<&str>) -> Result<(i64, Self), RuleViolation> {
        if !matches!(
            self.status,
            IntentStatus::Authorized | IntentStatus::PartiallyCaptured
        ) {
            return Err(self.invalid_state("captured"));
        }
        let remaining = self.authorized - self.captured;
        let amount = self.requested("amount", amount)?.unwrap_or(remaining);
        if amount > remaining {
            return Err(RuleViolation::CaptureExceedsAuthorized {
                requested: self.money(amount),
                remaining: self.money(remaining),
            });
        }
        Ok((
            amount,
            self.with_amounts(self.captured + amount, self.refunded),
        ))
    }

    /// The amount a refund returns (`None`: all captured and not yet refunded) and the intent
    /// after it.
    pub fn refund(&self, amount: Option<&str>) -> Result<(i64, Self), RuleViolation> {
        if !matches!(
            self.status,
            IntentStatus::PartiallyCaptured
                | IntentStatus::Captured
                | IntentStatus::PartiallyRefunded
        ) {
            return Err(self.invalid_state("refunded"));
        }
        let refundable = self.captured - self.refunded;
        let amount = self.requested("amount", amount)?.unwrap_or(refundable);
        if amount > refundable {
            return Err(RuleViolation::RefundExceedsCaptured {
                requested: self.money(amount),
                refundable: self.money(refundable),
            });
        }
        Ok((
            amount,
            self.with_amounts(self.captured, self.refunded + amount),
        ))
    }

    /// The intent with its authorization released; only before anything was captured.
    pub fn void(&self) -> Result<Self, RuleViolation> {
        if self.status != IntentStatus::Authorized {
            return Err(self.invalid_state("voided"));
        }
        Ok(Self {
            status: IntentStatus::Voided,
            ..self.clone()
        })
    }

    /// The intent marked failed by the provider; only while nothing was captured.
    pub fn fail(&self) -> Result<Self, RuleViolation> {
        if self.status != IntentStatus::Authorized {
            return Err(self.invalid_state("marked failed"));
        }
        Ok(Self {
            status: IntentStatus::Failed,
            ..self.clone()
        })
    }

    fn with_amounts(&self, captured: i64, refunded: i64) -> Self {
        Self {
            captured,
            refunded,
            status: IntentStatus::of_amounts(self.authorized, captured, refunded),
            ..self.clone()
        }
    }

    fn invalid_state(&self, action: &'static str) -> RuleViolation {
        RuleViolation::InvalidState {
            status: self.status,
            action,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn intent(authorized: i64) -> PaymentIntent {
        PaymentIntent {
            id: IntentId(1),
            reference: "checkout-1".into(),
            order_id: None,
            customer_id: None,
            email: None,
            currency: Currency::parse("EUR").expect("EUR is known"),
            authorized,
            captured: 0,
            refunded: 0,
            status: IntentStatus::Authorized,
            provider: "test".into(),
            provider_reference: None,
            card: None,
            created_at: DateTime::UNIX_EPOCH,
            updated_at: DateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn captures_in_parts_up_to_the_authorization() {
        let (amount, partly) = intent(1000).capture(Some("4.00")).expect("fits");
        assert_eq!(
            (amount, partly.status),
            (400, IntentStatus::PartiallyCaptured)
        );
        let exceeded = partly.capture(Some("6.01"));
        assert!(matches!(
            exceeded,
            Err(RuleViolation::CaptureExceedsAuthorized { remaining, .. }) if remaining.amount == 600
        ));
        let (rest, full) = partly.capture(None).expect("the rest");
        assert_eq!(
            (rest, full.captured, full.status),
            (600, 1000, IntentStatus::Captured)
        );
        assert!(matches!(
            full.capture(None),
            Err(RuleViolation::InvalidState { .. })
        ));
    }

    #[test]
    fn refunds_never_exceed_the_capture() {
        let (_, captured) = intent(1000).capture(Some("8.00")).expect("fits");
        assert!(matches!(
            intent(1000).refund(None),
            Err(RuleViolation::InvalidState { .. })
        ));
        let (_, partly) = captured.refund(Some("3.00")).expect("fits");
        assert_eq!(partly.status, IntentStatus::PartiallyRefunded);
        assert!(matches!(
            partly.refund(Some("5.01")),
            Err(RuleViolation::RefundExceedsCaptured { refundable, .. }) if refundable.amount == 500
        ));
        let (rest, refunded) = partly.refund(None).expect("the rest");
        assert_eq!((rest, refunded.status), (500, IntentStatus::Refunded));
        // No capture once refunds started: the captured amount is what refunds are against.
        assert!(partly.capture(None).is_err());
    }

    #[test]
    fn voids_only_before_any_capture_and_never_captures_after_a_void() {
        let voided = intent(1000).void().expect("voids");
        assert_eq!(voided.status, IntentStatus::Voided);
        assert!(voided.capture(None).is_err());
        assert!(voided.void().is_err());
        let (_, captured) = intent(1000).capture(Some("1.00")).expect("fits");
        assert!(captured.void().is_err());
    }

    #[test]
    fn rejects_amounts_that_are_not_positive_decimals_of_the_currency() {
        for amount in ["0", "-1.00", "1.001", "ten"] {
            assert!(
                matches!(
                    intent(1000).capture(Some(amount)),
                    Err(RuleViolation::InvalidAmount { .. })
                ),
                "{amount}"
            );
        }
    }

    #[test]
    fn stored_names_round_trip() {
        for status in IntentStatus::ALL {
            assert_eq!(IntentStatus::from_stored(status.as_str()), Some(status));
        }
        for kind in LedgerKind::ALL {
            assert_eq!(LedgerKind::from_stored(kind.as_str()), Some(kind));
        }
    }
}
