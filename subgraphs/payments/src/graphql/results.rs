//! Failures as GraphQL sees them: declines and refused movements are members of the result
//! unions implementing `ErrorResult`; everything else is a top-level error with a stable code.

use async_graphql::{Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use super::types::{IntentStatus, Money, PaymentFailureReason};
use crate::domain::RuleViolation;
use crate::service::PaymentError;

/// What every expected failure returned as data has in common.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    InvalidPaymentInput(InvalidPaymentInput),
    PaymentDeclined(PaymentDeclined),
    ProviderFailed(ProviderFailed),
    InvalidPaymentState(InvalidPaymentState),
    CaptureExceedsAuthorized(CaptureExceedsAuthorized),
    RefundExceedsCaptured(RefundExceedsCaptured),
}

/// An input was rejected: which field and why.
#[derive(SimpleObject)]
pub struct InvalidPaymentInput {
    pub code: ErrorCode,
    pub message: String,
    /// The input field at fault, e.g. `amount.currency` or `idempotencyKey`.
    pub field: String,
}

/// The provider declined the authorization; nothing is held. `reason` says why
/// (`CARD_DECLINED`, `INSUFFICIENT_FUNDS`, `INVALID_CARD`).
#[derive(SimpleObject)]
pub struct PaymentDeclined {
    pub code: ErrorCode,
    pub message: String,
    pub reason: PaymentFailureReason,
}

/// The provider refused a capture, void or refund (e.g. `CAPTURE_FAILED`); the intent is as
/// it was, and the ledger records the attempt.
#[derive(SimpleObject)]
pub struct ProviderFailed {
    pub code: ErrorCode,
    pub message: String,
    pub reason: PaymentFailureReason,
}

/// The intent's status does not allow this movement (a capture after a void, a void after a
/// capture, a refund before any capture, ...).
#[derive(SimpleObject)]
pub struct InvalidPaymentState {
    pub code: ErrorCode,
    pub message: String,
    pub status: IntentStatus,
}

/// The capture asked for more than the authorization has left.
#[derive(SimpleObject)]
pub struct CaptureExceedsAuthorized {
    pub code: ErrorCode,
    pub message: String,
    /// What can still be captured.
    pub remaining: Money,
}

/// The refund asked for more than was captured and not yet refunded.
#[derive(SimpleObject)]
pub struct RefundExceedsCaptured {
    pub code: ErrorCode,
    pub message: String,
    /// What can still be refunded.
    pub refundable: Money,
}

impl ErrorResults<PaymentError> for ErrorResult {
    fn expected(error: PaymentError) -> Result<Self, PaymentError> {
        let code = error.code();
        let message = error.to_string();
        Ok(match error {
            PaymentError::Invalid(invalid) => Self::InvalidPaymentInput(InvalidPaymentInput {
                code,
                message: invalid.message,
                field: invalid.field,
            }),
            PaymentError::Refused(RuleViolation::InvalidAmount { field, message }) => {
                Self::InvalidPaymentInput(InvalidPaymentInput {
                    code,
                    message,
                    field: field.to_owned(),
                })
            }
            PaymentError::Declined(failure) => Self::PaymentDeclined(PaymentDeclined {
                code,
                message,
                reason: failure.code.into(),
            }),
            PaymentError::ProviderFailed(failure) => Self::ProviderFailed(ProviderFailed {
                code,
                message,
                reason: failure.code.into(),
            }),
            PaymentError::Refused(RuleViolation::InvalidState { status, .. }) => {
                Self::InvalidPaymentState(InvalidPaymentState {
                    code,
                    message,
                    status: status.into(),
                })
            }
            PaymentError::Refused(RuleViolation::CaptureExceedsAuthorized {
                remaining, ..
            }) => Self::CaptureExceedsAuthorized(CaptureExceedsAuthorized {
                code,
                message,
                remaining: remaining.into(),
            }),
            PaymentError::Refused(RuleViolation::RefundExceedsCaptured { refundable, .. }) => {
                Self::RefundExceedsCaptured(RefundExceedsCaptured {
                    code,
                    message,
                    refundable: refundable.into(),
                })
            }
            other => return Err(other),
        })
    }
}
