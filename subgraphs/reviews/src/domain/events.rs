//! The events reviews publishes (stream `reviews`), documented in `docs/events.md`.

use commerce_kernel::events::Event;
use serde::{Deserialize, Serialize};

use super::{ModerationStatus, Review};

/// The GraphQL `ModerationStatus` value of a moderation status.
fn status_name(status: ModerationStatus) -> &'static str {
    match status {
        ModerationStatus::Pending => "PENDING",
        ModerationStatus::Approved => "APPROVED",
        ModerationStatus::Rejected => "REJECTED",
    }
}

/// A customer submitted a review; it waits for moderation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewSubmitted {
    pub review_id: String,
    pub product_id: String,
    pub author_id: String,
    pub stars: u8,
}

impl ReviewSubmitted {
    pub fn new(review: &Review) -> Self {
        Self {
            review_id: review.id.global(),
            product_id: review.product_id.clone(),
            author_id: review.author_id.clone(),
            stars: review.stars.get(),
        }
    }
}

impl Event for ReviewSubmitted {
    const TYPE: &'static str = "reviews.review_submitted";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.review_id.clone()
    }
}

/// A moderator changed a review's status, or removed it (`to: "REMOVED"`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReviewModerated {
    pub review_id: String,
    pub product_id: String,
    pub stars: u8,
    pub from: String,
    pub to: String,
}

impl ReviewModerated {
    /// `review` as the moderation found it (`from`) and its new status (`None`: removed).
    pub fn new(review: &Review, from: ModerationStatus, to: Option<ModerationStatus>) -> Self {
        Self {
            review_id: review.id.global(),
            product_id: review.product_id.clone(),
            stars: review.stars.get(),
            from: status_name(from).to_owned(),
            to: to.map_or("REMOVED", status_name).to_owned(),
        }
    }
}

impl Event for ReviewModerated {
    const TYPE: &'static str = "reviews.review_moderated";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.review_id.clone()
    }
}
