//! `_entities` batches resolved whole: the first `Product` or `Review` of a request reads every
//! representation of its type, and the first field that needs data loads it for all of them
//! (ratings in one query after the cache, first pages of reviews in one query per page size,
//! reviews in one query). The cost of a batch depends neither on its size nor on scheduling.
//! Products reached another way (a review's `product`) go through the DataLoaders.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use async_graphql::Context;
use commerce_kernel::entities::{RequestScopes, representation_ids};
use commerce_kernel::error::top_level;
use tokio::sync::OnceCell;

use crate::domain::{ProductRef, RatingSummary, Review, ReviewId};
use crate::service::ReviewsService;

const PRODUCT: &str = "Product";

/// A batch load's outcome, error included: a failure is logged once and given to every
/// field of the batch, not retried per product.
type Loaded<T> = OnceCell<async_graphql::Result<T>>;
/// Each product's newest reviews, for one page size.
type LatestPages = Arc<Loaded<HashMap<String, Vec<Review>>>>;

/// Per-request state of the `_entities` batches.
#[derive(Default)]
pub struct EntityBatches {
    products: OnceLock<Arc<ProductBatch>>,
    reviews: Loaded<HashMap<ReviewId, Review>>,
}

/// Gives every request its own [`EntityBatches`].
pub fn request_scopes() -> RequestScopes {
    RequestScopes::default().with::<EntityBatches>()
}

fn batches<'a>(ctx: &Context<'a>) -> async_graphql::Result<&'a EntityBatches> {
    ctx.data::<EntityBatches>()
}

fn service<'a>(ctx: &Context<'a>) -> &'a ReviewsService {
    ctx.data_unchecked::<ReviewsService>()
}

/// The request's batch of products; call from the `Product` entity resolver.
pub fn product_batch(ctx: &Context<'_>) -> async_graphql::Result<Arc<ProductBatch>> {
    let batch = batches(ctx)?.products.get_or_init(|| {
        let mut ids: Vec<String> = representation_ids(ctx, PRODUCT)
            .iter()
            // Malformed ids are left out here and rejected by their own fields.
            .filter_map(|id| ProductRef::parse(id).ok())
            .map(|product| product.as_str().to_owned())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        Arc::new(ProductBatch::new(service(ctx).clone(), ids))
    });
    Ok(batch.clone())
}

/// Every `Product` representation of a request, and what its fields have loaded for all of them.
pub struct ProductBatch {
    service: ReviewsService,
    ids: Vec<String>,
    ratings: Loaded<HashMap<String, RatingSummary>>,
    /// First pages by page size: requests may ask for several (aliases).
    latest: Mutex<HashMap<u64, LatestPages>>,
}

impl ProductBatch {
    fn new(service: ReviewsService, ids: Vec<String>) -> Self {
        Self {
            service,
            ids,
            ratings: OnceCell::new(),
            latest: Mutex::default(),
        }
    }

    /// A product's rating; the first call loads the whole batch's (cache first).
    pub async fn rating(&self, product_id: &str) -> async_graphql::Result<RatingSummary> {
        let ratings = self
            .ratings
            .get_or_init(|| async { self.service.ratings(&self.ids).await.map_err(top_level) })
            .await
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(ratings.get(product_id).copied().unwrap_or_default())
    }

    /// A product's newest `limit` approved reviews; the first call for a `limit` loads the
    /// whole batch's in one query.
    pub async fn latest_reviews(
        &self,
        product_id: &str,
        limit: u64,
    ) -> async_graphql::Result<Vec<Review>> {
        let cell = self
            .latest
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(limit)
            .or_default()
            .clone();
        let pages = cell
            .get_or_init(|| async {
                self.service
                    .latest_reviews(&self.ids, limit)
                    .await
                    .map_err(top_level)
            })
            .await
            .as_ref()
            .map_err(Clone::clone)?;
        Ok(pages.get(product_id).cloned().unwrap_or_default())
    }
}

/// A review of the request's `Review` representations; the first call loads them all.
pub async fn review(ctx: &Context<'_>, id: ReviewId) -> async_graphql::Result<Option<Review>> {
    let reviews = batches(ctx)?
        .reviews
        .get_or_init(|| async {
            let ids: Vec<ReviewId> = representation_ids(ctx, ReviewId::TYPE)
                .iter()
                .filter_map(|id| ReviewId::parse(id).ok())
                .collect();
            let reviews = service(ctx).reviews(&ids).await.map_err(top_level)?;
            Ok(reviews
                .into_iter()
                .map(|review| (review.id, review))
                .collect())
        })
        .await
        .as_ref()
        .map_err(Clone::clone)?;
    Ok(reviews.get(&id).cloned())
}
