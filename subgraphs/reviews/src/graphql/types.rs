//! GraphQL output types: the `Review` entity, the `Product` fields this subgraph contributes,
//! the `Customer` stub and the rating. Built from domain values, never from rows.

use std::sync::Arc;

use async_graphql::connection::Connection;
use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, Object, SimpleObject};
use chrono::{DateTime, Utc};
use commerce_kernel::ClientResultExt;
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::{Direction, Page, PageRequest, TotalCount, connection};

use super::entities::ProductBatch;
use super::loaders::{LatestReviews, LatestReviewsLoader, RatingLoader};
use super::service_of;
use crate::domain::{self, ProductRef, RatingSummary, Stars};

/// A customer's review of a product. Only approved reviews appear on products.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct Review {
    pub id: ID,
    /// Name shown with the review, as the author gave it when submitting.
    pub author_name: String,
    /// Stars from 1 to 5.
    pub rating: i32,
    pub title: String,
    pub body: String,
    pub status: ModerationStatus,
    pub created_at: DateTime<Utc>,
    /// When a moderator last approved or rejected it.
    pub moderated_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub product_id: String,
    #[graphql(skip)]
    pub author_id: String,
    #[graphql(skip)]
    pub(super) cursor: commerce_kernel::pagination::Cursor,
}

#[ComplexObject]
impl Review {
    async fn product(&self) -> Product {
        Product::reference(ID(self.product_id.clone()))
    }

    /// The customer who wrote it; the customers subgraph owns the rest of this type.
    async fn author(&self) -> Customer {
        Customer {
            id: ID(self.author_id.clone()),
        }
    }
}

impl From<domain::Review> for Review {
    fn from(review: domain::Review) -> Self {
        Self {
            cursor: review.cursor(),
            id: ID(review.id.global()),
            author_name: review.author_name,
            rating: i32::from(review.stars.get()),
            title: review.title,
            body: review.body,
            status: review.status.into(),
            created_at: review.created_at,
            moderated_at: review.moderated_at,
            product_id: review.product_id,
            author_id: review.author_id,
        }
    }
}

/// A reference to a customer; this subgraph cannot resolve customers.
#[derive(SimpleObject)]
#[graphql(unresolvable = "id")]
pub struct Customer {
    pub id: ID,
}

#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(rename_items = "SCREAMING_SNAKE_CASE")]
pub enum ModerationStatus {
    Pending,
    Approved,
    Rejected,
}

impl From<domain::ModerationStatus> for ModerationStatus {
    fn from(status: domain::ModerationStatus) -> Self {
        match status {
            domain::ModerationStatus::Pending => Self::Pending,
            domain::ModerationStatus::Approved => Self::Approved,
            domain::ModerationStatus::Rejected => Self::Rejected,
        }
    }
}

impl From<ModerationStatus> for domain::ModerationStatus {
    fn from(status: ModerationStatus) -> Self {
        match status {
            ModerationStatus::Pending => Self::Pending,
            ModerationStatus::Approved => Self::Approved,
            ModerationStatus::Rejected => Self::Rejected,
        }
    }
}

pub type ReviewConnection = Connection<String, Review, TotalCount>;

/// Builds a connection of reviews; each review carries its own cursor.
pub fn review_connection(page: Page<domain::Review>, total_count: i64) -> ReviewConnection {
    connection(
        page.map(Review::from),
        |review| review.cursor.clone(),
        total_count,
    )
}

/// The catalog's product, with the reviews and rating this subgraph adds.
pub struct Product {
    pub id: ID,
    /// Set for `_entities` representations, whose fields load with the whole batch;
    /// products reached otherwise go through the DataLoaders.
    batch: Option<Arc<ProductBatch>>,
}

#[Object]
impl Product {
    async fn id(&self) -> &ID {
        &self.id
    }

    /// Approved reviews, newest first.
    async fn reviews(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ReviewConnection> {
        let product_id = self.checked_id()?;
        let request = PageRequest::parse(first, after, last, before).or_client()?;
        let (page, rating) = futures::try_join!(
            self.review_page(ctx, &product_id, &request),
            self.summary(ctx, &product_id),
        )?;
        Ok(review_connection(page, rating.count))
    }

    /// The average, count and histogram of the approved reviews' stars.
    async fn rating(&self, ctx: &Context<'_>) -> async_graphql::Result<ProductRating> {
        let summary = self.summary(ctx, &self.checked_id()?).await?;
        Ok(ProductRating(summary))
    }
}

impl Product {
    /// One of the request's `_entities` representations.
    pub fn in_batch(id: ID, batch: Arc<ProductBatch>) -> Self {
        Self {
            id,
            batch: Some(batch),
        }
    }

    /// A product referenced by a review (or a removed one).
    pub fn reference(id: ID) -> Self {
        Self { id, batch: None }
    }

    /// The newest `limit` approved reviews, with the entity batch or the batch loader.
    async fn latest_reviews(
        &self,
        ctx: &Context<'_>,
        product_id: &str,
        limit: u64,
    ) -> async_graphql::Result<Vec<domain::Review>> {
        if let Some(batch) = &self.batch {
            return batch.latest_reviews(product_id, limit).await;
        }
        let key = LatestReviews {
            product_id: product_id.to_owned(),
            limit,
        };
        let rows = ctx
            .data_unchecked::<DataLoader<LatestReviewsLoader>>()
            .load_one(key)
            .await?;
        Ok(rows.unwrap_or_default())
    }

    /// The rating, with the entity batch or the batch loader.
    async fn summary(
        &self,
        ctx: &Context<'_>,
        product_id: &str,
    ) -> async_graphql::Result<RatingSummary> {
        if let Some(batch) = &self.batch {
            return batch.rating(product_id).await;
        }
        let summary = ctx
            .data_unchecked::<DataLoader<RatingLoader>>()
            .load_one(product_id.to_owned())
            .await?;
        Ok(summary.unwrap_or_default())
    }

    /// The id as stored with reviews. Checked per field rather than when the entity is
    /// resolved, so one malformed representation fails alone instead of its whole batch.
    fn checked_id(&self) -> async_graphql::Result<String> {
        ProductRef::parse(&self.id)
            .map(|product| product.as_str().to_owned())
            .map_err(top_level)
    }

    /// First pages (the storefront's common case) load with the entity batch or the batch
    /// loader: one query for every product of the request. Other pages are per product by
    /// nature of their cursor.
    async fn review_page(
        &self,
        ctx: &Context<'_>,
        product_id: &str,
        request: &PageRequest,
    ) -> async_graphql::Result<Page<domain::Review>> {
        let is_first_page = request.direction == Direction::Forward
            && request.cursor.is_none()
            && request.bound.is_none();
        if is_first_page {
            let rows = self
                .latest_reviews(ctx, product_id, request.fetch_limit())
                .await?;
            return Ok(Page::from_rows(rows, request));
        }
        service_of(ctx)
            .product_reviews(product_id, request)
            .await
            .map_err(top_level)
    }
}

/// A product's rating over its approved reviews.
pub struct ProductRating(pub RatingSummary);

#[Object]
impl ProductRating {
    /// Mean stars, or null before the first approved review.
    async fn average(&self) -> Option<f64> {
        self.0.average()
    }

    /// Number of approved reviews.
    async fn count(&self) -> i64 {
        self.0.count
    }

    /// Approved reviews per star value, from 1 to 5 stars.
    async fn histogram(&self) -> Vec<RatingBucket> {
        Stars::ALL
            .into_iter()
            .map(|stars| RatingBucket {
                stars: i32::from(stars.get()),
                count: self.0.count_of(stars),
            })
            .collect()
    }
}

#[derive(SimpleObject)]
pub struct RatingBucket {
    pub stars: i32,
    pub count: i64,
}
