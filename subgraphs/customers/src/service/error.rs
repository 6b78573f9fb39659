//! The customers error as clients see it (each variant's stable code, and when to retry a
//! rate-limited sign-in), and database failures as internal ones.

use commerce_kernel::{DomainError, ErrorCode};

pub use crate::domain::CustomerError;

impl DomainError for CustomerError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidEmail(_)
            | Self::WeakPassword(_)
            | Self::InvalidResetToken
            | Self::InvalidInput { .. } => ErrorCode::BadUserInput,
            Self::InvalidCredentials | Self::InvalidRefreshToken => ErrorCode::Unauthenticated,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::Conflict(_) => ErrorCode::Conflict,
            Self::Kernel(error) => error.code,
            Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }

    fn extensions(&self) -> Vec<(&'static str, serde_json::Value)> {
        match self {
            Self::RateLimited { retry_after_secs } => {
                vec![("retryAfterSeconds", (*retry_after_secs).into())]
            }
            _ => Vec::new(),
        }
    }
}

impl From<sea_orm::DbErr> for CustomerError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Unexpected(error.into())
    }
}
