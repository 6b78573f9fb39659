//! Use cases of the customers domain: sign-up and sign-in, sessions and tokens, password reset,
//! the account (profile, address book, wishlist) and staff administration. Each returns
//! `Result<_, CustomerError>`; transactions and token rotation rules live here.

pub mod account;
pub mod admin;
pub mod auth;
mod error;
pub mod mailer;
pub mod passwords;
pub mod rate_limit;
pub mod revocation;
pub mod tokens;

use std::sync::Arc;

use commerce_kernel::GlobalId;
use commerce_kernel::mail::Mailer;
use sea_orm::DatabaseConnection;

pub use error::CustomerError;

use crate::Settings;
use passwords::Passwords;
use rate_limit::RateLimiter;
use revocation::Revocations;
use tokens::TokenIssuer;

/// The customers use cases over what they need; cheap to clone.
#[derive(Clone)]
pub struct CustomersService {
    pub db: DatabaseConnection,
    pub(crate) tokens: Arc<TokenIssuer>,
    pub(crate) passwords: Arc<Passwords>,
    pub(crate) limiter: Arc<dyn RateLimiter>,
    pub(crate) mailer: Arc<dyn Mailer>,
    pub(crate) settings: Arc<Settings>,
    /// The deny list of access tokens; tests swap it for one of their own.
    pub revocations: Revocations,
}

/// Global id type names this subgraph owns.
pub mod ids {
    pub const CUSTOMER: &str = "Customer";
    pub const ADDRESS: &str = "Address";
    pub const CUSTOMER_GROUP: &str = "CustomerGroup";
    pub const STAFF_MEMBER: &str = "StaffMember";
    pub const STAFF_ROLE: &str = "StaffRole";
    pub const WISHLIST_ITEM: &str = "WishlistItem";
    /// Owned by the catalog; only checked for shape here.
    pub const PRODUCT: &str = "Product";
}

/// An account that can sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Account {
    Customer(i64),
    Staff(i64),
}

impl Account {
    pub fn global_id(self) -> String {
        match self {
            Self::Customer(id) => GlobalId::encode(ids::CUSTOMER, id),
            Self::Staff(id) => GlobalId::encode(ids::STAFF_MEMBER, id),
        }
    }

    /// The account a token's subject names.
    pub fn from_subject(subject: &str, kind: &str) -> Result<Self, CustomerError> {
        match kind {
            "customer" => Ok(Self::Customer(GlobalId::decode(subject, ids::CUSTOMER)?)),
            "staff" => Ok(Self::Staff(GlobalId::decode(subject, ids::STAFF_MEMBER)?)),
            other => Err(anyhow::anyhow!("unknown account kind {other:?}").into()),
        }
    }

    pub fn kind(self) -> &'static str {
        match self {
            Self::Customer(_) => "customer",
            Self::Staff(_) => "staff",
        }
    }
}

/// Decodes a global id of `type_name` that the client sent.
pub fn decode_id(value: &str, type_name: &str) -> Result<i64, CustomerError> {
    Ok(GlobalId::decode(value, type_name)?)
}
