//! The analytics error as clients see it (each variant's stable code), and database failures
//! as internal ones.

use commerce_kernel::{DomainError, ErrorCode};
use serde_json::json;

pub use crate::domain::AnalyticsError;

impl DomainError for AnalyticsError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidDate { .. }
            | Self::InvalidRange { .. }
            | Self::RangeTooLarge { .. }
            | Self::InvalidCurrency { .. }
            | Self::InvalidFirst { .. } => ErrorCode::BadUserInput,
            Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }

    /// A range refused for its length says so, and the limit, beside `BAD_USER_INPUT`.
    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            Self::RangeTooLarge { max, .. } => {
                vec![
                    ("reason", json!("RANGE_TOO_LARGE")),
                    ("maxDays", json!(max)),
                ]
            }
            _ => Vec::new(),
        }
    }
}

impl From<sea_orm::DbErr> for AnalyticsError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Unexpected(error.into())
    }
}
