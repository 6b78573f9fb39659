//! The GraphQL API of the reviews subgraph (Federation v2): queries, mutations, the `Review`
//! entity, and the `Product` fields this subgraph contributes.

mod access;
mod entities;
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

/// How long a DataLoader waits for more keys after the first: the async-graphql default.
/// Lists longer than 32 are polled in slices, so on a busy machine a batch can close before
/// the whole list has asked; that costs an extra query, never one per item. `_entities`
/// batches do not depend on it (see `entities`).
const BATCH_WINDOW: Duration = Duration::from_millis(1);

/// Builds the schema. The loaders keep no cache, so sharing them across requests only
/// widens batches; it never serves stale data.
pub fn build(service: ReviewService) -> ReviewsSchema {
    builder()
        .extension(entities::request_scope())
        .data(loader(RatingLoader(service.clone())))
        .data(loader(LatestReviewsLoader(service.clone())))
        .data(loader(ReviewLoader(service.clone())))
        .data(service)
        .finish()
}

fn loader<T: Send + Sync + 'static>(loader: T) -> DataLoader<T> {
    DataLoader::new(loader, tokio::spawn).delay(BATCH_WINDOW)
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
    async fn find_product_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Product> {
        Ok(Product::in_batch(id, entities::product_batch(ctx)?))
    }

    #[graphql(entity)]
    async fn find_review_by_id(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<Option<Review>> {
        let id = ReviewId::parse(&id).map_err(top_level)?;
        let review = entities::review(ctx, id).await?;
        Ok(visible(ctx, review))
    }
}

async fn load_review(ctx: &Context<'_>, id: &ID) -> async_graphql::Result<Option<Review>> {
    let id = ReviewId::parse(id).map_err(top_level)?;
    let review = ctx
        .data_unchecked::<DataLoader<ReviewLoader>>()
        .load_one(id)
        .await?;
    Ok(visible(ctx, review))
}

fn visible(ctx: &Context<'_>, review: Option<crate::domain::Review>) -> Option<Review> {
    review
        .filter(|review| access::may_see(ctx, review))
        .map(Review::from)
}
