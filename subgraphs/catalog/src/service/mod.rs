//! Catalog use cases: reads through the read-through cache, listings with cached counts and
//! facets, and the staff writes (each in one transaction, invalidating the cache after commit).

mod error;
mod import;
mod writes;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use commerce_kernel::cache::{SharedCache, get_or_load};
use commerce_kernel::pagination::{Page, PageRequest};
use sea_orm::DatabaseConnection;
use tracing::instrument;

pub use error::CatalogError;
pub use import::{ImportFormat, ImportReport, ImportRowError};
pub use writes::{CategoryChange, CollectionChange};

use crate::domain::{
    Category, Collection, ListWindow, Product, ProductFilter, ProductSort, Variant,
};
use crate::store::{self, FacetCounts, ListedProduct};

/// Hot single-product reads (product pages) stay cached this long unless a write evicts them.
const PRODUCT_TTL: Duration = Duration::from_secs(300);
/// The category tree is small and read on nearly every request: each instance keeps it in
/// memory, reloaded after its own writes and at least this often (others' writes).
const CATEGORY_TREE_TTL: Duration = Duration::from_secs(30);
/// Counts and facets are per filter and not evicted one by one: a short TTL bounds staleness
/// across instances, and this instance's writes move to fresh keys at once (see `generation`).
const AGGREGATE_TTL: Duration = Duration::from_secs(15);

#[derive(Clone)]
pub struct CatalogService {
    db: DatabaseConnection,
    cache: SharedCache,
    /// Bumped by every write of this instance and part of count/facet keys.
    generation: Arc<AtomicU64>,
    categories: Arc<RwLock<Option<Arc<CategoryTree>>>>,
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
        Self {
            db,
            cache,
            generation: Arc::new(AtomicU64::new(0)),
            categories: Arc::new(RwLock::new(None)),
        }
    }

    /// The category tree from memory, reloading it when stale.
    pub async fn category_tree(&self) -> Result<Arc<CategoryTree>, CatalogError> {
        let generation = self.generation.load(Ordering::Relaxed);
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
        get_or_load(&*self.cache, &product_key(id), PRODUCT_TTL, || async {
            let mut found = store::find_products(&self.db, &[id]).await?;
            Ok::<_, CatalogError>(found.pop())
        })
        .await
    }

    #[instrument(skip_all)]
    pub async fn product_by_slug(&self, slug: &str) -> Result<Option<Product>, CatalogError> {
        get_or_load(&*self.cache, &slug_key(slug), PRODUCT_TTL, || async {
            Ok::<_, CatalogError>(store::find_product_by_slug(&self.db, slug).await?)
        })
        .await
    }

    /// Batch read for DataLoaders and `_entities` (one query, no cache).
    pub async fn products(&self, ids: &[i64]) -> Result<Vec<Product>, CatalogError> {
        Ok(store::find_products(&self.db, ids).await?)
    }

    pub async fn variants_of_products(&self, ids: &[i64]) -> Result<Vec<Variant>, CatalogError> {
        Ok(store::variants_of_products(&self.db, ids).await?)
    }

    pub async fn variants(&self, ids: &[i64]) -> Result<Vec<Variant>, CatalogError> {
        Ok(store::find_variants(&self.db, ids).await?)
    }

    /// One page of a listing, in display order.
    #[instrument(skip_all)]
    pub async fn list_products(
        &self,
        filter: &ProductFilter,
        sort: Option<ProductSort>,
        page: &PageRequest,
    ) -> Result<Page<ListedProduct>, CatalogError> {
        let sort = ProductSort::effective(sort, filter);
        let window = ListWindow::new(sort, page)?;
        let rows = store::list(&self.db, filter, sort, &window).await?;
        Ok(Page::from_rows(rows, page))
    }

    #[instrument(skip_all)]
    pub async fn count_products(&self, filter: &ProductFilter) -> Result<i64, CatalogError> {
        let key = self.aggregate_key("count", filter);
        get_or_load(&*self.cache, &key, AGGREGATE_TTL, || async {
            Ok::<_, CatalogError>(store::count(&self.db, filter).await?)
        })
        .await
    }

    #[instrument(skip_all)]
    pub async fn facets(&self, filter: &ProductFilter) -> Result<FacetCounts, CatalogError> {
        let key = self.aggregate_key("facets", filter);
        get_or_load(&*self.cache, &key, AGGREGATE_TTL, || async {
            Ok::<_, CatalogError>(store::facets(&self.db, filter).await?)
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

    /// Count and facet keys: the filter's hash plus this instance's write generation.
    fn aggregate_key(&self, kind: &str, filter: &ProductFilter) -> String {
        let json = serde_json::to_vec(filter).expect("filters always serialize");
        let hash = xxhash_rust::xxh3::xxh3_64(&json);
        let generation = self.generation.load(Ordering::Relaxed);
        format!("products:{kind}:{generation}:{hash:016x}")
    }

    /// After a committed write: evict the products' cached reads, retire cached aggregates.
    async fn invalidate(&self, product_ids: &[i64], slugs: &[&str]) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        let keys: Vec<String> = product_ids
            .iter()
            .map(|&id| product_key(id))
            .chain(slugs.iter().map(|slug| slug_key(slug)))
            .collect();
        for chunk in keys.chunks(1000) {
            self.cache.delete(chunk).await;
        }
    }
}

fn product_key(id: i64) -> String {
    format!("product:id:{id}")
}

fn slug_key(slug: &str) -> String {
    format!("product:slug:{slug}")
}
