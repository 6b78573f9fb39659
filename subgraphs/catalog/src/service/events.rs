//! The catalog's events: each write appends its change to the outbox in its own transaction,
//! and every instance evicts what the change makes stale: the writer right after its commit,
//! every instance (the writer again, harmlessly) when the `catalog-cache` consumer receives
//! the event. A cache entry is stale across instances for as long as the event takes to
//! arrive, not for a time to live.

use async_trait::async_trait;
use commerce_kernel::events::{Consumer, Envelope, FanOut, NewEvent, Outbox, Subscription};
use sea_orm::{DatabaseTransaction, DbErr};

use super::{CatalogError, CatalogService, product_key, slug_key, variants_key};
use crate::domain::events::{CategoryChanged, CollectionChanged, ProductChanged};

/// One committed change, as written to the outbox and applied to caches.
#[derive(Debug, Clone)]
pub(super) enum Change {
    Product(ProductChanged),
    Category(CategoryChanged),
    Collection(CollectionChanged),
}

impl Change {
    fn new_event(&self) -> Result<NewEvent, DbErr> {
        match self {
            Self::Product(event) => NewEvent::of(event),
            Self::Category(event) => NewEvent::of(event),
            Self::Collection(event) => NewEvent::of(event),
        }
    }

    /// The change an envelope describes; `None` for types this version does not know.
    fn decode(event: &Envelope) -> anyhow::Result<Option<Self>> {
        if let Some(product) = event.decode::<ProductChanged>() {
            return Ok(Some(Self::Product(product?)));
        }
        if let Some(category) = event.decode::<CategoryChanged>() {
            return Ok(Some(Self::Category(category?)));
        }
        if let Some(collection) = event.decode::<CollectionChanged>() {
            return Ok(Some(Self::Collection(collection?)));
        }
        Ok(None)
    }

    /// The cache keys it makes stale; every change also moves the generation, which retires
    /// the category tree, counts and facets.
    fn stale_keys(&self) -> Vec<String> {
        match self {
            Self::Product(event) => event
                .product_key()
                .into_iter()
                .flat_map(|id| [product_key(id), variants_key(id)])
                .chain(event.slugs.iter().map(|slug| slug_key(slug)))
                .collect(),
            Self::Category(_) | Self::Collection(_) => Vec::new(),
        }
    }
}

impl From<ProductChanged> for Change {
    fn from(event: ProductChanged) -> Self {
        Self::Product(event)
    }
}

impl From<CategoryChanged> for Change {
    fn from(event: CategoryChanged) -> Self {
        Self::Category(event)
    }
}

impl From<CollectionChanged> for Change {
    fn from(event: CollectionChanged) -> Self {
        Self::Collection(event)
    }
}

impl CatalogService {
    /// Appends `changes` to the outbox in `txn`, commits, and evicts what they make stale
    /// on this instance.
    pub(super) async fn commit(
        &self,
        txn: DatabaseTransaction,
        changes: Vec<Change>,
    ) -> Result<(), CatalogError> {
        let events = changes
            .iter()
            .map(Change::new_event)
            .collect::<Result<Vec<_>, _>>()?;
        Outbox::append_all(&txn, events).await?;
        txn.commit().await?;
        self.evict(&changes).await;
        Ok(())
    }

    /// Applies a catalog event to this instance's caches.
    pub async fn apply_event(&self, event: &Envelope) -> anyhow::Result<()> {
        if let Some(change) = Change::decode(event)? {
            self.evict(&[change]).await;
        }
        Ok(())
    }

    /// Moves the shared generation (count and facet keys hold it, so they change too), then
    /// deletes the entities' keys: see `ReadThrough`.
    async fn evict(&self, changes: &[Change]) {
        let keys: Vec<String> = changes.iter().flat_map(Change::stale_keys).collect();
        self.entities.evict(&keys).await;
    }
}

/// Keeps this instance's caches in step with every instance's writes: each running instance
/// receives every catalog event.
pub struct CacheInvalidation {
    catalog: CatalogService,
}

impl CacheInvalidation {
    pub fn new(catalog: CatalogService) -> Self {
        Self { catalog }
    }
}

#[async_trait]
impl Consumer for CacheInvalidation {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "catalog-cache".to_owned(),
            domain: "catalog".to_owned(),
            fan_out: FanOut::EveryInstance,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.catalog.apply_event(event).await
    }
}
