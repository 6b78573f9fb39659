//! Failures as GraphQL sees them: the expected ones of sign-up, sign-in and password reset are
//! members of result unions implementing `ErrorResult`; everything else is a top-level error
//! with a stable `extensions.code` (RATE_LIMITED also carries `retryAfterSeconds`).

use async_graphql::{ErrorExtensions, Interface, SimpleObject};
use commerce_kernel::ErrorCode;
use commerce_kernel::error::{client_error, internal_error};

use crate::domain::CustomerError;

/// A top-level error: the client's fault keeps its message and code, ours is masked.
pub fn top_level(error: CustomerError) -> async_graphql::Error {
    match error {
        CustomerError::Unexpected(cause) => internal_error(cause.as_ref()),
        CustomerError::RateLimited { retry_after_secs } => {
            client_error(error.code(), error.to_string()).extend_with(|_, ext| {
                ext.set("retryAfterSeconds", retry_after_secs);
            })
        }
        other => client_error(other.code(), other.to_string()),
    }
}

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

/// A failure a result union can carry, or the top-level error for anything else.
pub enum Failure {
    Expected(ErrorResult),
    TopLevel(async_graphql::Error),
}

impl From<CustomerError> for Failure {
    fn from(error: CustomerError) -> Self {
        let code = error.code();
        let message = error.to_string();
        Self::Expected(match error {
            CustomerError::InvalidCredentials => {
                ErrorResult::InvalidCredentials(InvalidCredentials { code, message })
            }
            CustomerError::InvalidEmail(_) => {
                ErrorResult::InvalidEmail(InvalidEmail { code, message })
            }
            CustomerError::WeakPassword(_) => {
                ErrorResult::WeakPassword(WeakPassword { code, message })
            }
            CustomerError::InvalidInput { field, .. } => ErrorResult::InvalidField(InvalidField {
                code,
                message,
                field: field.to_owned(),
            }),
            CustomerError::InvalidResetToken => {
                ErrorResult::InvalidResetToken(InvalidResetToken { code, message })
            }
            other => return Self::TopLevel(top_level(other)),
        })
    }
}
