//! The events customers publishes (stream `customers`), documented in `docs/events.md`. No
//! secret ever goes in one: no password hash, no token.

use chrono::{DateTime, SecondsFormat, Utc};
use commerce_kernel::GlobalId;
use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

/// The global id type of customers (`Customer:<n>`).
const CUSTOMER: &str = "Customer";
const ADDRESS: &str = "Address";

/// A customer account was created (not sent for a registration of a taken address).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRegistered {
    pub customer_id: String,
    pub email: String,
    /// RFC 3339.
    pub registered_at: String,
}

impl CustomerRegistered {
    pub fn new(customer_id: i64, email: &str, at: DateTime<Utc>) -> Self {
        Self {
            customer_id: GlobalId::encode(CUSTOMER, customer_id),
            email: email.to_owned(),
            registered_at: at.to_rfc3339_opts(SecondsFormat::Micros, true),
        }
    }
}

impl Event for CustomerRegistered {
    const TYPE: &'static str = "customers.customer_registered";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.customer_id.clone()
    }
}

/// What changed in a customer's account.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerChange {
    /// Name or phone.
    Profile,
    AddressAdded,
    AddressUpdated,
    AddressRemoved,
    /// A default shipping or billing address was set.
    DefaultAddress,
}

/// A customer's profile or address book changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerUpdated {
    pub customer_id: String,
    pub change: CustomerChange,
    /// The address concerned, for address changes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub address_id: Option<String>,
}

impl CustomerUpdated {
    pub fn profile(customer_id: i64) -> Self {
        Self {
            customer_id: GlobalId::encode(CUSTOMER, customer_id),
            change: CustomerChange::Profile,
            address_id: None,
        }
    }

    pub fn address(customer_id: i64, change: CustomerChange, address_id: i64) -> Self {
        Self {
            customer_id: GlobalId::encode(CUSTOMER, customer_id),
            change,
            address_id: Some(GlobalId::encode(ADDRESS, address_id)),
        }
    }
}

impl Event for CustomerUpdated {
    const TYPE: &'static str = "customers.customer_updated";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.customer_id.clone()
    }
}
