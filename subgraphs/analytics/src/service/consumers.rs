//! The consumers that feed the rollups: one shared group per domain stream analytics reads,
//! each event applied once (`AnalyticsService::apply`).

use async_trait::async_trait;
use commerce_kernel::events::{Consumer, Envelope, FanOut, Subscription};

use super::AnalyticsService;

/// (consumer group, domain stream) of every feed.
pub const FEEDS: [(&str, &str); 5] = [
    ("analytics-orders", "orders"),
    ("analytics-catalog", "catalog"),
    ("analytics-payments", "payments"),
    ("analytics-inventory", "inventory"),
    ("analytics-customers", "customers"),
];

/// One domain's stream into the rollups. Shared: each event goes to one analytics instance.
pub struct EventFeed {
    service: AnalyticsService,
    group: &'static str,
    domain: &'static str,
}

impl EventFeed {
    pub fn new(service: AnalyticsService, group: &'static str, domain: &'static str) -> Self {
        Self {
            service,
            group,
            domain,
        }
    }
}

#[async_trait]
impl Consumer for EventFeed {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: self.group.to_owned(),
            domain: self.domain.to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.service.apply(self.group, event).await
    }
}
