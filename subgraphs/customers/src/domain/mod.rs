//! The customers domain: values that cannot be invalid once built, the password policy, and
//! the error every use case returns, and the events the domain publishes. No I/O here.

mod address;
mod email;
pub mod events;
mod names;
mod password;
mod records;
mod token;

pub use address::{AddressInput, AddressKind, RawAddress};
pub use email::Email;
pub use names::{GroupCode, KNOWN_PERMISSIONS, Permission, RoleCode};
pub use password::{HashingParams, Password, PasswordHasher};
pub use records::{
    Address, Credentials, Customer, CustomerGroup, StaffMember, StaffRole, WishlistItem,
};
pub use token::OpaqueToken;

use commerce_kernel::KernelError;

/// Everything a customers use case can fail with; each variant has a stable client code
/// (`service/error.rs`). Domain parsing fails with it too, so it is defined here.
#[derive(Debug, thiserror::Error)]
pub enum CustomerError {
    #[error("{0}")]
    InvalidEmail(String),
    #[error("{0}")]
    WeakPassword(String),
    /// The same message for an unknown email and a wrong password, so neither reveals which.
    #[error("the email or password is incorrect")]
    InvalidCredentials,
    #[error("too many sign-in attempts; try again in {retry_after_secs} seconds")]
    RateLimited { retry_after_secs: u64 },
    #[error("the refresh token is invalid, expired or revoked; sign in again")]
    InvalidRefreshToken,
    #[error("the password reset link is invalid, expired or already used")]
    InvalidResetToken,
    #[error("invalid {field}: {reason}")]
    InvalidInput { field: &'static str, reason: String },
    #[error("no {what} with id {id:?}")]
    NotFound { what: &'static str, id: String },
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Kernel(#[from] KernelError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl CustomerError {
    pub(crate) fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            reason: reason.into(),
        }
    }
}

/// Trims `value` and checks it has 1 to `max` characters.
pub(crate) fn required_text(
    field: &'static str,
    value: &str,
    max: usize,
) -> Result<String, CustomerError> {
    let value = value.trim();
    match value.chars().count() {
        0 => Err(CustomerError::invalid(field, "must not be empty")),
        n if n > max => Err(CustomerError::invalid(
            field,
            format!("must be at most {max} characters"),
        )),
        _ => Ok(value.to_owned()),
    }
}

/// Like [`required_text`], with empty meaning absent.
pub(crate) fn optional_text(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, CustomerError> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        Some(value) => required_text(field, value, max).map(Some),
        None => Ok(None),
    }
}
