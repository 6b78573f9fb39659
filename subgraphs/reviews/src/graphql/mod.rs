//! The GraphQL API of the reviews subgraph (Federation v2): queries, mutations, the `Review`
//! entity, and the `Product` fields this subgraph contributes.

mod access;
mod errors;
mod loaders;
mod mutations;
mod types;

use std::time::Duration;

use async_graphql::dataloader::DataLoader;
use async_graphql::{
    Context, EmptySubscription, ID, Object, SDLExportOptions, Schema, SchemaBuilder,
};
use commerce_kernel::ClientResultExt;
use commerce_kernel::pagination::PageRequest;

use crate::domain::ReviewId;
use crate::service::ReviewService;
use errors::{ErrorResult, top_level};
use loaders::{LatestReviewsLoader, RatingLoader, ReviewLoader};
pub use mutations::Mutation;
use types::{ModerationStatus, Product, Review, ReviewConnection, review_connection};

pub type ReviewsSchema = Schema<Query, Mutation, EmptySubscription>;

/// Deep enough for `_entities { reviews { edges { node { product { ... } } } } }`.
const MAX_DEPTH: usize = 16;
/// Counts fields, not rows (list sizes are bounded by the page size limit of 100).
const MAX_COMPLEXITY: usize = 1_000;

/// Builds the schema. The loaders keep no cache, so sharing them across requests only
/// widens batches; it never serves stale data. `batch_window` is how long a loader waits
/// for the rest of its batch after the first key.
pub fn build(service: ReviewService, batch_window: Duration) -> ReviewsSchema {
    builder()
        .data(loader(RatingLoader(service.clone()), batch_window))
        .data(loader(LatestReviewsLoader(service.clone()), batch_window))
        .data(loader(ReviewLoader(service.clone()), batch_window))
        .data(service)
        .finish()
}

fn loader<T: Send + Sync + 'static>(loader: T, batch_window: Duration) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(batch_window)
}

/// The Federation v2 SDL (needs no state).
pub fn sdl() -> String {
    builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}

fn builder() -> SchemaBuilder<Query, Mutation, EmptySubscription> {
    Schema::build(Query, Mutation, EmptySubscription)
        .enable_federation()
        .register_output_type::<ErrorResult>()
        .limit_depth(MAX_DEPTH)
        .limit_complexity(MAX_COMPLEXITY)
}

fn service_of<'a>(ctx: &Context<'a>) -> &'a ReviewService {
    ctx.data_unchecked::<ReviewService>()
}

#[derive(Default)]
pub struct Query;

#[Object]
impl Query {
    /// A review by id; null when there is none or the viewer may not see it (unapproved
    /// reviews are visible to their author and moderators only).
    async fn review(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<Review>> {
        load_review(ctx, &id).await
    }

    /// Reviews in one moderation status, oldest first: the moderators' work queue
    /// (needs `reviews:moderate`).
    async fn moderation_queue(
        &self,
        ctx: &Context<'_>,
        #[graphql(default_with = "ModerationStatus::Pending")] status: ModerationStatus,
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> async_graphql::Result<ReviewConnection> {
        access::require_moderator(ctx)?;
        let request = PageRequest::parse(first, after, last, before).or_client()?;
        let (page, total) = service_of(ctx)
            .moderation_queue(status.into(), &request)
            .await
            .map_err(top_level)?;
        Ok(review_connection(page, total))
    }

    /// Any id resolves; a malformed one fails on the fields that need it.
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> Product {
        Product { id }
    }

    #[graphql(entity)]
    async fn find_review_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Review>> {
        load_review(ctx, &id).await
    }
}

async fn load_review(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Review>> {
    let id = ReviewId::parse(id).map_err(top_level)?;
    let review = ctx
        .data_unchecked::<DataLoader<ReviewLoader>>()
        .load_one(id)
        .await?;
    Ok(review
        .filter(|review| access::may_see(ctx, review))
        .map(Review::from))
}
