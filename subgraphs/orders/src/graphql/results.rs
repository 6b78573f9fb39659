//! Failures as GraphQL sees them: expected business failures become members of result unions
//! implementing `ErrorResult`; everything else becomes a top-level error with a stable code.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use super::types::OrderStatus;
use crate::service::OrderError;

/// What every expected failure returned as data has in common.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    OrderNotFound(OrderNotFound),
    FulfillmentNotFound(FulfillmentNotFound),
    InvalidOrderTransition(InvalidOrderTransition),
    InvalidOrderLines(InvalidOrderLines),
}

/// No order has this id.
#[derive(SimpleObject)]
pub struct OrderNotFound {
    pub code: ErrorCode,
    pub message: String,
    pub order_id: ID,
}

/// No fulfillment has this id.
#[derive(SimpleObject)]
pub struct FulfillmentNotFound {
    pub code: ErrorCode,
    pub message: String,
    pub fulfillment_id: ID,
}

/// The order's state machine does not allow this change from where the order is now.
#[derive(SimpleObject)]
pub struct InvalidOrderTransition {
    pub code: ErrorCode,
    pub message: String,
    pub from: OrderStatus,
    pub to: OrderStatus,
}

/// The lines picked for a fulfillment or a return do not fit the order (unknown line, more
/// units than are left).
#[derive(SimpleObject)]
pub struct InvalidOrderLines {
    pub code: ErrorCode,
    pub message: String,
}

impl ErrorResults<OrderError> for ErrorResult {
    fn expected(error: OrderError) -> Result<Self, OrderError> {
        let code = error.code();
        let message = error.to_string();
        Ok(match error {
            OrderError::OrderNotFound { id } => Self::OrderNotFound(OrderNotFound {
                code,
                message,
                order_id: ID(id),
            }),
            OrderError::FulfillmentNotFound { id } => {
                Self::FulfillmentNotFound(FulfillmentNotFound {
                    code,
                    message,
                    fulfillment_id: ID(id),
                })
            }
            OrderError::InvalidTransition(transition) => {
                Self::InvalidOrderTransition(InvalidOrderTransition {
                    code,
                    message,
                    from: transition.from.into(),
                    to: transition.to.into(),
                })
            }
            OrderError::InvalidLines { .. } => {
                Self::InvalidOrderLines(InvalidOrderLines { code, message })
            }
            other => return Err(other),
        })
    }
}
