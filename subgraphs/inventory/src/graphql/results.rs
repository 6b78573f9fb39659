//! Mutation results: expected business failures are members of the result unions (each
//! implementing `ErrorResult`); everything else becomes a top-level error with a code.

use async_graphql::{ID, Interface, SimpleObject, Union};
use commerce_kernel::ErrorCode;

use super::types::{Reservation, StockLevel, Warehouse};
use super::{graphql_error, int};
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

#[derive(Union)]
pub enum CreateWarehouseResult {
    Warehouse(Warehouse),
    WarehouseCodeTaken(WarehouseCodeTaken),
}

#[derive(Union)]
pub enum StockChangeResult {
    StockLevel(StockLevel),
    InsufficientStock(InsufficientStock),
}

#[derive(Union)]
pub enum ReserveStockResult {
    Reservation(Reservation),
    InsufficientStock(InsufficientStock),
}

#[derive(Union)]
pub enum ReservationResult {
    Reservation(Reservation),
    ReservationClosed(ReservationClosed),
}

/// Turns a service outcome into a result union: `failure` picks the expected failures, the
/// rest become top-level errors.
pub fn into_result<T, R>(
    outcome: Result<T, InventoryError>,
    success: impl FnOnce(T) -> R,
    failure: impl FnOnce(&InventoryError) -> Option<R>,
) -> async_graphql::Result<R> {
    match outcome {
        Ok(value) => Ok(success(value)),
        Err(error) => failure(&error).map_or_else(|| Err(graphql_error(error)), Ok),
    }
}

/// The `InsufficientStock` member for the service error that means it.
pub fn insufficient(error: &InventoryError) -> Option<InsufficientStock> {
    match error {
        InventoryError::InsufficientStock {
            variant,
            requested,
            available,
            ..
        } => Some(InsufficientStock {
            code: ErrorCode::InsufficientStock,
            message: error.to_string(),
            variant_id: variant.as_str().into(),
            requested: int(*requested),
            available: int(*available),
        }),
        _ => None,
    }
}

pub fn code_taken(error: &InventoryError) -> Option<CreateWarehouseResult> {
    match error {
        InventoryError::WarehouseCodeTaken(code) => Some(
            CreateWarehouseResult::WarehouseCodeTaken(WarehouseCodeTaken {
                code: ErrorCode::Conflict,
                message: error.to_string(),
                warehouse_code: code.clone(),
            }),
        ),
        _ => None,
    }
}

pub fn reservation_closed(error: &InventoryError) -> Option<ReservationResult> {
    match error {
        InventoryError::ReservationClosed { key, .. } => {
            Some(ReservationResult::ReservationClosed(ReservationClosed {
                code: ErrorCode::Conflict,
                message: error.to_string(),
                reservation_key: key.clone(),
            }))
        }
        _ => None,
    }
}
