//! The read-through cache of variants' base prices (every currency per variant; in-process by
//! default, Redis when `redis_url` is set). Exact on the writing instance: `setVariantPrices`
//! and `removeVariantPrice` evict the variant right after their commit. Every other instance
//! evicts it when the write's `pricing.price_changed` reaches its `pricing-cache` consumer (all
//! instances get every event). Price lists, promotions and taxes publish no events yet, so
//! they are read from the database on every batch, as before.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commerce_kernel::Currency;
use commerce_kernel::cache::ReadThrough;
use commerce_kernel::events::{Consumer, Envelope, FanOut, Subscription};

use super::{PricingService, Result};
use crate::domain::events::PriceChanged;
use crate::domain::{BasePrice, PriceData, VariantId};
use crate::store::prices;

/// Bounds how long an entry lives if events stopped flowing (Redis down); events, not this,
/// keep entries fresh.
const PRICES_TTL: Duration = Duration::from_secs(300);

fn prices_key(variant_id: &String) -> String {
    format!("prices:{variant_id}")
}

impl PricingService {
    /// [`prices::price_data`] with the base prices from the cache (misses in one query).
    pub(super) async fn cached_price_data(
        &self,
        cache: &ReadThrough,
        variant_ids: &[String],
        currency: Currency,
    ) -> Result<HashMap<String, PriceData>> {
        let all = cache
            .get_many_or_load(
                variant_ids,
                prices_key,
                PRICES_TTL,
                |_: &Vec<BasePrice>| true,
                |misses| async move {
                    let mut found = prices::base_prices(&self.db, &misses).await?;
                    Ok::<_, super::ServiceError>(
                        misses
                            .into_iter()
                            .map(|id| {
                                let prices = found.remove(&id).unwrap_or_default();
                                (id, prices)
                            })
                            .collect(),
                    )
                },
            )
            .await?;
        let bases = all
            .into_iter()
            .filter_map(|(id, prices)| {
                let base = prices.into_iter().find(|p| p.amount.currency == currency)?;
                Some((id, base))
            })
            .collect();
        Ok(prices::price_data_with_bases(&self.db, variant_ids, currency, bases).await?)
    }

    /// Forgets a variant's cached prices (after the commit that changed them).
    pub(super) async fn evict_prices(&self, variant: &VariantId) {
        if let Some(cache) = &self.cache {
            cache
                .evict(&[prices_key(&variant.as_str().to_owned())])
                .await;
        }
    }

    /// Applies a pricing event to this instance's cache.
    pub async fn apply_event(&self, event: &Envelope) -> anyhow::Result<()> {
        if let Some(changed) = event.decode::<PriceChanged>()
            && let Some(cache) = &self.cache
        {
            cache.evict(&[prices_key(&changed?.variant_id)]).await;
        }
        Ok(())
    }
}

/// Keeps this instance's price cache in step with every instance's writes.
pub struct PriceCache {
    pricing: PricingService,
}

impl PriceCache {
    pub fn new(pricing: PricingService) -> Arc<Self> {
        Arc::new(Self { pricing })
    }
}

#[async_trait]
impl Consumer for PriceCache {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "pricing-cache".to_owned(),
            domain: "pricing".to_owned(),
            fan_out: FanOut::EveryInstance,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.pricing.apply_event(event).await
    }
}
