//! Stock alerts: a consumer of `inventory.stock_low` (one shared group, so one instance mails
//! each alert) that mails `staff_alert_email` which variant is running low. Without that
//! address the alert is only logged.
//!
//! Once per event, like the order confirmation: an event already recorded is skipped;
//! otherwise the mail is sent, then the event recorded (`apply_once`), so no database lock is
//! held while the mail server answers. A failed send leaves the event unrecorded, and the
//! consumer task retries it.

use std::sync::Arc;

use async_trait::async_trait;
use commerce_kernel::events::{
    Consumer, Envelope, FanOut, Subscription, already_applied, apply_once,
};
use commerce_kernel::mail::{Mailer, Message};
use sea_orm::{DatabaseConnection, DbErr};

use crate::domain::events::StockLow;

/// The consumer's group, and its name in `processed_events`.
pub const CONSUMER: &str = "stock-alert";

pub struct StockAlerts {
    db: DatabaseConnection,
    mailer: Arc<dyn Mailer>,
    /// Who is told; `None`: alerts are only logged.
    staff: Option<String>,
}

impl StockAlerts {
    pub fn new(
        db: DatabaseConnection,
        mailer: Arc<dyn Mailer>,
        staff: Option<String>,
    ) -> Arc<Self> {
        Arc::new(Self { db, mailer, staff })
    }
}

/// The alert for `low`, to `to`.
fn alert(low: &StockLow, to: &str) -> Message {
    Message {
        to: to.to_owned(),
        subject: format!(
            "Stock low: {} units of variant {} left",
            low.available, low.variant_id
        ),
        text: format!(
            "Variant {} has {} units available, below the threshold of {}.\r\n",
            low.variant_id, low.available, low.threshold
        ),
    }
}

#[async_trait]
impl Consumer for StockAlerts {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: CONSUMER.to_owned(),
            domain: "inventory".to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let Some(low) = event.decode::<StockLow>() else {
            return Ok(());
        };
        let low = low?;
        let Some(staff) = &self.staff else {
            tracing::info!(
                variant = low.variant_id,
                available = low.available,
                "stock low (no staff_alert_email configured, no mail)"
            );
            return Ok(());
        };
        if already_applied(&self.db, CONSUMER, event).await? {
            return Ok(());
        }
        self.mailer.send(&alert(&low, staff)).await?;
        apply_once(&self.db, CONSUMER, event, |_| {
            Box::pin(async { Ok::<_, DbErr>(()) })
        })
        .await?;
        Ok(())
    }
}
