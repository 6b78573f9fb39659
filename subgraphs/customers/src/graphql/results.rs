//! Failures as GraphQL sees them: the expected ones of sign-up, sign-in and password reset are
//! members of result unions implementing `ErrorResult`; everything else is a top-level error
//! with a stable `extensions.code` (RATE_LIMITED also carries `retryAfterSeconds`).

use async_graphql::{Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use crate::service::CustomerError;

/// What every expected failure returned as data has in common.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    InvalidCredentials(InvalidCredentials),
    InvalidEmail(InvalidEmail),
    WeakPassword(WeakPassword),
    InvalidField(InvalidField),
    InvalidResetToken(InvalidResetToken),
}

/// The email or password is wrong. Deliberately the same for an unknown email.
#[derive(SimpleObject)]
pub struct InvalidCredentials {
    pub code: ErrorCode,
    pub message: String,
}

/// The email address is not plausible.
#[derive(SimpleObject)]
pub struct InvalidEmail {
    pub code: ErrorCode,
    pub message: String,
}

/// The password does not meet the policy: 10 to 128 characters, not one repeated character,
/// not a common password, not containing the email.
#[derive(SimpleObject)]
pub struct WeakPassword {
    pub code: ErrorCode,
    pub message: String,
}

/// Another field is empty or too long.
#[derive(SimpleObject)]
pub struct InvalidField {
    pub code: ErrorCode,
    pub message: String,
    pub field: String,
}

/// The reset token is unknown, expired or already used.
#[derive(SimpleObject)]
pub struct InvalidResetToken {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorResults<CustomerError> for ErrorResult {
    fn expected(error: CustomerError) -> Result<Self, CustomerError> {
        let code = error.code();
        let message = error.to_string();
        Ok(match error {
            CustomerError::InvalidCredentials => {
                Self::InvalidCredentials(InvalidCredentials { code, message })
            }
            CustomerError::InvalidEmail(_) => Self::InvalidEmail(InvalidEmail { code, message }),
            CustomerError::WeakPassword(_) => Self::WeakPassword(WeakPassword { code, message }),
            CustomerError::InvalidInput { field, .. } => Self::InvalidField(InvalidField {
                code,
                message,
                field: field.to_owned(),
            }),
            CustomerError::InvalidResetToken => {
                Self::InvalidResetToken(InvalidResetToken { code, message })
            }
            other => return Err(other),
        })
    }
}
