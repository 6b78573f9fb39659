//! Mutation results: expected business failures are members of the result unions (each
//! implementing `ErrorResult`); everything else becomes a top-level error with a code.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{ErrorCode, result_union};

use super::int;
use super::types::{Reservation, StockLevel, Warehouse};
use crate::service::InventoryError;

/// What every expected failure carries.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    InsufficientStock(InsufficientStock),
    WarehouseCodeTaken(WarehouseCodeTaken),
    ReservationClosed(ReservationClosed),
}

/// Not enough free stock for the change.
#[derive(SimpleObject)]
#[graphql(shareable)]
pub struct InsufficientStock {
    pub code: ErrorCode,
    pub message: String,
    /// The variant that ran short.
    pub variant_id: ID,
    pub requested: i32,
    pub available: i32,
}

/// Another warehouse already uses the code.
#[derive(SimpleObject)]
pub struct WarehouseCodeTaken {
    pub code: ErrorCode,
    pub message: String,
    pub warehouse_code: String,
}

/// The reservation was already committed, released or expired.
#[derive(SimpleObject)]
pub struct ReservationClosed {
    pub code: ErrorCode,
    pub message: String,
    pub reservation_key: String,
}

result_union!(
    pub CreateWarehouseResult(InventoryError => ErrorResult) = Warehouse | WarehouseCodeTaken
);
result_union!(
    pub StockChangeResult(InventoryError => ErrorResult) = StockLevel | InsufficientStock
);
result_union!(
    pub ReserveStockResult(InventoryError => ErrorResult) = Reservation | InsufficientStock
);
result_union!(
    pub ReservationResult(InventoryError => ErrorResult) = Reservation | ReservationClosed
);

impl ErrorResults<InventoryError> for ErrorResult {
    fn expected(error: InventoryError) -> Result<Self, InventoryError> {
        let message = error.to_string();
        Ok(match error {
            InventoryError::InsufficientStock {
                variant,
                requested,
                available,
                ..
            } => Self::InsufficientStock(InsufficientStock {
                code: ErrorCode::InsufficientStock,
                message,
                variant_id: variant.as_str().into(),
                requested: int(requested),
                available: int(available),
            }),
            InventoryError::WarehouseCodeTaken(warehouse_code) => {
                Self::WarehouseCodeTaken(WarehouseCodeTaken {
                    code: ErrorCode::Conflict,
                    message,
                    warehouse_code,
                })
            }
            InventoryError::ReservationClosed { key, .. } => {
                Self::ReservationClosed(ReservationClosed {
                    code: ErrorCode::Conflict,
                    message,
                    reservation_key: key,
                })
            }
            other => return Err(other),
        })
    }
}
