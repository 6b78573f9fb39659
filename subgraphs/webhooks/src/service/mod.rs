//! The webhooks use cases: managing endpoints, reading the delivery log, replays, the fan-in
//! of every domain's events into deliveries (`fan_in`), and the worker that sends them
//! (`worker`).

mod error;
mod fan_in;
mod target;
mod worker;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use commerce_kernel::GlobalId;
use commerce_kernel::config::WebhooksConfig;
use commerce_kernel::pagination::{Page, PageRequest};
use sea_orm::DatabaseConnection;
use tokio::sync::Notify;

use crate::domain::{
    Attempt, DELIVERY_TYPE, Delivery, DeliveryStatus, DisableRule, ENDPOINT_TYPE, Endpoint,
    EndpointInput, EndpointPatch, RetrySchedule, Secret,
};
use crate::store;

pub use error::WebhooksError;
pub use fan_in::FanIn;
pub use worker::spawn_worker;

/// How deliveries are sent, from the `webhooks` configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    pub timeout: Duration,
    pub concurrency: usize,
    pub schedule: RetrySchedule,
    pub secret_overlap: Duration,
    pub disable: DisableRule,
    pub poll: Duration,
    /// Endpoints may target loopback, private and link-local addresses (see `target`).
    pub allow_private_targets: bool,
}

impl Settings {
    pub fn from_config(config: &WebhooksConfig) -> Self {
        Self {
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            concurrency: config.concurrency.max(1),
            schedule: RetrySchedule::new(
                config
                    .retry_schedule_ms
                    .iter()
                    .map(|ms| Duration::from_millis(*ms))
                    .collect(),
            ),
            secret_overlap: Duration::from_millis(config.secret_overlap_ms),
            disable: DisableRule {
                after_failures: config.disable_after_failures.max(1),
                after: Duration::from_millis(config.disable_after_ms),
            },
            poll: Duration::from_millis(config.poll_ms.max(1)),
            allow_private_targets: config.allow_private_targets,
        }
    }
}

#[derive(Clone)]
pub struct WebhooksService {
    db: DatabaseConnection,
    settings: Arc<Settings>,
    /// Wakes this instance's worker when the fan-in made deliveries or a replay made some due.
    wake: Arc<Notify>,
}

/// Now, in Unix microseconds (the unit of every stored time).
pub(crate) fn now() -> i64 {
    chrono::Utc::now().timestamp_micros()
}

fn micros(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn endpoint_not_found(id: i64) -> WebhooksError {
    WebhooksError::EndpointNotFound {
        id: GlobalId::encode(ENDPOINT_TYPE, id),
    }
}

impl WebhooksService {
    pub fn new(db: DatabaseConnection, settings: Settings) -> Self {
        Self {
            db,
            settings: Arc::new(settings),
            wake: Arc::new(Notify::new()),
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// Registers an endpoint; the secret is returned here and never again.
    pub async fn create_endpoint(
        &self,
        input: &EndpointInput,
    ) -> Result<(Endpoint, Secret), WebhooksError> {
        self.check_target(&input.url).await?;
        let secret = Secret::generate();
        let endpoint = store::insert_endpoint(&self.db, input, &secret, now()).await?;
        tracing::info!(
            endpoint = endpoint.id,
            url = endpoint.url,
            "webhook endpoint created"
        );
        Ok((endpoint, secret))
    }

    pub async fn update_endpoint(
        &self,
        id: i64,
        patch: &EndpointPatch,
    ) -> Result<Endpoint, WebhooksError> {
        if let Some(url) = &patch.url {
            self.check_target(url).await?;
        }
        store::update_endpoint(&self.db, id, patch, now())
            .await?
            .ok_or_else(|| endpoint_not_found(id))
    }

    /// Refuses a URL whose host is not public, unless private targets are allowed.
    async fn check_target(&self, url: &str) -> Result<(), WebhooksError> {
        if self.settings.allow_private_targets {
            return Ok(());
        }
        target::check_url(url).await
    }

    /// A new secret; the previous one keeps signing (beside it) for the configured overlap.
    pub async fn rotate_secret(&self, id: i64) -> Result<(Endpoint, Secret), WebhooksError> {
        let secret = Secret::generate();
        let now = now();
        let expires_at = now.saturating_add(micros(self.settings.secret_overlap));
        let endpoint = store::rotate_secret(&self.db, id, &secret, expires_at, now)
            .await?
            .ok_or_else(|| endpoint_not_found(id))?;
        Ok((endpoint, secret))
    }

    /// Enables an endpoint (clearing why it was disabled); its pending deliveries resume.
    pub async fn enable(&self, id: i64) -> Result<Endpoint, WebhooksError> {
        let endpoint = store::set_enabled(&self.db, id, true, None, now())
            .await?
            .ok_or_else(|| endpoint_not_found(id))?;
        self.wake.notify_one();
        Ok(endpoint)
    }

    /// Disables an endpoint: nothing is sent to it, and new events make no deliveries for it.
    pub async fn disable(&self, id: i64, reason: &str) -> Result<Endpoint, WebhooksError> {
        store::set_enabled(&self.db, id, false, Some(reason), now())
            .await?
            .ok_or_else(|| endpoint_not_found(id))
    }

    /// Deletes an endpoint with its deliveries and their log.
    pub async fn delete(&self, id: i64) -> Result<(), WebhooksError> {
        if store::delete_endpoint(&self.db, id).await? {
            Ok(())
        } else {
            Err(endpoint_not_found(id))
        }
    }

    pub async fn endpoints(&self) -> Result<Vec<Endpoint>, WebhooksError> {
        Ok(store::endpoints(&self.db).await?)
    }

    pub async fn endpoint(&self, id: i64) -> Result<Option<Endpoint>, WebhooksError> {
        Ok(store::endpoint(&self.db, id).await?)
    }

    /// A page of an endpoint's delivery log, newest first, and the number of deliveries.
    pub async fn deliveries(
        &self,
        endpoint_id: i64,
        status: Option<DeliveryStatus>,
        request: &PageRequest,
    ) -> Result<(Page<Delivery>, i64), WebhooksError> {
        Ok(store::deliveries_page(&self.db, endpoint_id, status, request).await?)
    }

    pub async fn delivery(&self, id: i64) -> Result<Option<Delivery>, WebhooksError> {
        Ok(store::delivery(&self.db, id).await?)
    }

    /// The attempts of several deliveries, by delivery, in one query.
    pub async fn attempts(
        &self,
        delivery_ids: &[i64],
    ) -> Result<HashMap<i64, Vec<Attempt>>, WebhooksError> {
        let mut by_delivery: HashMap<i64, Vec<Attempt>> = HashMap::new();
        for attempt in store::attempts_of(&self.db, delivery_ids).await? {
            by_delivery
                .entry(attempt.delivery_id)
                .or_default()
                .push(attempt);
        }
        Ok(by_delivery)
    }

    /// Sends a delivery again, now, with the same `webhook-id`, on a fresh retry schedule.
    pub async fn replay(&self, id: i64) -> Result<Delivery, WebhooksError> {
        let not_found = || WebhooksError::DeliveryNotFound {
            id: GlobalId::encode(DELIVERY_TYPE, id),
        };
        let delivery = store::delivery(&self.db, id).await?.ok_or_else(not_found)?;
        self.require_enabled(delivery.endpoint_id).await?;
        let delivery = store::replay(&self.db, id, now())
            .await?
            .ok_or_else(not_found)?;
        self.wake.notify_one();
        Ok(delivery)
    }

    /// Replays every delivery of an endpoint created at or after `since` (microseconds);
    /// returns the endpoint and how many.
    pub async fn replay_since(
        &self,
        endpoint_id: i64,
        since: i64,
    ) -> Result<(Endpoint, u64), WebhooksError> {
        let endpoint = self.require_enabled(endpoint_id).await?;
        let count = store::replay_since(&self.db, endpoint_id, since, now()).await?;
        self.wake.notify_one();
        Ok((endpoint, count))
    }

    async fn require_enabled(&self, endpoint_id: i64) -> Result<Endpoint, WebhooksError> {
        let endpoint = store::endpoint(&self.db, endpoint_id)
            .await?
            .ok_or_else(|| endpoint_not_found(endpoint_id))?;
        if !endpoint.enabled {
            return Err(WebhooksError::EndpointDisabled {
                id: GlobalId::encode(ENDPOINT_TYPE, endpoint_id),
            });
        }
        Ok(endpoint)
    }
}
