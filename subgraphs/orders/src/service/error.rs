//! The orders error as clients see it (each variant's stable code), database failures as
//! internal ones, and which database failures a fresh attempt can get past.

use commerce_kernel::{DomainError, ErrorCode};
use sea_orm::DbErr;

pub use crate::domain::OrderError;

impl DomainError for OrderError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Invalid(_) | Self::InvalidLines { .. } | Self::RefundTooLarge { .. } => {
                ErrorCode::BadUserInput
            }
            Self::NoPayment { .. } => ErrorCode::Conflict,
            Self::Refused { code, .. } => refused_code(code),
            Self::Remote(error) => error.code(),
            Self::InvalidId(error) | Self::InvalidPage(error) => error.code,
            Self::OrderNotFound { .. } | Self::FulfillmentNotFound { .. } => ErrorCode::NotFound,
            Self::InvalidTransition(_) | Self::KeyReused { .. } | Self::Concurrent { .. } => {
                ErrorCode::Conflict
            }
            Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }
}

impl From<DbErr> for OrderError {
    fn from(error: DbErr) -> Self {
        Self::Unexpected(TransientAware(error).into())
    }
}

/// A database error kept inside `Unexpected`, so [`is_transient`] can find it again.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
struct TransientAware(DbErr);

/// Conflicts that a fresh attempt of the whole transaction can get past: the order changed
/// between our read and our conditional update, PostgreSQL serialization failures and
/// deadlocks, SQLite busy/locked past its busy timeout.
fn is_transient(error: &OrderError) -> bool {
    match error {
        OrderError::Concurrent { .. } => true,
        OrderError::Unexpected(error) => error
            .downcast_ref::<TransientAware>()
            .is_some_and(|TransientAware(error)| commerce_kernel::db::is_transient(error)),
        _ => false,
    }
}

/// Runs `attempt` again (up to a few times, with a short growing pause) while it fails with a
/// transient conflict. Each attempt must be a whole transaction.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, OrderError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, OrderError>>,
{
    const ATTEMPTS: u32 = 5;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(error) if is_transient(&error) && tries < ATTEMPTS => {
                tracing::debug!(%error, tries, "retrying after a transient conflict");
                tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(tries))).await;
                tries += 1;
            }
            result => return result,
        }
    }
}

/// The code another subgraph gave a refusal, when it is one ours has; a conflict otherwise.
fn refused_code(code: &str) -> ErrorCode {
    match code {
        "BAD_USER_INPUT" => ErrorCode::BadUserInput,
        "NOT_FOUND" => ErrorCode::NotFound,
        "INSUFFICIENT_STOCK" => ErrorCode::InsufficientStock,
        _ => ErrorCode::Conflict,
    }
}
