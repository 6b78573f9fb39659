//! The fan-in: one consumer per domain stream, shared by the instances (each event is taken
//! by one), that turns an event into one pending delivery per enabled endpoint subscribed to
//! its type. The deliveries and the `processed_events` row commit together (`apply_once`),
//! so a redelivered event makes no second delivery.

use async_trait::async_trait;
use commerce_kernel::events::{Consumer, Envelope, FanOut, Subscription, apply_once};
use sea_orm::DbErr;

use super::{WebhooksService, now};
use crate::domain::EVENT_TYPES;
use crate::store;

/// The consumer group (and `processed_events` consumer) name, the same on every stream.
const GROUP: &str = "webhooks";

pub struct FanIn {
    domain: &'static str,
    service: WebhooksService,
}

impl FanIn {
    pub fn new(domain: &'static str, service: WebhooksService) -> Self {
        Self { domain, service }
    }
}

#[async_trait]
impl Consumer for FanIn {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: GROUP.to_owned(),
            domain: self.domain.to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        if !EVENT_TYPES.contains(&event.event_type.as_str()) {
            return Ok(());
        }
        // Most events interest no endpoint: one read then, rather than a transaction. An
        // endpoint created meanwhile only receives events recorded after it exists anyway.
        if !store::subscribed(&self.service.db, &event.event_type).await? {
            return Ok(());
        }
        let body = serde_json::to_string(event)?;
        // The work must own what it reads: it may run for any transaction's lifetime.
        let owned = event.clone();
        let made = apply_once(&self.service.db, GROUP, event, |txn| {
            Box::pin(async move { store::fan_in(txn, &owned, &body, now()).await })
        })
        .await
        .map_err(|error: DbErr| anyhow::anyhow!(error))?;
        if made.is_some_and(|count| count > 0) {
            self.service.wake.notify_one();
        }
        Ok(())
    }
}
