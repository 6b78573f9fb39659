//! Persistence: the only module that knows table layouts. Conditional updates live here as
//! single SQL statements so that concurrency safety never depends on a read that came before.

mod entities;
pub mod movements;
pub mod reservations;
pub mod stock;
pub mod warehouses;

use chrono::{DateTime, Utc};

/// Times are stored as Unix milliseconds (see the migration for why).
pub fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}
