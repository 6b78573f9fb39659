//! The webhooks error as clients see it (each variant's stable code), and database failures
//! as internal ones.

use commerce_kernel::{DomainError, ErrorCode};

pub use crate::domain::WebhooksError;

impl DomainError for WebhooksError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput { .. } | Self::UnknownEventType { .. } => ErrorCode::BadUserInput,
            Self::InvalidId(error) | Self::InvalidPage(error) => error.code,
            Self::EndpointNotFound { .. } | Self::DeliveryNotFound { .. } => ErrorCode::NotFound,
            Self::EndpointDisabled { .. } => ErrorCode::Conflict,
            Self::TargetNotAllowed { .. } => ErrorCode::Forbidden,
            Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }
}

impl From<sea_orm::DbErr> for WebhooksError {
    fn from(error: sea_orm::DbErr) -> Self {
        Self::Unexpected(error.into())
    }
}
