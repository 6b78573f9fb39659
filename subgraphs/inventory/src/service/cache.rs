//! The read-through cache of stock levels per variant (in-process by default, Redis when
//! `redis_url` is set). Exact on the writing instance: every write evicts its variants right
//! after its commit. Every other instance evicts them when the write's `inventory.stock_changed`
//! reaches its `inventory-cache` consumer (all instances get every event). A reservation
//! lapsing changes availability without any write, so an entry also carries the earliest
//! expiry of a live reservation holding its units and is not served from then on.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_kernel::events::{Consumer, Envelope, FanOut, Subscription};
use serde::{Deserialize, Serialize};

use super::{InventoryError, InventoryService};
use crate::domain::events::StockChanged;
use crate::domain::{Availability, StockLevel, VariantId};
use crate::store::stock as stock_store;

/// Bounds how long an entry lives if events stopped flowing (Redis down); events, not this,
/// keep entries fresh.
pub(super) const STOCK_TTL: Duration = Duration::from_secs(60);

/// A variant's levels as readers saw them, and until when they hold without a write.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct CachedStock {
    levels: Vec<StockLevel>,
    /// Unix milliseconds of the earliest lapse of a reservation holding these units.
    valid_until: Option<i64>,
}

impl CachedStock {
    fn fresh_at(&self, now: DateTime<Utc>) -> bool {
        self.valid_until
            .is_none_or(|until| now.timestamp_millis() < until)
    }
}

pub(super) fn stock_key(variant: &VariantId) -> String {
    format!("stock:{}", variant.as_str())
}

impl InventoryService {
    /// Stock of many variants: cache hits first, one query for the misses.
    pub(super) async fn cached_availability(
        &self,
        cache: &commerce_kernel::cache::ReadThrough,
        variants: &[VariantId],
    ) -> Result<HashMap<VariantId, Availability>, InventoryError> {
        let now = self.clock.now();
        let found = cache
            .get_many_or_load(
                variants,
                stock_key,
                STOCK_TTL,
                |stock: &CachedStock| stock.fresh_at(now),
                |misses| self.load_stock(misses, now),
            )
            .await?;
        Ok(found
            .into_iter()
            .filter(|(_, stock)| !stock.levels.is_empty())
            .map(|(variant, stock)| {
                let levels = stock.levels;
                (variant, Availability { levels })
            })
            .collect())
    }

    async fn load_stock(
        &self,
        variants: Vec<VariantId>,
        now: DateTime<Utc>,
    ) -> Result<HashMap<VariantId, CachedStock>, InventoryError> {
        let rows = stock_store::levels_with_next_lapse(&self.db, &variants, now).await?;
        let mut stock: HashMap<VariantId, CachedStock> = variants
            .into_iter()
            .map(|variant| (variant, CachedStock::default()))
            .collect();
        for (level, next_lapse) in rows {
            let entry = stock.entry(level.variant_id.clone()).or_default();
            entry.valid_until = match (entry.valid_until, next_lapse) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            entry.levels.push(level);
        }
        Ok(stock)
    }

    /// Forgets the cached stock of `variants` (after the commit that changed it).
    pub(super) async fn evict_stock<'a>(&self, variants: impl IntoIterator<Item = &'a VariantId>) {
        if let Some(cache) = &self.cache {
            let keys: Vec<String> = variants.into_iter().map(stock_key).collect();
            cache.evict(&keys).await;
        }
    }

    /// Applies an inventory event to this instance's cache.
    pub async fn apply_event(&self, event: &Envelope) -> anyhow::Result<()> {
        if let Some(changed) = event.decode::<StockChanged>() {
            let variant = VariantId::from_stored(changed?.variant_id);
            self.evict_stock([&variant]).await;
        }
        Ok(())
    }
}

/// Keeps this instance's stock cache in step with every instance's writes.
pub struct StockCache {
    inventory: InventoryService,
}

impl StockCache {
    pub fn new(inventory: InventoryService) -> Arc<Self> {
        Arc::new(Self { inventory })
    }
}

#[async_trait]
impl Consumer for StockCache {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "inventory-cache".to_owned(),
            domain: "inventory".to_owned(),
            fan_out: FanOut::EveryInstance,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.inventory.apply_event(event).await
    }
}
