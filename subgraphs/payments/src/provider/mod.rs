//! Payment service providers behind one trait, so the use cases never know which one moves
//! the money. The built-in [`TestProvider`] (`"test"`) needs no outside service.

mod test;

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use commerce_kernel::Money;
use serde::{Deserialize, Serialize};

use crate::domain::CardSummary;

pub use test::TestProvider;

/// Why a provider refused an operation: a stable code and a message fit for the shopper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct ProviderFailure {
    pub code: FailureCode,
    pub message: String,
}

/// The provider's reasons, normalised across providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FailureCode {
    CardDeclined,
    InsufficientFunds,
    InvalidCard,
    /// The provider refused to capture an authorization it had granted.
    CaptureFailed,
    /// The provider did not answer or failed on its side.
    ProviderUnavailable,
    /// Not the provider's: the caller had cancelled the payment's reference (a checkout that
    /// gave up) before this authorization arrived, so the provider was not asked.
    ReferenceCancelled,
}

impl FailureCode {
    /// The GraphQL `PaymentFailureReason` value, as events carry it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CardDeclined => "CARD_DECLINED",
            Self::InsufficientFunds => "INSUFFICIENT_FUNDS",
            Self::InvalidCard => "INVALID_CARD",
            Self::CaptureFailed => "CAPTURE_FAILED",
            Self::ProviderUnavailable => "PROVIDER_UNAVAILABLE",
            Self::ReferenceCancelled => "REFERENCE_CANCELLED",
        }
    }
}

impl ProviderFailure {
    pub fn new(code: FailureCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// An authorization the provider granted: its reference and what the shop may keep of the
/// payment method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorization {
    pub reference: String,
    pub card: Option<CardSummary>,
}

/// An authorization the provider declined, with what the shop may keep of the method.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declined {
    pub failure: ProviderFailure,
    pub card: Option<CardSummary>,
}

/// A payment service provider. Each operation returns the provider's reference of the
/// movement, or why it refused; the caller records either in the ledger.
///
/// `key` is the shop's idempotency key of the request: a provider that supports idempotent
/// requests passes it on, so a retry after a lost answer never moves money twice. A provider
/// that cannot be reached answers [`FailureCode::ProviderUnavailable`]; the caller then keeps
/// nothing, so the same request may be retried with the same key.
#[async_trait]
pub trait PaymentProvider: Send + Sync {
    /// Holds `amount` on the payment method named by `token` (a card number for the test
    /// provider, a provider token otherwise).
    async fn authorize(
        &self,
        token: &str,
        amount: Money,
        key: &str,
    ) -> Result<Authorization, Declined>;

    /// Takes `amount` of the authorization `authorization`.
    async fn capture(
        &self,
        authorization: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, ProviderFailure>;

    /// Releases the authorization.
    async fn void(&self, authorization: &str, key: &str) -> Result<String, ProviderFailure>;

    /// Gives back `amount` of what was captured under `authorization`.
    async fn refund(
        &self,
        authorization: &str,
        amount: Money,
        key: &str,
    ) -> Result<String, ProviderFailure>;
}

/// The providers a deployment offers, by the name `PaymentMethodInput.provider` uses.
#[derive(Clone)]
pub struct Providers(BTreeMap<String, Arc<dyn PaymentProvider>>);

impl Default for Providers {
    /// Only the test provider.
    fn default() -> Self {
        let mut providers: BTreeMap<String, Arc<dyn PaymentProvider>> = BTreeMap::new();
        providers.insert(TestProvider::NAME.to_owned(), Arc::new(TestProvider));
        Self(providers)
    }
}

impl Providers {
    /// These providers and `provider` under `name` (a deployment's own, or a test double).
    pub fn with(mut self, name: &str, provider: Arc<dyn PaymentProvider>) -> Self {
        self.0.insert(name.to_owned(), provider);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn PaymentProvider>> {
        self.0.get(name)
    }

    pub fn names(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}
