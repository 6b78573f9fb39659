//! GraphQL output types: the `PaymentIntent` entity and its ledger, `Money` (shared with
//! pricing), and the `Order` stub whose `payments` this subgraph contributes. Built from
//! domain values, never from rows.

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, InputObject, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::GlobalId;
use commerce_kernel::pagination::{Cursor, Page, TotalCount, connection};

use super::access;
use super::entities::OrderBatch;
use super::loaders::LedgerLoader;
use crate::domain::{self, IntentId};
use crate::provider::FailureCode;
use crate::service::IntentFilter;

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

/// An amount as a decimal string in a currency, e.g. `{currency: "EUR", amount: "19.90"}`.
#[derive(InputObject, Clone, Debug)]
pub struct MoneyInput {
    pub currency: String,
    pub amount: String,
}

/// How a payment is made. For the built-in `test` provider the token is the card number
/// (spaces allowed): `4242424242424242` succeeds, `4000000000000002` is declined,
/// `4000000000009995` has insufficient funds, `4000000000000341` fails on capture, any
/// other number is invalid.
#[derive(InputObject, Clone, Debug)]
pub struct PaymentMethodInput {
    #[graphql(default = "test")]
    pub provider: String,
    pub token: String,
}

/// Where an intent's money stands.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "PaymentIntentStatus")]
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
    /// The authorization was declined, or the provider reported the payment failed.
    Failed,
}

impl From<IntentStatus> for domain::IntentStatus {
    fn from(status: IntentStatus) -> Self {
        match status {
            IntentStatus::Authorized => Self::Authorized,
            IntentStatus::PartiallyCaptured => Self::PartiallyCaptured,
            IntentStatus::Captured => Self::Captured,
            IntentStatus::PartiallyRefunded => Self::PartiallyRefunded,
            IntentStatus::Refunded => Self::Refunded,
            IntentStatus::Voided => Self::Voided,
            IntentStatus::Failed => Self::Failed,
        }
    }
}

impl From<domain::IntentStatus> for IntentStatus {
    fn from(status: domain::IntentStatus) -> Self {
        use domain::IntentStatus as S;
        match status {
            S::Authorized => Self::Authorized,
            S::PartiallyCaptured => Self::PartiallyCaptured,
            S::Captured => Self::Captured,
            S::PartiallyRefunded => Self::PartiallyRefunded,
            S::Refunded => Self::Refunded,
            S::Voided => Self::Voided,
            S::Failed => Self::Failed,
        }
    }
}

/// What a ledger entry records.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "PaymentLedgerEntryKind")]
pub enum LedgerKind {
    /// The provider holds the amount.
    Authorization,
    /// The provider declined to hold it; nothing is held.
    AuthorizationDeclined,
    Capture,
    /// The provider refused a capture; the authorization stands.
    CaptureFailed,
    /// The authorization was released.
    Void,
    Refund,
    /// The provider reported the payment failed.
    Failure,
}

impl From<domain::LedgerKind> for LedgerKind {
    fn from(kind: domain::LedgerKind) -> Self {
        use domain::LedgerKind as K;
        match kind {
            K::Authorization => Self::Authorization,
            K::AuthorizationDeclined => Self::AuthorizationDeclined,
            K::Capture => Self::Capture,
            K::CaptureFailed => Self::CaptureFailed,
            K::Void => Self::Void,
            K::Refund => Self::Refund,
            K::Failure => Self::Failure,
        }
    }
}

/// Why the provider refused, the same for every provider (or, for `REFERENCE_CANCELLED`, why
/// payments refused without asking it).
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentFailureReason {
    CardDeclined,
    InsufficientFunds,
    InvalidCard,
    CaptureFailed,
    ProviderUnavailable,
    /// The caller cancelled the payment's reference before this authorization arrived.
    ReferenceCancelled,
}

impl From<FailureCode> for PaymentFailureReason {
    fn from(code: FailureCode) -> Self {
        match code {
            FailureCode::CardDeclined => Self::CardDeclined,
            FailureCode::InsufficientFunds => Self::InsufficientFunds,
            FailureCode::InvalidCard => Self::InvalidCard,
            FailureCode::CaptureFailed => Self::CaptureFailed,
            FailureCode::ProviderUnavailable => Self::ProviderUnavailable,
            FailureCode::ReferenceCancelled => Self::ReferenceCancelled,
        }
    }
}

/// A payment reference cancelled (internal): every intent made under it, voided where it
/// held an authorization.
#[derive(SimpleObject, Clone, Debug)]
pub struct PaymentReferenceCancelled {
    pub reference: String,
    pub intents: Vec<PaymentIntent>,
}

impl From<crate::service::ReferenceCancelled> for PaymentReferenceCancelled {
    fn from(cancelled: crate::service::ReferenceCancelled) -> Self {
        Self {
            reference: cancelled.reference,
            intents: cancelled.intents.into_iter().map(Into::into).collect(),
        }
    }
}

/// What the shop keeps of the payment method: never a full card number.
#[derive(SimpleObject, Clone, Debug)]
pub struct PaymentMethod {
    /// The provider that holds the money, e.g. `test`.
    pub provider: String,
    /// `visa`, `mastercard`, `amex` or `unknown`; null when the token was no card number.
    pub brand: Option<String>,
    pub last4: Option<String>,
}

/// A payment for one purchase: the amount the provider authorized, then what was captured
/// and refunded of it. Amounts are in the intent's currency.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct PaymentIntent {
    pub id: ID,
    /// The caller's reference, such as the checkout it pays for.
    pub reference: String,
    /// The order it paid for, once attached.
    pub order_id: Option<ID>,
    pub customer_id: Option<ID>,
    pub email: Option<String>,
    /// ISO 4217 code.
    pub currency: String,
    pub amount_authorized: Money,
    pub amount_captured: Money,
    pub amount_refunded: Money,
    /// Captured and not yet refunded.
    pub amount_refundable: Money,
    pub status: IntentStatus,
    pub payment_method: PaymentMethod,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub key: IntentId,
}

#[ComplexObject]
impl PaymentIntent {
    /// Every movement of this intent's money, oldest first.
    async fn ledger(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PaymentLedgerEntry>> {
        let entries = ctx
            .data_unchecked::<DataLoader<LedgerLoader>>()
            .load_one(self.key)
            .await?
            .unwrap_or_default();
        Ok(entries.into_iter().map(PaymentLedgerEntry::from).collect())
    }
}

impl From<domain::PaymentIntent> for PaymentIntent {
    fn from(intent: domain::PaymentIntent) -> Self {
        let card = intent.card.clone();
        Self {
            id: ID(intent.id.global()),
            reference: intent.reference.clone(),
            order_id: intent.order_id.clone().map(ID),
            customer_id: intent.customer_id.clone().map(ID),
            email: intent.email.clone(),
            currency: intent.currency.code().to_owned(),
            amount_authorized: intent.money(intent.authorized).into(),
            amount_captured: intent.money(intent.captured).into(),
            amount_refunded: intent.money(intent.refunded).into(),
            amount_refundable: intent.money(intent.captured - intent.refunded).into(),
            status: intent.status.into(),
            payment_method: PaymentMethod {
                provider: intent.provider.clone(),
                brand: card.as_ref().map(|card| card.brand.clone()),
                last4: card.map(|card| card.last4),
            },
            created_at: intent.created_at,
            updated_at: intent.updated_at,
            key: intent.id,
        }
    }
}

pub type PaymentIntentConnection = Connection<String, PaymentIntent, TotalCount>;

/// Builds a connection of intents; an intent's cursor is its id (the list is newest first).
pub fn intent_connection(page: Page<domain::PaymentIntent>, total: i64) -> PaymentIntentConnection {
    connection(
        page.map(PaymentIntent::from),
        |intent| Cursor(vec![intent.key.0.into()]),
        total,
    )
}

/// What to search intents by; every field given must match.
#[derive(InputObject, Default)]
pub struct PaymentIntentFilter {
    pub status: Option<IntentStatus>,
    /// The caller's reference, such as a checkout id.
    pub reference: Option<String>,
    pub order_id: Option<ID>,
    pub customer_id: Option<ID>,
}

impl From<PaymentIntentFilter> for IntentFilter {
    fn from(filter: PaymentIntentFilter) -> Self {
        Self {
            status: filter.status.map(domain::IntentStatus::from),
            reference: filter.reference,
            order_id: filter.order_id.map(|id| id.0),
            customer_id: filter.customer_id.map(|id| id.0),
        }
    }
}

/// One movement of an intent's money.
#[derive(SimpleObject, Clone, Debug)]
pub struct PaymentLedgerEntry {
    pub id: ID,
    pub kind: LedgerKind,
    pub amount: Money,
    /// The provider's reference of the movement.
    pub provider_reference: Option<String>,
    /// The idempotency key of the mutation that made it.
    pub idempotency_key: Option<String>,
    /// The provider event that made it, for movements reported by webhook.
    pub webhook_event_id: Option<String>,
    /// A refund's reason, or the provider's message on a refusal.
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<domain::LedgerEntry> for PaymentLedgerEntry {
    fn from(entry: domain::LedgerEntry) -> Self {
        Self {
            id: ID(GlobalId::encode("PaymentLedgerEntry", entry.id)),
            kind: entry.kind.into(),
            amount: entry.amount.into(),
            provider_reference: entry.provider_reference,
            idempotency_key: entry.idempotency_key,
            webhook_event_id: entry.webhook_event_id,
            note: entry.note,
            created_at: entry.created_at,
        }
    }
}

/// An order; the orders subgraph owns it. This subgraph adds the payments made for it.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Order {
    pub id: ID,
    #[graphql(skip)]
    pub batch: Arc<OrderBatch>,
}

#[ComplexObject]
impl Order {
    /// The payment intents attached to this order, oldest first. Staff with `payments:read`
    /// see them all; a customer sees those they paid; anyone else gets an empty list (the
    /// orders subgraph decides who sees the order itself).
    async fn payments(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<PaymentIntent>> {
        let viewer = access::viewer(ctx);
        let intents = self.batch.payments(&self.id).await?;
        Ok(intents
            .into_iter()
            .filter(|intent| access::may_read(viewer, intent))
            .map(PaymentIntent::from)
            .collect())
    }
}
