//! DataLoaders for what `_entities` batches do not cover (`entities` loads those whole):
//! the products that reviews reference and the `review` root field, gathered into one query
//! per kind. They keep no cache, so they may live in schema data.

use std::collections::{BTreeMap, HashMap};

use async_graphql::dataloader::Loader;
use commerce_kernel::error::top_level;

use crate::domain::{RatingSummary, Review, ReviewId};
use crate::service::ReviewsService;

/// Ratings by product id (cache first, then one query for the misses).
pub struct RatingLoader(pub ReviewsService);

impl Loader<String> for RatingLoader {
    type Value = RatingSummary;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[String]) -> Result<HashMap<String, RatingSummary>, Self::Error> {
        self.0.ratings(keys).await.map_err(top_level)
    }
}

/// The newest `limit` approved reviews of a product.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LatestReviews {
    pub product_id: String,
    pub limit: u64,
}

/// First pages of reviews: one window-function query per distinct page size in the batch.
pub struct LatestReviewsLoader(pub ReviewsService);

impl Loader<LatestReviews> for LatestReviewsLoader {
    type Value = Vec<Review>;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[LatestReviews],
    ) -> Result<HashMap<LatestReviews, Vec<Review>>, Self::Error> {
        let mut by_limit: BTreeMap<u64, Vec<String>> = BTreeMap::new();
        for key in keys {
            by_limit
                .entry(key.limit)
                .or_default()
                .push(key.product_id.clone());
        }
        let mut pages = HashMap::with_capacity(keys.len());
        for (limit, product_ids) in by_limit {
            let mut latest = self
                .0
                .latest_reviews(&product_ids, limit)
                .await
                .map_err(top_level)?;
            for product_id in product_ids {
                let reviews = latest.remove(&product_id).unwrap_or_default();
                pages.insert(LatestReviews { product_id, limit }, reviews);
            }
        }
        Ok(pages)
    }
}

/// Reviews by id, for the `review` root field (aliases batch together).
pub struct ReviewLoader(pub ReviewsService);

impl Loader<ReviewId> for ReviewLoader {
    type Value = Review;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[ReviewId]) -> Result<HashMap<ReviewId, Review>, Self::Error> {
        let reviews = self.0.reviews(keys).await.map_err(top_level)?;
        Ok(reviews
            .into_iter()
            .map(|review| (review.id, review))
            .collect())
    }
}
