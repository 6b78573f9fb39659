//! Failures as GraphQL sees them: expected business failures become members of result unions
//! implementing `ErrorResult`; everything else becomes a top-level error with a stable code.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use super::types::{Money, OrderStatus};
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
    OrderHasNoPayment(OrderHasNoPayment),
    RefundExceedsRefundable(RefundExceedsRefundable),
    ServiceRefused(ServiceRefused),
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

/// The order has no payment to capture or refund (placed without one).
#[derive(SimpleObject)]
pub struct OrderHasNoPayment {
    pub code: ErrorCode,
    pub message: String,
    pub order_id: ID,
}

/// More than what was captured and not yet refunded (or nothing at all) was asked for.
#[derive(SimpleObject)]
pub struct RefundExceedsRefundable {
    pub code: ErrorCode,
    pub message: String,
    pub requested: Money,
    pub refundable: Money,
}

/// The payments or inventory subgraph refused the step (a failed capture, a payment in the
/// wrong state); the order did not change. `reason` is that subgraph's failure type, such as
/// `ProviderFailed` or `InvalidPaymentState`.
#[derive(SimpleObject)]
pub struct ServiceRefused {
    pub code: ErrorCode,
    pub message: String,
    pub service: String,
    pub reason: String,
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
            OrderError::NoPayment { id, .. } => Self::OrderHasNoPayment(OrderHasNoPayment {
                code,
                message,
                order_id: ID(id),
            }),
            OrderError::RefundTooLarge { amount, refundable } => {
                Self::RefundExceedsRefundable(RefundExceedsRefundable {
                    code,
                    message,
                    requested: amount.into(),
                    refundable: refundable.into(),
                })
            }
            OrderError::Refused {
                service, reason, ..
            } => Self::ServiceRefused(ServiceRefused {
                code,
                message,
                service: service.to_owned(),
                reason,
            }),
            other => return Err(other),
        })
    }
}
