//! Failures as GraphQL sees them: expected business failures become members of result unions
//! implementing `ErrorResult`; everything else becomes a top-level error with a stable code.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::ErrorCode;
use commerce_kernel::error::{client_error, internal_error};

use crate::domain::ReviewError;

/// A top-level error: the client's fault keeps its message and code, ours is masked.
pub fn top_level(error: ReviewError) -> async_graphql::Error {
    match error {
        ReviewError::Unexpected(cause) => internal_error(cause.as_ref()),
        other => client_error(other.code(), other.to_string()),
    }
}

/// What every expected failure returned as data has in common.
#[derive(Interface)]
#[graphql(
    field(name = "code", ty = "&ErrorCode"),
    field(name = "message", ty = "&String")
)]
pub enum ErrorResult {
    InvalidRating(InvalidRating),
    InvalidReviewText(InvalidReviewText),
    InvalidProductId(InvalidProductId),
    AlreadyReviewed(AlreadyReviewed),
    ReviewNotFound(ReviewNotFound),
    ModerationConflict(ModerationConflict),
}

/// The rating is not a whole number of stars from 1 to 5.
#[derive(SimpleObject)]
pub struct InvalidRating {
    pub code: ErrorCode,
    pub message: String,
    pub rating: i32,
}

/// A text field (`title`, `body` or `authorName`) is too short or too long.
#[derive(SimpleObject)]
pub struct InvalidReviewText {
    pub code: ErrorCode,
    pub message: String,
    pub field: String,
    pub min_length: i32,
    pub max_length: i32,
}

/// The product id is not a `Product` id.
#[derive(SimpleObject)]
pub struct InvalidProductId {
    pub code: ErrorCode,
    pub message: String,
    pub product_id: String,
}

/// The customer has already reviewed this product (one review per customer and product).
#[derive(SimpleObject)]
pub struct AlreadyReviewed {
    pub code: ErrorCode,
    pub message: String,
    pub product_id: ID,
}

/// No review has this id (it may have been removed).
#[derive(SimpleObject)]
pub struct ReviewNotFound {
    pub code: ErrorCode,
    pub message: String,
    pub review_id: ID,
}

/// Another moderator changed the review at the same moment; retrying is safe.
#[derive(SimpleObject)]
pub struct ModerationConflict {
    pub code: ErrorCode,
    pub message: String,
    pub review_id: ID,
}

/// A failure a result union can carry, or the top-level error for anything else.
pub enum Failure {
    Expected(ErrorResult),
    TopLevel(async_graphql::Error),
}

impl From<ReviewError> for Failure {
    fn from(error: ReviewError) -> Self {
        let code = error.code();
        let message = error.to_string();
        Self::Expected(match error {
            ReviewError::InvalidRating { value } => ErrorResult::InvalidRating(InvalidRating {
                code,
                message,
                rating: value,
            }),
            ReviewError::InvalidText {
                field, min, max, ..
            } => ErrorResult::InvalidReviewText(InvalidReviewText {
                code,
                message,
                field: field.to_owned(),
                min_length: length(min),
                max_length: length(max),
            }),
            ReviewError::InvalidProductId { value } => {
                ErrorResult::InvalidProductId(InvalidProductId {
                    code,
                    message,
                    product_id: value,
                })
            }
            ReviewError::AlreadyReviewed { product_id } => {
                ErrorResult::AlreadyReviewed(AlreadyReviewed {
                    code,
                    message,
                    product_id: ID(product_id),
                })
            }
            ReviewError::ReviewNotFound { id } => ErrorResult::ReviewNotFound(ReviewNotFound {
                code,
                message,
                review_id: ID(id),
            }),
            ReviewError::ConcurrentModeration { id } => {
                ErrorResult::ModerationConflict(ModerationConflict {
                    code,
                    message,
                    review_id: ID(id),
                })
            }
            other => return Self::TopLevel(top_level(other)),
        })
    }
}

fn length(value: usize) -> i32 {
    i32::try_from(value).expect("text limits are small constants")
}
