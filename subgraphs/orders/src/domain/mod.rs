//! The orders domain: orders as placed (copies of what was sold), their state machine,
//! fulfillment and return planning, the input parsing, the events orders publishes and the
//! mail it sends. No I/O.

pub mod events;
mod fulfillment;
mod input;
pub mod mail;
mod order;
mod status;

pub use fulfillment::{FulfillmentPlan, ReturnPlan, plan_fulfillment, plan_return};
pub use input::{
    IdempotencyKey, LineQuantity, NewLine, NewOrder, RawAddress, RawLine, RawOrder,
    RawShippingMethod, RawTotals, amount, email,
};
pub use order::{
    Actor, Address, EventKind, Fulfillment, FulfillmentId, FulfillmentLine, FulfillmentStatus,
    NewEvent, Order, OrderEvent, OrderFilter, OrderId, OrderLine, OrderLineId, OrderSort,
    ShippingMethod, SortField, Totals,
};
pub use status::{InvalidTransition, OrderStatus};

use commerce_kernel::internal::InternalError;
use commerce_kernel::{KernelError, Money, ValidationError};

/// Everything an orders use case can fail with; each variant maps to a stable code
/// (`service/error.rs`). Domain parsing fails with it too, so it is defined here.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    #[error("{0}")]
    InvalidId(KernelError),
    #[error("{0}")]
    InvalidPage(KernelError),
    #[error("order {id} does not exist")]
    OrderNotFound { id: String },
    #[error("fulfillment {id} does not exist")]
    FulfillmentNotFound { id: String },
    #[error("{message}")]
    InvalidLines { message: String },
    #[error(transparent)]
    InvalidTransition(#[from] InvalidTransition),
    #[error("order {id} changed while this request ran; try again")]
    Concurrent { id: String },
    #[error("idempotency key {key:?} was already used for a different request")]
    KeyReused { key: String },
    #[error("nothing to {action}: order {id} has no payment")]
    NoPayment { id: String, action: &'static str },
    #[error("{amount} cannot be refunded: only {refundable} is left to refund")]
    RefundTooLarge { amount: Money, refundable: Money },
    /// Another subgraph answered a business failure as data (`reason` is its type name).
    #[error("the {service} service refused: {message}")]
    Refused {
        service: &'static str,
        reason: String,
        code: String,
        message: String,
    },
    /// Another subgraph could not be reached or failed; the order did not change.
    #[error(transparent)]
    Remote(#[from] InternalError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
