//! Persistence: the only module that knows table layouts. Every batch read is one statement per
//! table whatever the number of ids, so GraphQL batches cost a constant number of queries.

pub mod coupons;
mod entities;
pub mod prices;
pub mod promotions;
pub mod taxes;

use chrono::{DateTime, Utc};
use commerce_kernel::{Currency, Money};

use crate::domain::{ValidationError, Window};

/// Times are stored as Unix milliseconds (see the migration for why).
fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}

fn window_from(starts_at: Option<i64>, ends_at: Option<i64>) -> Result<Window, StoreError> {
    Window::new(starts_at.map(from_millis), ends_at.map(from_millis))
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn currency_from(code: &str) -> Result<Currency, StoreError> {
    Currency::parse(code).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn money(amount: i64, currency: Currency) -> Money {
    Money::new(amount, currency)
}

/// Why a store call failed: a constraint the caller can fix, a missing row, or the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0} not found")]
    NotFound(String),
    #[error("stored data is unreadable: {0}")]
    Corrupt(String),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
}

/// Whether a database error is a unique-constraint violation, on either backend.
fn is_unique_violation(error: &sea_orm::DbErr) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
