//! The webhooks domain: endpoints and what they subscribe to, deliveries and their attempts,
//! the retry schedule, when an endpoint is disabled, and signing. No I/O.

mod endpoint;
mod retry;
mod signature;
mod target;

use commerce_kernel::GlobalId;
use commerce_kernel::KernelError;

pub use endpoint::{Endpoint, EndpointInput, EndpointPatch, EventTypes};
pub use retry::{DisableRule, FailureRun, RetrySchedule};
pub use signature::{Secret, signature_header};
pub use target::non_public;

/// The event types an endpoint may subscribe to: every type `docs/events.md` lists.
pub const EVENT_TYPES: &[&str] = &[
    "catalog.product_changed",
    "catalog.category_changed",
    "catalog.collection_changed",
    "pricing.price_changed",
    "inventory.stock_changed",
    "inventory.stock_low",
    "orders.order_placed",
    "orders.order_status_changed",
    "reviews.review_submitted",
    "reviews.review_moderated",
    "customers.customer_registered",
    "customers.customer_updated",
    "checkout.checkout_completed",
    "checkout.checkout_failed",
    "payments.payment_authorized",
    "payments.payment_captured",
    "payments.payment_refunded",
    "payments.payment_voided",
    "payments.payment_failed",
];

/// The domains (streams) whose events endpoints may subscribe to.
pub fn event_domains() -> Vec<&'static str> {
    let mut domains: Vec<&str> = EVENT_TYPES
        .iter()
        .map(|event_type| event_type.split_once('.').map_or(*event_type, |(d, _)| d))
        .collect();
    domains.dedup();
    domains
}

pub const ENDPOINT_TYPE: &str = "WebhookEndpoint";
pub const DELIVERY_TYPE: &str = "WebhookDelivery";

/// An endpoint's database key, from its global id.
pub fn endpoint_key(id: &str) -> Result<i64, WebhooksError> {
    GlobalId::decode(id, ENDPOINT_TYPE).map_err(WebhooksError::InvalidId)
}

/// A delivery's database key, from its global id.
pub fn delivery_key(id: &str) -> Result<i64, WebhooksError> {
    GlobalId::decode(id, DELIVERY_TYPE).map_err(WebhooksError::InvalidId)
}

/// Where a delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// A 2xx answer was received.
    Delivered,
    /// Every attempt of the schedule failed; only a replay sends it again.
    Dead,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Delivered => "DELIVERED",
            Self::Dead => "DEAD",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "PENDING" => Some(Self::Pending),
            "DELIVERED" => Some(Self::Delivered),
            "DEAD" => Some(Self::Dead),
            _ => None,
        }
    }
}

/// One event sent (or to be sent) to one endpoint.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: i64,
    pub endpoint_id: i64,
    /// The event's id, sent as `webhook-id` on every attempt.
    pub event_id: String,
    pub event_type: String,
    /// The event's aggregate (its global id) and its place in the aggregate's sequence.
    pub aggregate_id: String,
    pub sequence: i64,
    pub status: DeliveryStatus,
    pub attempts: i32,
    /// Unix microseconds; meaningful while pending.
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    /// The JSON body as sent (the event's envelope).
    pub body: String,
}

/// One HTTP request of a delivery and how it went.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub delivery_id: i64,
    pub number: i32,
    pub started_at: i64,
    pub status_code: Option<i32>,
    pub latency_ms: i32,
    pub error: Option<String>,
    pub succeeded: bool,
}

/// Why a webhooks operation failed, as clients see it.
#[derive(Debug, thiserror::Error)]
pub enum WebhooksError {
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error("{event_type:?} is not an event type endpoints can subscribe to")]
    UnknownEventType { event_type: String },
    #[error("no webhook endpoint has the id {id}")]
    EndpointNotFound { id: String },
    #[error("no webhook delivery has the id {id}")]
    DeliveryNotFound { id: String },
    #[error("the webhook endpoint {id} is disabled; enable it first")]
    EndpointDisabled { id: String },
    #[error(
        "url: {host} is {address}, a {kind} address; webhook endpoints must be public \
         (webhooks.allow_private_targets)"
    )]
    TargetNotAllowed {
        host: String,
        address: std::net::IpAddr,
        kind: &'static str,
    },
    #[error(transparent)]
    InvalidId(KernelError),
    #[error(transparent)]
    InvalidPage(KernelError),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl WebhooksError {
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Self::InvalidInput {
            field,
            message: message.into(),
        }
    }
}
