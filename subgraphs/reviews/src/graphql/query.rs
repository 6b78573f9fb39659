//! Reads: a review by id, the moderators' queue, and the `Product` and `Review` entities.

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Object};
use commerce_kernel::ClientResultExt;
use commerce_kernel::error::top_level;
use commerce_kernel::pagination::PageRequest;

use super::loaders::ReviewLoader;
use super::types::{ModerationStatus, Product, Review, ReviewConnection, review_connection};
use super::{access, entities, service_of};
use crate::domain::ReviewId;

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
