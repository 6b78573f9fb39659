//! GraphQL output types: endpoints, deliveries with their attempts, and what mutations
//! return. Built from domain values, never from rows. Times are stored in microseconds.

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::GlobalId;
use commerce_kernel::pagination::{Cursor, Page, TotalCount, connection};

use super::loaders::AttemptsLoader;
use crate::domain::{self, DELIVERY_TYPE, ENDPOINT_TYPE, Secret};

fn time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

pub fn endpoint_id(id: i64) -> ID {
    ID(GlobalId::encode(ENDPOINT_TYPE, id))
}

/// A URL that receives the events it subscribes to.
pub struct WebhookEndpoint(domain::Endpoint);

impl From<domain::Endpoint> for WebhookEndpoint {
    fn from(endpoint: domain::Endpoint) -> Self {
        Self(endpoint)
    }
}

#[Object]
impl WebhookEndpoint {
    async fn id(&self) -> ID {
        endpoint_id(self.0.id)
    }

    /// Where deliveries are POSTed.
    async fn url(&self) -> &str {
        &self.0.url
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The event types it receives (see `webhookEventTypes`).
    async fn event_types(&self) -> &[String] {
        self.0.event_types.as_slice()
    }

    /// False once disabled, by staff or because it kept failing; nothing is sent to a
    /// disabled endpoint and new events make no deliveries for it.
    async fn enabled(&self) -> bool {
        self.0.enabled
    }

    /// Why it is disabled.
    async fn disabled_reason(&self) -> Option<&str> {
        self.0.disabled_reason.as_deref()
    }

    async fn disabled_at(&self) -> Option<DateTime<Utc>> {
        self.0.disabled_at.map(time)
    }

    /// Failed attempts since its last successful delivery.
    async fn consecutive_failures(&self) -> i32 {
        self.0.consecutive_failures
    }

    /// Until when the secret replaced by the last rotation still signs (beside the current
    /// one); null when only the current secret signs.
    async fn previous_secret_expires_at(&self) -> Option<DateTime<Utc>> {
        self.0
            .previous_secret_expires_at(Utc::now().timestamp_micros())
            .map(time)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        time(self.0.created_at)
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        time(self.0.updated_at)
    }
}

/// Where a delivery stands.
#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum WebhookDeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt of its retry schedule failed (dead-lettered); a replay sends it again.
    Dead,
}

impl From<WebhookDeliveryStatus> for domain::DeliveryStatus {
    fn from(status: WebhookDeliveryStatus) -> Self {
        match status {
            WebhookDeliveryStatus::Pending => Self::Pending,
            WebhookDeliveryStatus::Delivered => Self::Delivered,
            WebhookDeliveryStatus::Dead => Self::Dead,
        }
    }
}

impl From<domain::DeliveryStatus> for WebhookDeliveryStatus {
    fn from(status: domain::DeliveryStatus) -> Self {
        match status {
            domain::DeliveryStatus::Pending => Self::Pending,
            domain::DeliveryStatus::Delivered => Self::Delivered,
            domain::DeliveryStatus::Dead => Self::Dead,
        }
    }
}

/// One event sent to one endpoint, with every attempt.
pub struct WebhookDelivery(domain::Delivery);

impl From<domain::Delivery> for WebhookDelivery {
    fn from(delivery: domain::Delivery) -> Self {
        Self(delivery)
    }
}

#[Object]
impl WebhookDelivery {
    async fn id(&self) -> ID {
        ID(GlobalId::encode(DELIVERY_TYPE, self.0.id))
    }

    async fn endpoint_id(&self) -> ID {
        endpoint_id(self.0.endpoint_id)
    }

    /// The event's id: the `webhook-id` header of every attempt, replays included.
    async fn event_id(&self) -> &str {
        &self.0.event_id
    }

    async fn event_type(&self) -> &str {
        &self.0.event_type
    }

    /// The global id of the entity the event is about.
    async fn aggregate_id(&self) -> &str {
        &self.0.aggregate_id
    }

    /// The event's place among its aggregate's events (1, 2, 3, ...).
    async fn sequence(&self) -> i64 {
        self.0.sequence
    }

    async fn status(&self) -> WebhookDeliveryStatus {
        self.0.status.into()
    }

    async fn attempt_count(&self) -> i32 {
        self.0.attempts
    }

    /// When the next attempt is due, while pending.
    async fn next_attempt_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == domain::DeliveryStatus::Pending).then(|| time(self.0.next_attempt_at))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        time(self.0.created_at)
    }

    /// When it was delivered or dead-lettered.
    async fn finished_at(&self) -> Option<DateTime<Utc>> {
        self.0.finished_at.map(time)
    }

    /// The HTTP status of the last attempt; null when it got no answer.
    async fn last_status_code(&self) -> Option<i32> {
        self.0.last_status_code
    }

    async fn last_error(&self) -> Option<&str> {
        self.0.last_error.as_deref()
    }

    /// The JSON body as sent: the event's envelope (see docs/events.md).
    async fn body(&self) -> &str {
        &self.0.body
    }

    /// Every attempt, first to last.
    async fn attempts(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<WebhookAttempt>> {
        let attempts = ctx
            .data_unchecked::<DataLoader<AttemptsLoader>>()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default();
        Ok(attempts.into_iter().map(WebhookAttempt::from).collect())
    }
}

/// One HTTP request of a delivery.
#[derive(SimpleObject)]
pub struct WebhookAttempt {
    /// 1, 2, 3, ... over the delivery's life, replays included.
    pub number: i32,
    pub started_at: DateTime<Utc>,
    /// The answer's HTTP status; null when there was none (refused, timed out).
    pub status_code: Option<i32>,
    /// From sending the request to the answer's headers, or to the failure.
    pub latency_ms: i32,
    pub error: Option<String>,
    pub succeeded: bool,
}

impl From<domain::Attempt> for WebhookAttempt {
    fn from(attempt: domain::Attempt) -> Self {
        Self {
            number: attempt.number,
            started_at: time(attempt.started_at),
            status_code: attempt.status_code,
            latency_ms: attempt.latency_ms,
            error: attempt.error,
            succeeded: attempt.succeeded,
        }
    }
}

pub type WebhookDeliveryConnection = Connection<String, WebhookDelivery, TotalCount>;

pub fn delivery_connection(
    page: Page<domain::Delivery>,
    total_count: i64,
) -> WebhookDeliveryConnection {
    connection(
        page.map(WebhookDelivery::from),
        |delivery| Cursor(vec![delivery.0.id.into()]),
        total_count,
    )
}

/// A new endpoint and its signing secret, which is shown this once.
#[derive(SimpleObject)]
pub struct WebhookEndpointCreated {
    pub endpoint: WebhookEndpoint,
    /// `whsec_` and the base64 key: verify signatures with it (Standard Webhooks).
    pub secret: String,
}

impl From<(domain::Endpoint, Secret)> for WebhookEndpointCreated {
    fn from((endpoint, secret): (domain::Endpoint, Secret)) -> Self {
        Self {
            endpoint: endpoint.into(),
            secret: secret.encoded(),
        }
    }
}

/// The new secret, shown this once; the previous one keeps signing until
/// `endpoint.previousSecretExpiresAt`.
#[derive(SimpleObject)]
pub struct WebhookSecretRotated {
    pub endpoint: WebhookEndpoint,
    pub secret: String,
}

impl From<(domain::Endpoint, Secret)> for WebhookSecretRotated {
    fn from((endpoint, secret): (domain::Endpoint, Secret)) -> Self {
        Self {
            endpoint: endpoint.into(),
            secret: secret.encoded(),
        }
    }
}

/// A deleted endpoint's former id.
#[derive(SimpleObject)]
pub struct WebhookEndpointDeleted {
    pub deleted_endpoint_id: ID,
}

/// How many deliveries were made pending again.
#[derive(SimpleObject)]
pub struct WebhookDeliveriesReplayed {
    pub endpoint: WebhookEndpoint,
    pub count: i32,
}

impl From<(domain::Endpoint, u64)> for WebhookDeliveriesReplayed {
    fn from((endpoint, count): (domain::Endpoint, u64)) -> Self {
        Self {
            endpoint: endpoint.into(),
            count: i32::try_from(count).unwrap_or(i32::MAX),
        }
    }
}
