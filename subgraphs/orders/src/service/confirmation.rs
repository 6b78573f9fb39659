//! Order confirmation mails: a consumer of `orders.order_placed` (one shared group, so one
//! instance mails each order) that sends the order's email its number, lines and total.
//!
//! Once per event: an event already recorded for this consumer is skipped; otherwise the mail
//! is sent and then the event recorded (`apply_once`), so no database lock is held while the
//! mail server answers. A failed send is an error: the event is not recorded and comes back
//! (retried by the consumer task), so a mail server that is down delays the mail, never loses
//! it, and never blocks the order.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context;
use async_trait::async_trait;
use commerce_kernel::events::{
    Consumer, Envelope, FanOut, Subscription, already_applied, apply_once,
};
use commerce_kernel::mail::Mailer;
use sea_orm::DbErr;

use super::OrdersService;
use crate::domain::events::OrderPlaced;
use crate::domain::{OrderId, mail};

/// The consumer's group, and its name in `processed_events`.
pub const CONSUMER: &str = "order-confirmation";

pub struct OrderConfirmations {
    service: OrdersService,
    mailer: Arc<dyn Mailer>,
}

impl OrderConfirmations {
    pub fn new(service: OrdersService, mailer: Arc<dyn Mailer>) -> Arc<Self> {
        Arc::new(Self { service, mailer })
    }
}

#[async_trait]
impl Consumer for OrderConfirmations {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: CONSUMER.to_owned(),
            domain: "orders".to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let Some(placed) = event.decode::<OrderPlaced>() else {
            return Ok(());
        };
        let placed = placed?;
        let db = self.service.db();
        if already_applied(db, CONSUMER, event).await? {
            return Ok(());
        }
        let id = OrderId::parse(&placed.order_id)?;
        let order = self.service.order(id).await?.with_context(|| {
            format!("order {} of event {} not found", placed.order_id, event.id)
        })?;
        let mut lines = self
            .service
            .lines(&HashMap::from([(id, order.currency)]))
            .await?;
        let message = mail::confirmation(&order, &lines.remove(&id).unwrap_or_default());
        self.mailer.send(&message).await?;
        apply_once(db, CONSUMER, event, |_| {
            Box::pin(async { Ok::<_, DbErr>(()) })
        })
        .await?;
        tracing::info!(order = order.number, "order confirmation mailed");
        Ok(())
    }
}
