//! What a pricing use case can fail with, each with the stable code clients see.

use commerce_kernel::{DomainError, ErrorCode};

use crate::domain::{PricingError, ValidationError};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0} not found")]
    NotFound(String),
    #[error(transparent)]
    Pricing(#[from] PricingError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl DomainError for ServiceError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) | Self::Pricing(_) => ErrorCode::BadUserInput,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid(e) => Self::Invalid(e),
            StoreError::NotFound(what) => Self::NotFound(what),
            other => Self::Unexpected(anyhow::Error::new(other)),
        }
    }
}
