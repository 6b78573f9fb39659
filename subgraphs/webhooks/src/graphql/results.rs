//! Failures as GraphQL sees them: expected business failures become members of result unions
//! implementing `ErrorResult`; everything else becomes a top-level error with a stable code.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use crate::domain::EVENT_TYPES;
use crate::service::WebhooksError;

/// What every expected failure returned as data has in common.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    InvalidWebhookInput(InvalidWebhookInput),
    UnknownWebhookEventType(UnknownWebhookEventType),
    WebhookEndpointNotFound(WebhookEndpointNotFound),
    WebhookDeliveryNotFound(WebhookDeliveryNotFound),
    WebhookEndpointDisabled(WebhookEndpointDisabled),
    WebhookTargetNotAllowed(WebhookTargetNotAllowed),
}

/// An input field breaks a rule: the URL is not an http(s) URL with a host, the description
/// is too long, no event type was given, ...
#[derive(SimpleObject)]
pub struct InvalidWebhookInput {
    pub code: ErrorCode,
    pub message: String,
    /// The input field (`url`, `eventTypes`, `description`, `reason`).
    pub field: String,
}

/// An event type endpoints cannot subscribe to.
#[derive(SimpleObject)]
pub struct UnknownWebhookEventType {
    pub code: ErrorCode,
    pub message: String,
    pub event_type: String,
    /// The types that can be subscribed to.
    pub known_event_types: Vec<String>,
}

/// No endpoint has this id (it may have been deleted).
#[derive(SimpleObject)]
pub struct WebhookEndpointNotFound {
    pub code: ErrorCode,
    pub message: String,
    pub endpoint_id: ID,
}

/// No delivery has this id (its endpoint may have been deleted, or the log pruned).
#[derive(SimpleObject)]
pub struct WebhookDeliveryNotFound {
    pub code: ErrorCode,
    pub message: String,
    pub delivery_id: ID,
}

/// The endpoint is disabled: enable it before replaying to it.
#[derive(SimpleObject)]
pub struct WebhookEndpointDisabled {
    pub code: ErrorCode,
    pub message: String,
    pub endpoint_id: ID,
}

/// The URL's host is, or resolves to, an address that is not public (loopback, private,
/// link-local, ...): webhooks are not sent inside the shop's own network.
#[derive(SimpleObject)]
pub struct WebhookTargetNotAllowed {
    pub code: ErrorCode,
    pub message: String,
    /// The URL's host.
    pub host: String,
    /// The address that is not public.
    pub address: String,
}

impl ErrorResults<WebhooksError> for ErrorResult {
    fn expected(error: WebhooksError) -> Result<Self, WebhooksError> {
        let code = error.code();
        let message = error.to_string();
        Ok(match error {
            WebhooksError::InvalidInput { field, .. } => {
                Self::InvalidWebhookInput(InvalidWebhookInput {
                    code,
                    message,
                    field: field.to_owned(),
                })
            }
            WebhooksError::UnknownEventType { event_type } => {
                Self::UnknownWebhookEventType(UnknownWebhookEventType {
                    code,
                    message,
                    event_type,
                    known_event_types: EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect(),
                })
            }
            WebhooksError::EndpointNotFound { id } => {
                Self::WebhookEndpointNotFound(WebhookEndpointNotFound {
                    code,
                    message,
                    endpoint_id: ID(id),
                })
            }
            WebhooksError::DeliveryNotFound { id } => {
                Self::WebhookDeliveryNotFound(WebhookDeliveryNotFound {
                    code,
                    message,
                    delivery_id: ID(id),
                })
            }
            WebhooksError::EndpointDisabled { id } => {
                Self::WebhookEndpointDisabled(WebhookEndpointDisabled {
                    code,
                    message,
                    endpoint_id: ID(id),
                })
            }
            WebhooksError::TargetNotAllowed { host, address, .. } => {
                Self::WebhookTargetNotAllowed(WebhookTargetNotAllowed {
                    code,
                    message,
                    host,
                    address: address.to_string(),
                })
            }
            other => return Err(other),
        })
    }
}
