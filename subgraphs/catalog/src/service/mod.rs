//! Catalog use cases: reads through the read-through cache, listings with cached counts and
//! facets, and the staff writes (each in one transaction with its event; the cache is evicted
//! after the commit here, and on every other instance when the event reaches it).

mod error;
mod events;
mod import;
mod writes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use commerce_kernel::cache::{NoCache, ReadThrough, SharedCache};
use commerce_kernel::pagination::{Page, PageRequest};
use commerce_kernel::read_pipeline::ReadPipeline;
use commerce_kernel::subgraph::ResponseCache;
use sea_orm::DatabaseConnection;
use serde::Serialize;
use tracing::instrument;

pub use error::CatalogError;
pub use events::CacheInvalidation;
pub use import::{ImportFormat, ImportReport, ImportRowError};
pub use writes::{CategoryChange, CollectionChange};

use crate::domain::{
    Category, Collection, ListWindow, ListedParts, Product, ProductFilter, ProductSort, Variant,
};
use crate::store::{self, FacetCounts, ListedProduct};

// Every catalog event evicts what it makes stale, on every instance (see `events`); these
// times to live only bound staleness while events do not flow (Redis down, say).
/// Hot single-product reads (product pages).
const PRODUCT_TTL: Duration = Duration::from_secs(300);
/// The category tree: small and read on nearly every request, so each instance keeps it in
/// memory, reloaded after any catalog event.
const CATEGORY_TREE_TTL: Duration = Duration::from_secs(300);
/// Counts and facets, per filter: not evicted one by one, but keyed by `generation`, which
/// every catalog event moves on.
const AGGREGATE_TTL: Duration = Duration::from_secs(300);
/// Pages of listings, keyed like counts (any product change may move a row in or out of any
/// page); short, since a shop has many more pages than products. Whole answers too.
const PAGE_TTL: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct CatalogService {
    db: DatabaseConnection,
    /// Listings' reads, pipelined (PostgreSQL; without it they go through `db`'s pool).
    reads: Option<ReadPipeline>,
    /// Counts and facets (always cached: they scan the whole filter).
    cache: ReadThrough,
    /// Products, their variants and listing pages (`NoCache` with `read_cache = false`).
    entities: ReadThrough,
    /// Moved on by every catalog event this instance applies (its own writes' and, through
    /// the `catalog-cache` consumer, every instance's): part of count/facet keys and of the
    /// category tree's freshness.
    generation: Arc<AtomicU64>,
    /// Keeps this instance's count/facet keys apart from other instances' in a shared Redis
    /// (their generations count differently).
    instance: Arc<str>,
    categories: Arc<RwLock<Option<Arc<CategoryTree>>>>,
    /// Anonymous queries' whole answers, keyed by `generation` (none with `read_cache = false`).
    responses: Option<Arc<ResponseCache>>,
}

/// Every category, in display order, with lookups by id and slug.
pub struct CategoryTree {
    ordered: Vec<Category>,
    by_id: HashMap<i64, usize>,
    loaded_at: Instant,
    generation: u64,
}

impl CategoryTree {
    pub fn all(&self) -> &[Category] {
        &self.ordered
    }

    pub fn get(&self, id: i64) -> Option<&Category> {
        self.by_id.get(&id).map(|&index| &self.ordered[index])
    }

    pub fn by_slug(&self, slug: &str) -> Option<&Category> {
        self.ordered.iter().find(|c| c.slug == slug)
    }

    /// Root first, down to the parent.
    pub fn ancestors(&self, category: &Category) -> Vec<&Category> {
        category
            .path
            .ancestor_ids()
            .into_iter()
            .filter_map(|id| self.get(id))
            .collect()
    }
}

impl CatalogService {
    pub fn new(db: DatabaseConnection, cache: SharedCache) -> Self {
        let generation = Arc::new(AtomicU64::new(0));
        Self {
            db,
            reads: None,
            entities: ReadThrough::with_generation(cache.clone(), generation.clone()),
            cache: ReadThrough::with_generation(cache, generation.clone()),
            instance: format!("{:016x}", rand::random::<u64>()).into(),
            categories: Arc::new(RwLock::new(None)),
            responses: Some(Arc::new(ResponseCache::new(generation.clone(), PAGE_TTL))),
            generation,
        }
    }

    /// The response cache to serve the schema with, if any.
    pub fn response_cache(&self) -> Option<Arc<ResponseCache>> {
        self.responses.clone()
    }

    /// Reads products, variants and listing pages from the database every time, and answers
    /// no request from the response cache (counts and facets stay cached): `read_cache = false`.
    pub fn without_read_cache(mut self) -> Self {
        self.entities = ReadThrough::with_generation(Arc::new(NoCache), self.generation.clone());
        self.without_response_cache()
    }

    /// Reads listings through `reads` (see `commerce_kernel::read_pipeline`).
    pub fn with_read_pipeline(mut self, reads: ReadPipeline) -> Self {
        self.reads = Some(reads);
        self
    }

    /// Executes every query: `subgraph_response_cache = false`.
    pub fn without_response_cache(mut self) -> Self {
        self.responses = None;
        self
    }

    /// The category tree from memory, reloading it when stale.
    pub async fn category_tree(&self) -> Result<Arc<CategoryTree>, CatalogError> {
        let generation = self.generation.load(Ordering::SeqCst);
        let current = self
            .categories
            .read()
            .expect("category lock poisoned")
            .clone();
        if let Some(tree) = current.filter(|tree| {
            tree.generation == generation && tree.loaded_at.elapsed() < CATEGORY_TREE_TTL
        }) {
            return Ok(tree);
        }
        let ordered = store::all_categories(&self.db).await?;
        let by_id = ordered
            .iter()
            .enumerate()
            .map(|(index, c)| (c.id, index))
            .collect();
        let tree = Arc::new(CategoryTree {
            ordered,
            by_id,
            loaded_at: Instant::now(),
            generation,
        });
        *self.categories.write().expect("category lock poisoned") = Some(tree.clone());
        Ok(tree)
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    #[instrument(skip_all)]
    pub async fn product(&self, id: i64) -> Result<Option<Product>, CatalogError> {
        self.entities
            .get_or_load(&product_key(id), PRODUCT_TTL, || async {
                let mut found = store::find_products(&self.db, &[id]).await?;
                Ok(found.pop())
            })
            .await
    }

    #[instrument(skip_all)]
    pub async fn product_by_slug(&self, slug: &str) -> Result<Option<Product>, CatalogError> {
        self.entities
            .get_or_load(&slug_key(slug), PRODUCT_TTL, || async {
                Ok(store::find_product_by_slug(&self.db, slug).await?)
            })
            .await
    }

    /// Batch read for DataLoaders and `_entities` (one query, no cache).
    pub async fn products(&self, ids: &[i64]) -> Result<Vec<Product>, CatalogError> {
        Ok(store::find_products(&self.db, ids).await?)
    }

    /// The variants of these products (one query for the cache's misses), by product.
    pub async fn variants_of_products(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, Vec<Variant>>, CatalogError> {
        self.entities
            .get_many_or_load(
                ids,
                |&id| variants_key(id),
                PRODUCT_TTL,
                |_| true,
                |misses| async move {
                    let mut loaded: HashMap<i64, Vec<Variant>> =
                        misses.iter().map(|&id| (id, Vec::new())).collect();
                    for variant in store::variants_of_products(&self.db, &misses).await? {
                        loaded.entry(variant.product_id).or_default().push(variant);
                    }
                    Ok(loaded)
                },
            )
            .await
    }

    pub async fn variants(&self, ids: &[i64]) -> Result<Vec<Variant>, CatalogError> {
        Ok(store::find_variants(&self.db, ids).await?)
    }

    /// One page of a listing, in display order, each product with the `parts` asked for.
    #[instrument(skip_all)]
    pub async fn list_products(
        &self,
        filter: &ProductFilter,
        sort: Option<ProductSort>,
        page: &PageRequest,
        parts: ListedParts,
    ) -> Result<Page<ListedProduct>, CatalogError> {
        let sort = ProductSort::effective(sort, filter);
        let window = ListWindow::new(sort, page)?;
        let key = self.aggregate_key("page", &(filter, format!("{sort:?} {window:?}"), parts));
        let rows = self
            .entities
            .get_or_load(&key, PAGE_TTL, || async {
                let rows = store::list(&self.db, self.reads.as_ref(), filter, sort, &window, parts)
                    .await?;
                Ok::<_, CatalogError>(rows)
            })
            .await?;
        Ok(Page::from_rows(rows, page))
    }

    #[instrument(skip_all)]
    pub async fn count_products(&self, filter: &ProductFilter) -> Result<i64, CatalogError> {
        let key = self.aggregate_key("count", filter);
        self.cache
            .get_or_load(&key, AGGREGATE_TTL, || async {
                Ok(store::count(&self.db, filter).await?)
            })
            .await
    }

    #[instrument(skip_all)]
    pub async fn facets(&self, filter: &ProductFilter) -> Result<FacetCounts, CatalogError> {
        let key = self.aggregate_key("facets", filter);
        self.cache
            .get_or_load(&key, AGGREGATE_TTL, || async {
                Ok(store::facets(&self.db, filter).await?)
            })
            .await
    }

    pub async fn collections_by_ids(&self, ids: &[i64]) -> Result<Vec<Collection>, CatalogError> {
        Ok(store::find_collections(&self.db, ids).await?)
    }

    pub async fn collection_by_slug(&self, slug: &str) -> Result<Option<Collection>, CatalogError> {
        Ok(store::find_collection_by_slug(&self.db, slug).await?)
    }

    pub async fn collections_of_products(
        &self,
        ids: &[i64],
    ) -> Result<Vec<(i64, Collection)>, CatalogError> {
        Ok(store::collections_of_products(&self.db, ids).await?)
    }

    /// A page of collections in id order.
    pub async fn list_collections(
        &self,
        page: &PageRequest,
    ) -> Result<Page<Collection>, CatalogError> {
        let cursor = page.cursor.as_ref().map(|c| c.i64_at(0)).transpose()?;
        let backward = page.direction == commerce_kernel::pagination::Direction::Backward;
        let rows = store::list_collections(&self.db, cursor, backward, page.fetch_limit()).await?;
        Ok(Page::from_rows(rows, page))
    }

    /// Count, facet and page keys: the filter's hash, this instance and its generation.
    fn aggregate_key(&self, kind: &str, filter: &impl Serialize) -> String {
        let json = serde_json::to_vec(filter).expect("filters always serialize");
        let hash = xxhash_rust::xxh3::xxh3_64(&json);
        let generation = self.generation.load(Ordering::SeqCst);
        format!("products:{kind}:{}:{generation}:{hash:016x}", self.instance)
    }
}

fn product_key(id: i64) -> String {
    format!("product:id:{id}")
}

fn slug_key(slug: &str) -> String {
    format!("product:slug:{slug}")
}

fn variants_key(product_id: i64) -> String {
    format!("product:variants:{product_id}")
}
