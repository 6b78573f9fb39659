//! Use cases of the checkout domain: carts (who may use which, lines checked against the
//! catalog and inventory), shipping zones and methods, cart totals from pricing, and the
//! checkout saga.

mod carts;
mod error;
mod quote;
mod saga;
mod shipping;

use sea_orm::DatabaseConnection;

pub use carts::{AddressSource, CartRef};
pub use error::CheckoutError;
pub use quote::{CartQuote, ShippingOption};
pub use saga::{CheckoutRequest, StepHook};
pub use shipping::{MethodInput, ZoneInput};

use crate::remote::Remote;

#[derive(Clone)]
pub struct CheckoutService {
    db: DatabaseConnection,
    remote: Remote,
    claims: saga::Claims,
    hook: Option<StepHook>,
}

impl CheckoutService {
    pub(crate) fn new(db: DatabaseConnection, remote: Remote) -> Self {
        Self {
            db,
            remote,
            claims: saga::Claims::default(),
            hook: None,
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }
}
