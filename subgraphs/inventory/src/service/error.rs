//! What can go wrong in a use case, each with the stable code clients see.

use commerce_kernel::{DomainError, ErrorCode, KernelError};
use sea_orm::DbErr;

use crate::domain::{ReservationStatus, VariantId, WarehouseId};

#[derive(Debug, thiserror::Error)]
pub enum InventoryError {
    #[error(transparent)]
    InvalidInput(#[from] KernelError),
    #[error("warehouse {} not found", .0.global())]
    WarehouseNotFound(WarehouseId),
    #[error("reservation {0:?} not found")]
    ReservationNotFound(String),
    #[error("idempotency key {key:?} was already used for a different request")]
    KeyReused { key: String },
    #[error("warehouse code {0:?} is already taken")]
    WarehouseCodeTaken(String),
    #[error("only {available} units of variant {} are free, {requested} requested", variant.as_str())]
    InsufficientStock {
        variant: VariantId,
        warehouse: Option<WarehouseId>,
        requested: i64,
        available: i64,
    },
    #[error("reservation {key:?} is {} and cannot change", status.as_str())]
    ReservationClosed {
        key: String,
        status: ReservationStatus,
    },
    #[error("database error")]
    Database(#[from] DbErr),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl DomainError for InventoryError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::InvalidInput(error) => error.code,
            Self::WarehouseNotFound(_) | Self::ReservationNotFound(_) => ErrorCode::NotFound,
            Self::KeyReused { .. }
            | Self::WarehouseCodeTaken(_)
            | Self::ReservationClosed { .. } => ErrorCode::Conflict,
            Self::InsufficientStock { .. } => ErrorCode::InsufficientStock,
            Self::Database(_) | Self::Unexpected(_) => ErrorCode::InternalServerError,
        }
    }
}

impl InventoryError {
    /// Lock conflicts that a fresh attempt of the whole transaction can get past: PostgreSQL
    /// serialization failures and deadlocks, SQLite busy/locked past its busy timeout.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Database(error) if commerce_kernel::db::is_transient(error))
    }
}

/// Runs `attempt` again (up to a few times, with a short growing pause) while it fails with a
/// transient conflict. Each attempt must be a whole transaction.
pub async fn retrying<T, F, Fut>(mut attempt: F) -> Result<T, InventoryError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, InventoryError>>,
{
    const ATTEMPTS: u32 = 5;
    let mut tries = 1;
    loop {
        match attempt().await {
            Err(error) if error.is_transient() && tries < ATTEMPTS => {
                tracing::debug!(%error, tries, "retrying after a transient conflict");
                tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(tries))).await;
                tries += 1;
            }
            result => return result,
        }
    }
}
