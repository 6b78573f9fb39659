//! Use cases of the checkout domain: carts (who may use which, lines checked against the
//! catalog and inventory), shipping zones and methods, cart totals from pricing, and the
//! checkout saga.

mod carts;
mod error;
mod quote;
mod saga;
mod shipping;

use std::sync::Arc;
use std::time::Duration;

use sea_orm::DatabaseConnection;
use tokio::sync::Semaphore;

pub use carts::{AddressSource, CartRef};
pub use error::CheckoutError;
pub use quote::{CartQuote, ShippingOption};
pub(crate) use saga::lease_duration;
pub use saga::{CheckoutRequest, RecoveryPass, SagaPoint, StepHook};
pub use shipping::{MethodInput, ZoneInput};

use crate::domain::Lease;
use crate::remote::Remote;

#[derive(Clone)]
pub struct CheckoutService {
    db: DatabaseConnection,
    remote: Remote,
    /// This instance's lease on the sagas it runs (a random id per service, so per process).
    lease: Lease,
    claims: saga::Claims,
    /// Turns to run a checkout. A rush queues here, holding nothing, instead of in the
    /// connection pools of this subgraph and the ones it calls, where waiting times out.
    turns: Arc<Semaphore>,
    hook: Option<StepHook>,
}

impl CheckoutService {
    pub(crate) fn new(
        db: DatabaseConnection,
        remote: Remote,
        lease: Duration,
        concurrent_checkouts: usize,
    ) -> Self {
        Self {
            db,
            remote,
            lease: Lease::generate(lease),
            claims: saga::Claims::default(),
            turns: Arc::new(Semaphore::new(concurrent_checkouts.max(1))),
            hook: None,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}
