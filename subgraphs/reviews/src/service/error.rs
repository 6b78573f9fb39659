//! The reviews error as clients see it (each variant's stable code), and database failures
//! as internal ones.

use commerce_kernel::{DomainError, ErrorCode};

pub use crate::domain::ReviewError;

impl DomainError for ReviewError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidRating { .. }
            | Self::InvalidText { .. }
            | Self::InvalidProductId { .. }
            | Self::InvalidAuthorId { .. }
            | Self::InvalidReviewId { .. } => ErrorCode::BadUserInput,
            Self::InvalidPage(error) => error.code,
            Self::ReviewNotFound { .. } => ErrorCode::NotFound,
            Self::AlreadyReviewed { .. } | Self::ConcurrentModeration { .. } => ErrorCode::Conflict,
            Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }
}

impl From<sea_orm::DbErr> for ReviewError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Unexpected(error.into())
    }
}
