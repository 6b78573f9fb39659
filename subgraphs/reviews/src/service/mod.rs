//! Use cases of the reviews domain: submitting, moderating (with the rating aggregate kept in
//! step, and the event written, in the same transaction), and the batched, cached reads behind the GraphQL fields.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use commerce_kernel::cache::{ReadThrough, SharedCache};
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{Consumer, Envelope, FanOut, Outbox, Subscription};
use commerce_kernel::pagination::{Page, PageRequest};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use tracing::instrument;

mod error;

pub use error::ReviewError;

use crate::domain::events::{ReviewModerated, ReviewSubmitted};
use crate::domain::{
    ModerationAction, ModerationStatus, NewReview, RatingSummary, Review, ReviewId,
};
use crate::store;

/// How long a cached rating may live. A moderation evicts the entry right after its commit,
/// and every instance again when its `reviews.review_moderated` arrives (`RatingCache`); the
/// TTL only bounds staleness while events do not flow.
const RATING_TTL: Duration = Duration::from_secs(300);

/// A moderation retries when the review changed between its statements (another moderator).
const MODERATION_ATTEMPTS: usize = 3;

/// What a moderation did.
#[derive(Debug, Clone, PartialEq)]
pub enum Moderated {
    /// The review now has the requested status (or already had it).
    Updated(Review),
    /// The review was deleted; this is how it was.
    Removed(Review),
}

impl Moderated {
    /// The review as it is now, or as it was before it was removed.
    pub fn review(self) -> Review {
        match self {
            Self::Updated(review) | Self::Removed(review) => review,
        }
    }
}

#[derive(Clone)]
pub struct ReviewsService {
    db: DatabaseConnection,
    cache: ReadThrough,
}

/// Current time at the database's precision (microseconds), so cursors round-trip exactly.
pub fn now() -> DateTime<Utc> {
    let micros = Utc::now().timestamp_micros();
    DateTime::from_timestamp_micros(micros).expect("the current time is in range")
}

fn rating_key(product_id: &str) -> String {
    format!("rating:{product_id}")
}

impl ReviewsService {
    pub fn new(db: DatabaseConnection, cache: SharedCache) -> Self {
        Self {
            db,
            cache: ReadThrough::new(cache),
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Stores a validated review as pending; it counts nowhere until approved.
    #[instrument(skip_all, fields(product = %review.product.as_str()))]
    pub async fn submit(&self, review: &NewReview) -> Result<Review, ReviewError> {
        let txn = begin_write(&self.db).await?;
        let review = store::insert_review(&txn, review, now()).await?;
        Outbox::append(&txn, &ReviewSubmitted::new(&review)).await?;
        txn.commit().await?;
        Ok(review)
    }

    /// Approves, rejects or removes a review, updating its product's stored rating in the same
    /// transaction when the review enters or leaves the approved state.
    #[instrument(skip_all, fields(review = id.0, ?action))]
    pub async fn moderate(
        &self,
        id: ReviewId,
        action: ModerationAction,
    ) -> Result<Moderated, ReviewError> {
        for _ in 0..MODERATION_ATTEMPTS {
            let txn = begin_write(&self.db).await?;
            if let Some(outcome) = moderate_in(&txn, id, action).await? {
                txn.commit().await?;
                let (Moderated::Updated(review) | Moderated::Removed(review)) = &outcome;
                self.cache.evict(&[rating_key(&review.product_id)]).await;
                return Ok(outcome);
            }
            txn.rollback().await?;
        }
        Err(ReviewError::ConcurrentModeration { id: id.global() })
    }

    pub async fn review(&self, id: ReviewId) -> Result<Option<Review>, ReviewError> {
        store::find_review(&self.db, id).await
    }

    /// Reviews by id in one query, for entity batches.
    pub async fn reviews(&self, ids: &[ReviewId]) -> Result<Vec<Review>, ReviewError> {
        store::find_reviews(&self.db, ids).await
    }

    /// The ratings of a batch of products: cache hits first, then one query for the misses.
    /// Products without approved reviews get an empty summary (cached too).
    #[instrument(skip_all, fields(products = product_ids.len()))]
    pub async fn ratings(
        &self,
        product_ids: &[String],
    ) -> Result<HashMap<String, RatingSummary>, ReviewError> {
        self.cache
            .get_many_or_load(
                product_ids,
                |id| rating_key(id),
                RATING_TTL,
                |_| true,
                |misses| async move {
                    let mut loaded = store::ratings(&self.db, &misses).await?;
                    Ok(misses
                        .into_iter()
                        .map(|id| {
                            let summary = loaded.remove(&id).unwrap_or_default();
                            (id, summary)
                        })
                        .collect())
                },
            )
            .await
    }

    /// Applies a reviews event to this instance's cache.
    pub async fn apply_event(&self, event: &Envelope) -> anyhow::Result<()> {
        if let Some(moderated) = event.decode::<ReviewModerated>() {
            self.cache
                .evict(&[rating_key(&moderated?.product_id)])
                .await;
        }
        Ok(())
    }

    /// The newest `limit` approved reviews of each product of a batch, in one query.
    pub async fn latest_reviews(
        &self,
        product_ids: &[String],
        limit: u64,
    ) -> Result<HashMap<String, Vec<Review>>, ReviewError> {
        store::latest_approved(&self.db, product_ids, limit).await
    }

    /// A page of one product's approved reviews, newest first.
    pub async fn product_reviews(
        &self,
        product_id: &str,
        request: &PageRequest,
    ) -> Result<Page<Review>, ReviewError> {
        store::approved_page(&self.db, product_id, request).await
    }

    /// A page of the reviews in `status`, oldest first, with how many there are in all.
    pub async fn moderation_queue(
        &self,
        status: ModerationStatus,
        request: &PageRequest,
    ) -> Result<(Page<Review>, i64), ReviewError> {
        let page = store::page_by_status(&self.db, status, request).await?;
        let total = store::count_by_status(&self.db, status).await?;
        Ok((page, total))
    }

    /// Products whose stored rating differs from a recomputation over their approved reviews
    /// (an audit; empty when the aggregate is consistent).
    pub async fn rating_drift(&self) -> Result<Vec<RatingDrift>, ReviewError> {
        let txn = begin_write(&self.db).await?;
        let stored = store::stored_ratings(&txn).await?;
        let actual = store::recompute_ratings(&txn).await?;
        txn.commit().await?;
        let products: BTreeSet<&String> = stored.keys().chain(actual.keys()).collect();
        let drift = products
            .into_iter()
            .filter_map(|product_id| {
                let stored = stored.get(product_id).copied().unwrap_or_default();
                let actual = actual.get(product_id).copied().unwrap_or_default();
                (stored != actual).then(|| RatingDrift {
                    product_id: product_id.clone(),
                    stored,
                    actual,
                })
            })
            .collect();
        Ok(drift)
    }
}

/// Keeps this instance's rating cache in step with every instance's moderations.
pub struct RatingCache {
    service: ReviewsService,
}

impl RatingCache {
    pub fn new(service: ReviewsService) -> std::sync::Arc<Self> {
        std::sync::Arc::new(Self { service })
    }
}

#[async_trait]
impl Consumer for RatingCache {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "reviews-cache".to_owned(),
            domain: "reviews".to_owned(),
            fan_out: FanOut::EveryInstance,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.service.apply_event(event).await
    }
}

/// A product whose stored rating disagrees with its approved reviews.
#[derive(Debug, Clone, PartialEq)]
pub struct RatingDrift {
    pub product_id: String,
    pub stored: RatingSummary,
    pub actual: RatingSummary,
}

/// One attempt at a moderation. `None` means the review changed between statements and the
/// caller should roll back and retry.
async fn moderate_in(
    txn: &DatabaseTransaction,
    id: ReviewId,
    action: ModerationAction,
) -> Result<Option<Moderated>, ReviewError> {
    let target = action.target();
    // Writing first (a conditional update per possible current status) takes the write lock
    // before any read, which SQLite needs to avoid stale-snapshot failures.
    for from in ModerationStatus::ALL
        .into_iter()
        .filter(|s| Some(*s) != target)
    {
        let changed = match target {
            Some(to) => store::transition(txn, id, from, to, now()).await?,
            None => store::delete_if(txn, id, from).await?,
        };
        if let Some(review) = changed {
            let delta = from.rating_delta(target);
            if delta != 0 {
                store::add_to_rating(txn, &review.product_id, review.stars, delta).await?;
            }
            Outbox::append(txn, &ReviewModerated::new(&review, from, target)).await?;
            return Ok(Some(match target {
                Some(_) => Moderated::Updated(review),
                None => Moderated::Removed(review),
            }));
        }
    }
    match store::find_review(txn, id).await? {
        None => Err(ReviewError::ReviewNotFound { id: id.global() }),
        Some(review) if Some(review.status) == target => Ok(Some(Moderated::Updated(review))),
        Some(_) => Ok(None),
    }
}
