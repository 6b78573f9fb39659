//! The analytics domain: days and ranges, the events it reads, and the fold of events into
//! rollups. No I/O.

mod day;
pub mod events;
pub mod fold;
pub mod reports;

pub use day::{DateRange, Day, MAX_RANGE_DAYS};

/// Everything an analytics use case can fail with; each variant maps to a stable code
/// (`service/error.rs`). Domain parsing fails with it too, so it is defined here.
#[derive(Debug, thiserror::Error)]
pub enum AnalyticsError {
    #[error("{value:?} is not a date (YYYY-MM-DD)")]
    InvalidDate { value: String },
    #[error("the range ends ({to}) before it starts ({from})")]
    InvalidRange { from: String, to: String },
    #[error("the range covers {days} days; at most {max} are allowed")]
    RangeTooLarge { days: i64, max: i64 },
    #[error("{value:?} is not an ISO 4217 currency")]
    InvalidCurrency { value: String },
    #[error("first must be between 1 and {max}, got {value}")]
    InvalidFirst { value: i32, max: i32 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
