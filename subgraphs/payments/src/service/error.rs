//! What can go wrong in a payments use case, each with the stable code clients see.
//! Declines and refused movements are expected failures (union members); unknown ids, reused
//! keys and infrastructure are top-level errors.

use commerce_kernel::{DomainError, ErrorCode, KernelError, ValidationError};
use sea_orm::DbErr;

use crate::domain::RuleViolation;
use crate::provider::{FailureCode, ProviderFailure};

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error(transparent)]
    InvalidId(#[from] KernelError),
    #[error("payment intent {id} not found")]
    NotFound { id: String },
    #[error(transparent)]
    Refused(#[from] RuleViolation),
    /// The provider declined the authorization; the intent is stored as failed.
    #[error("{0}")]
    Declined(ProviderFailure),
    /// The provider refused a capture, void or refund; the ledger records the attempt.
    #[error("{0}")]
    ProviderFailed(ProviderFailure),
    #[error("idempotency key {key:?} was already used for a different request")]
    KeyReused { key: String },
    #[error("payment intent {id} is already attached to another order")]
    AttachedElsewhere { id: String },
    #[error("database error")]
    Database(#[from] DbErr),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl DomainError for PaymentError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidId(error) => error.code,
            Self::Invalid(_) | Self::Declined(_) => ErrorCode::BadUserInput,
            Self::Refused(RuleViolation::InvalidAmount { .. }) => ErrorCode::BadUserInput,
            Self::NotFound { .. } => ErrorCode::NotFound,
            Self::ProviderFailed(failure) if failure.code == FailureCode::ProviderUnavailable => {
                ErrorCode::ServiceUnavailable
            }
            Self::Refused(_)
            | Self::ProviderFailed(_)
            | Self::KeyReused { .. }
            | Self::AttachedElsewhere { .. } => ErrorCode::Conflict,
            Self::Database(_) | Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }
}

impl PaymentError {
    pub fn not_found(id: crate::domain::IntentId) -> Self {
        Self::NotFound { id: id.global() }
    }
}
