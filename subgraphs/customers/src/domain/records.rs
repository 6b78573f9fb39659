//! What the store reads back: plain records the service and GraphQL layers share.

use chrono::{DateTime, Utc};

use super::AddressInput;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub phone: Option<String>,
    pub default_shipping_address_id: Option<i64>,
    pub default_billing_address_id: Option<i64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    pub id: i64,
    pub customer_id: i64,
    pub fields: AddressInput,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerGroup {
    pub id: i64,
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WishlistItem {
    pub id: i64,
    pub customer_id: i64,
    pub product_id: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: i64,
    pub email: String,
    pub name: String,
    pub active: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRole {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub permissions: Vec<String>,
}

/// The stored hash of an account's password, when the account exists and may sign in.
pub struct Credentials {
    pub id: i64,
    pub password_hash: String,
}
