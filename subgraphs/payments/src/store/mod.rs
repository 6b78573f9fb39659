//! Persistence: the only module that knows the payments tables. SQL is written once with `?`
//! placeholders for both backends; every function takes any connection or transaction, so the
//! service decides the boundaries.

pub mod intents;
pub mod ledger;
pub mod references;
pub mod webhook_events;

use chrono::{DateTime, Utc};

/// Times are stored as Unix milliseconds (see the migration for why).
pub fn to_millis(time: DateTime<Utc>) -> i64 {
    time.timestamp_millis()
}

pub fn from_millis(millis: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(millis).unwrap_or_default()
}
