//! Mutations: submitting a review and moderating it. Expected failures come back as members
//! of each mutation's result union.

use async_graphql::{Context, ID, InputObject, Object};
use commerce_kernel::error::top_level;
use commerce_kernel::result_union;

use super::results::{
    AlreadyReviewed, ErrorResult, InvalidProductId, InvalidRating, InvalidReviewText,
    ModerationConflict, ReviewNotFound,
};
use super::types::{Product, Review};
use super::{access, service_of};
use crate::domain::{ModerationAction, NewReview, ReviewId};
use crate::service::{Moderated, ReviewError};

result_union!(
    /// The stored (pending) review, or why it was refused.
    pub SubmitReviewResult(ReviewError => ErrorResult) = Review | InvalidRating | InvalidReviewText | InvalidProductId | AlreadyReviewed
);
result_union!(
    /// The review with its new status, or why it could not be moderated.
    pub ModerateReviewResult(ReviewError => ErrorResult) = Review | ReviewNotFound | ModerationConflict
);
result_union!(
    /// Confirmation of the removal, or why it did not happen.
    pub RemoveReviewResult(ReviewError => ErrorResult) = ReviewRemoved | ReviewNotFound | ModerationConflict
);

#[derive(InputObject)]
pub struct SubmitReviewInput {
    /// The catalog's `Product` id.
    pub product_id: ID,
    /// Name to show with the review (1-80 characters).
    pub author_name: String,
    /// Stars from 1 to 5.
    pub rating: i32,
    /// 3-120 characters.
    pub title: String,
    /// 10-5000 characters.
    pub body: String,
}

/// A removed review: its former id and the product it was about.
pub struct ReviewRemoved {
    review_id: ID,
    product_id: String,
}

#[Object]
impl ReviewRemoved {
    async fn removed_review_id(&self) -> &ID {
        &self.review_id
    }

    /// The product, whose rating no longer counts the review.
    async fn product(&self) -> Product {
        Product::reference(ID(self.product_id.clone()))
    }
}

#[derive(Default)]
pub struct Mutation;

#[Object]
impl Mutation {
    /// Submits a review as the signed-in customer, once per product; it stays pending, unseen
    /// and unrated, until a moderator approves it.
    async fn submit_review(
        &self,
        ctx: &Context<'_>,
        input: SubmitReviewInput,
    ) -> async_graphql::Result<SubmitReviewResult> {
        let author_id = access::require_customer(ctx)?;
        let review = NewReview::parse(
            &input.product_id,
            &author_id,
            &input.author_name,
            input.rating,
            &input.title,
            &input.body,
        );
        let outcome = match review {
            Ok(review) => service_of(ctx).submit(&review).await,
            Err(error) => Err(error),
        };
        SubmitReviewResult::from_result(outcome)
    }

    /// Approves a review: it appears on its product and counts in the rating. Moderation
    /// needs `reviews:moderate`.
    async fn approve_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ModerateReviewResult> {
        moderate(ctx, &id, ModerationAction::Approve).await
    }

    /// Rejects a review; if it was approved, it leaves its product and rating.
    async fn reject_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<ModerateReviewResult> {
        moderate(ctx, &id, ModerationAction::Reject).await
    }

    /// Deletes a review for good (spam, personal data), taking it out of the rating.
    async fn remove_review(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<RemoveReviewResult> {
        access::require_moderator(ctx)?;
        let id = ReviewId::parse(&id).map_err(top_level)?;
        let outcome = service_of(ctx).moderate(id, ModerationAction::Remove).await;
        RemoveReviewResult::from_result(outcome.map(|moderated| {
            let review = moderated.review();
            ReviewRemoved {
                review_id: ID(review.id.global()),
                product_id: review.product_id,
            }
        }))
    }
}

async fn moderate(
    ctx: &Context<'_>,
    id: &ID,
    action: ModerationAction,
) -> async_graphql::Result<ModerateReviewResult> {
    access::require_moderator(ctx)?;
    let id = ReviewId::parse(id).map_err(top_level)?;
    let outcome = service_of(ctx).moderate(id, action).await;
    ModerateReviewResult::from_result(outcome.map(Moderated::review))
}
