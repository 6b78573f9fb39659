//! The analytics use cases: applying events (once each) to the rollups, rebuilding them from
//! the log, and the dashboard's range reads.

mod consumers;
mod error;

use commerce_kernel::Currency;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{Envelope, apply_once};
use sea_orm::{ConnectionTrait, DatabaseConnection};
use tracing::instrument;

pub use consumers::{EventFeed, FEEDS};
pub use error::AnalyticsError;

use crate::domain::DateRange;
use crate::domain::fold::{self, Fact, Keys};
use crate::domain::reports::{
    CategorySales, CurrencySales, CustomerCounts, DaySales, LowStock, ProductSales, Refunds,
    SalesTotals,
};
use crate::store;

/// Events read from the log per step of a rebuild.
const REBUILD_PAGE: usize = 1000;

#[derive(Clone)]
pub struct AnalyticsService {
    db: DatabaseConnection,
}

impl AnalyticsService {
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Applies one delivered event for the consumer group `consumer`, once: `apply_once`
    /// skips a redelivery, and the log (keyed by event id) skips an event another path
    /// already applied. Events that change no rollup are not recorded.
    pub async fn apply(&self, consumer: &str, event: &Envelope) -> anyhow::Result<()> {
        if Fact::decode(event)?.is_none() {
            return Ok(());
        }
        let owned = event.clone();
        apply_once(&self.db, consumer, event, |txn| {
            Box::pin(async move { apply_events(txn, std::slice::from_ref(&owned)).await })
        })
        .await?;
        Ok(())
    }

    /// Applies `events` in one transaction (loading history, a backfill): the consumers'
    /// fold, with the log deduplicating. Returns how many were new.
    pub async fn apply_batch(&self, events: &[Envelope]) -> Result<usize, AnalyticsError> {
        let txn = begin_write(&self.db).await?;
        let applied = apply_events(&txn, events).await?;
        txn.commit().await?;
        Ok(applied)
    }

    /// Empties the rollups and replays the log into them, in one transaction (readers see
    /// the old rollups until it commits). Returns how many events were replayed.
    #[instrument(skip_all)]
    pub async fn rebuild(&self) -> Result<u64, AnalyticsError> {
        let txn = begin_write(&self.db).await?;
        store::lock(&txn).await?;
        store::clear(&txn).await?;
        let mut replayed = 0u64;
        let mut after = None;
        loop {
            let page = store::log_page(&txn, after.clone(), REBUILD_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some((last.time.timestamp_micros(), last.id.to_string()));
            replayed += page.len() as u64;
            fold_and_save(&txn, &page).await?;
        }
        txn.commit().await?;
        tracing::info!(replayed, "analytics rebuilt from its event log");
        Ok(replayed)
    }

    /// One entry per day of `range`, days without sales as zeros.
    pub async fn sales_by_day(
        &self,
        range: DateRange,
        currency: Currency,
    ) -> Result<Vec<DaySales>, AnalyticsError> {
        let mut stored = store::sales_by_day(&self.db, range, currency)
            .await?
            .into_iter()
            .peekable();
        Ok(range
            .days()
            .map(|day| match stored.next_if(|sales| sales.day == day) {
                Some(sales) => sales,
                None => DaySales {
                    day,
                    totals: SalesTotals::default(),
                },
            })
            .collect())
    }

    pub async fn sales_summary(
        &self,
        range: DateRange,
    ) -> Result<Vec<CurrencySales>, AnalyticsError> {
        Ok(store::sales_summary(&self.db, range).await?)
    }

    pub async fn top_products(
        &self,
        range: DateRange,
        currency: Currency,
        first: usize,
    ) -> Result<Vec<ProductSales>, AnalyticsError> {
        Ok(store::top_products(&self.db, range, currency, first).await?)
    }

    pub async fn top_categories(
        &self,
        range: DateRange,
        currency: Currency,
        first: usize,
    ) -> Result<Vec<CategorySales>, AnalyticsError> {
        Ok(store::top_categories(&self.db, range, currency, first).await?)
    }

    pub async fn customer_counts(
        &self,
        range: DateRange,
    ) -> Result<CustomerCounts, AnalyticsError> {
        Ok(store::customer_counts(&self.db, range).await?)
    }

    pub async fn refunds(&self, range: DateRange) -> Result<Vec<Refunds>, AnalyticsError> {
        Ok(store::refunds(&self.db, range).await?)
    }

    pub async fn low_stock(&self, first: usize) -> Result<Vec<LowStock>, AnalyticsError> {
        Ok(store::low_stock(&self.db, first).await?)
    }
}

/// Logs the events not logged yet and folds them into the rollups.
async fn apply_events(
    txn: &impl ConnectionTrait,
    events: &[Envelope],
) -> Result<usize, AnalyticsError> {
    let mut relevant = Vec::with_capacity(events.len());
    for event in events {
        if Fact::decode(event)?.is_some() {
            relevant.push(event.clone());
        }
    }
    store::lock(txn).await?;
    let new = store::log_new(txn, &relevant).await?;
    fold_and_save(txn, &new).await?;
    Ok(new.len())
}

async fn fold_and_save(
    txn: &impl ConnectionTrait,
    events: &[Envelope],
) -> Result<(), AnalyticsError> {
    let mut facts = Vec::with_capacity(events.len());
    for event in events {
        facts.extend(Fact::decode(event)?);
    }
    let mut state = store::load(txn, &Keys::of(&facts)).await?;
    let changes = fold::fold(&mut state, facts);
    store::save(txn, &state, &changes).await?;
    Ok(())
}
