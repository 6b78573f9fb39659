//! Use cases: reads for the graph, staff changes made idempotent by key, and the reserve /
//! release / commit cycle checkout relies on. Every write transaction begins with a write (see
//! `commerce_kernel::idempotency::claim`), and transient lock conflicts are retried. Every
//! change of stock publishes its new levels in its transaction (`events`); stock running low is
//! mailed to staff (`alerts`).

mod alerts;
mod cache;
mod clock;
mod error;
mod events;
mod idempotent;
mod reservations;
mod stock;

use std::collections::HashMap;

use commerce_kernel::cache::{ReadThrough, SharedCache};
use commerce_kernel::pagination::{Page, PageRequest};
use sea_orm::DatabaseConnection;

pub use self::alerts::StockAlerts;
pub use self::cache::StockCache;
pub use self::clock::Clock;
pub use self::error::InventoryError;
pub use self::events::DEFAULT_LOW_STOCK_THRESHOLD;
pub use self::reservations::ReserveLine;
pub use self::stock::{AdjustStock, NewWarehouse, SetStock};
use crate::domain::{Availability, Reservation, StockMovement, VariantId, Warehouse};
pub use crate::store::movements::MovementFilter;
pub use crate::store::stock::Ledger;
use crate::store::{
    movements, reservations as reservation_store, stock as stock_store, warehouses,
};

/// The inventory use cases over one database.
#[derive(Clone)]
pub struct InventoryService {
    db: DatabaseConnection,
    clock: Clock,
    /// Available units below which a variant's stock is low (`inventory.stock_low`).
    low_stock: i64,
    /// Stock levels read through (see `cache`); none for tests that count statements.
    cache: Option<ReadThrough>,
}

impl InventoryService {
    pub fn new(db: DatabaseConnection, clock: Clock) -> Self {
        Self {
            db,
            clock,
            low_stock: DEFAULT_LOW_STOCK_THRESHOLD,
            cache: None,
        }
    }

    /// Reads stock levels through `cache`.
    pub fn with_cache(mut self, cache: SharedCache) -> Self {
        self.cache = Some(ReadThrough::new(cache));
        self
    }

    pub fn with_low_stock_threshold(mut self, threshold: i64) -> Self {
        self.low_stock = threshold;
        self
    }

    pub fn clock(&self) -> &Clock {
        &self.clock
    }

    /// Stock of many variants with one query (after the cache, if any); variants without
    /// rows have none.
    pub async fn availability(
        &self,
        variants: &[VariantId],
    ) -> Result<HashMap<VariantId, Availability>, InventoryError> {
        if let Some(cache) = &self.cache {
            return self.cached_availability(cache, variants).await;
        }
        let levels = stock_store::levels_of(&self.db, variants, self.clock.now()).await?;
        let mut by_variant: HashMap<VariantId, Availability> = HashMap::new();
        for level in levels {
            by_variant
                .entry(level.variant_id.clone())
                .or_default()
                .levels
                .push(level);
        }
        Ok(by_variant)
    }

    pub async fn warehouses(&self) -> Result<Vec<Warehouse>, InventoryError> {
        Ok(warehouses::all(&self.db).await?)
    }

    /// A page of the movement log, newest first, and how many movements match.
    pub async fn movements(
        &self,
        filter: &MovementFilter,
        request: &PageRequest,
    ) -> Result<(Page<StockMovement>, i64), InventoryError> {
        let position = |cursor: &Option<commerce_kernel::pagination::Cursor>| {
            cursor.as_ref().map(|c| c.i64_at(0)).transpose()
        };
        let cursor = position(&request.cursor)?;
        let bound = position(&request.bound)?;
        let page = movements::page(&self.db, filter, request, cursor, bound).await?;
        let total = movements::count(&self.db, filter).await?;
        Ok((page, total))
    }

    /// A reservation as checkout should see it (a lapsed one reads as expired).
    pub async fn reservation(&self, key: &str) -> Result<Option<Reservation>, InventoryError> {
        let now = self.clock.now();
        let found = reservation_store::find_by_key(&self.db, key).await?;
        Ok(found.map(|stored| {
            let mut reservation = stored.reservation;
            reservation.status = reservation.effective_status(now);
            reservation
        }))
    }

    /// Levels that disagree with the movement log or with live reservations; empty when the
    /// books balance. For audits and tests.
    pub async fn discrepancies(&self) -> Result<Vec<Ledger>, InventoryError> {
        Ok(stock_store::discrepancies(&self.db).await?)
    }
}
