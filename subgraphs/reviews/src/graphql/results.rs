//! Failures as GraphQL sees them: expected business failures become members of result unions
//! implementing `ErrorResult`; everything else becomes a top-level error with a stable code.

use async_graphql::{ID, Interface, SimpleObject};
use commerce_kernel::error::ErrorResults;
use commerce_kernel::{DomainError, ErrorCode};

use crate::service::ReviewError;

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

impl ErrorResults<ReviewError> for ErrorResult {
    fn expected(error: ReviewError) -> Result<Self, ReviewError> {
        let code = error.code();
        let message = error.to_string();
        Ok(match error {
            ReviewError::InvalidRating { value } => Self::InvalidRating(InvalidRating {
                code,
                message,
                rating: value,
            }),
            ReviewError::InvalidText {
                field, min, max, ..
            } => Self::InvalidReviewText(InvalidReviewText {
                code,
                message,
                field: field.to_owned(),
                min_length: length(min),
                max_length: length(max),
            }),
            ReviewError::InvalidProductId { value } => Self::InvalidProductId(InvalidProductId {
                code,
                message,
                product_id: value,
            }),
            ReviewError::AlreadyReviewed { product_id } => Self::AlreadyReviewed(AlreadyReviewed {
                code,
                message,
                product_id: ID(product_id),
            }),
            ReviewError::ReviewNotFound { id } => Self::ReviewNotFound(ReviewNotFound {
                code,
                message,
                review_id: ID(id),
            }),
            ReviewError::ConcurrentModeration { id } => {
                Self::ModerationConflict(ModerationConflict {
                    code,
                    message,
                    review_id: ID(id),
                })
            }
            other => return Err(other),
        })
    }
}

fn length(value: usize) -> i32 {
    i32::try_from(value).expect("text limits are small constants")
}
