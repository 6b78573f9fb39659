//! The reviews domain: validated review content, moderation states and their effect on a
//! product's rating aggregate, and the events the domain publishes. No I/O.

pub mod events;
mod rating;
mod review;

pub use rating::{RatingSummary, Stars};
pub use review::{
    AuthorName, AuthorRef, Body, ModerationAction, ModerationStatus, NewReview, ProductRef, Review,
    ReviewId, Title,
};

use commerce_kernel::KernelError;

/// Everything a reviews use case can fail with; each variant maps to a stable code
/// (`service/error.rs`). Domain parsing fails with it too, so it is defined here.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("rating must be between 1 and 5, got {value}")]
    InvalidRating { value: i32 },
    #[error("{field} must be between {min} and {max} characters, got {actual}")]
    InvalidText {
        field: &'static str,
        min: usize,
        max: usize,
        actual: usize,
    },
    #[error("{value:?} is not a Product id")]
    InvalidProductId { value: String },
    #[error("{value:?} is not a Customer id")]
    InvalidAuthorId { value: String },
    #[error("{value:?} is not a Review id")]
    InvalidReviewId { value: String },
    #[error("{0}")]
    InvalidPage(KernelError),
    #[error("review {id} does not exist")]
    ReviewNotFound { id: String },
    #[error("you have already reviewed product {product_id}")]
    AlreadyReviewed { product_id: String },
    #[error("review {id} was moderated by someone else at the same time; try again")]
    ConcurrentModeration { id: String },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}
