//! A review, its validated parts, and the moderation states it moves through.

use chrono::{DateTime, Utc};
use commerce_kernel::GlobalId;
use commerce_kernel::pagination::Cursor;

use super::{ReviewError, Stars};

/// The database key of a review; its global id is `GlobalId::encode("Review", key)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReviewId(pub i64);

impl ReviewId {
    pub const TYPE: &'static str = "Review";

    pub fn parse(value: &str) -> Result<Self, ReviewError> {
        GlobalId::decode(value, Self::TYPE)
            .map(Self)
            .map_err(|_| ReviewError::InvalidReviewId {
                value: value.to_owned(),
            })
    }

    pub fn global(self) -> String {
        GlobalId::encode(Self::TYPE, self.0)
    }
}

/// The global id of a product the catalog owns. Only its type is checked: the catalog alone
/// decodes the key, and reviews stores the id as the canonical string.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProductRef(String);

impl ProductRef {
    pub fn parse(value: &str) -> Result<Self, ReviewError> {
        canonical_id(value, "Product")
            .map(Self)
            .ok_or_else(|| ReviewError::InvalidProductId {
                value: value.to_owned(),
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The global id of the customer who wrote a review (the customers domain owns it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorRef(String);

impl AuthorRef {
    pub fn parse(value: &str) -> Result<Self, ReviewError> {
        canonical_id(value, "Customer")
            .map(Self)
            .ok_or_else(|| ReviewError::InvalidAuthorId {
                value: value.to_owned(),
            })
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn canonical_id(value: &str, expected: &str) -> Option<String> {
    GlobalId::parse(value)
        .ok()
        .filter(|id| id.type_name() == expected)
        .map(|id| id.to_string())
}

/// Trimmed text whose length in characters lies within bounds.
fn bounded_text(
    value: &str,
    field: &'static str,
    min: usize,
    max: usize,
) -> Result<String, ReviewError> {
    let text = value.trim();
    let actual = text.chars().count();
    if (min..=max).contains(&actual) {
        Ok(text.to_owned())
    } else {
        Err(ReviewError::InvalidText {
            field,
            min,
            max,
            actual,
        })
    }
}

macro_rules! text_newtype {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:literal, $max:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MIN: usize = $min;
            pub const MAX: usize = $max;

            pub fn parse(value: &str) -> Result<Self, ReviewError> {
                bounded_text(value, $field, Self::MIN, Self::MAX).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
    };
}

text_newtype!(
    /// A review's headline.
    Title, "title", 3, 120
);
text_newtype!(
    /// A review's text.
    Body, "body", 10, 5000
);
text_newtype!(
    /// The name shown with a review, stored with it so reads need no customers lookup.
    AuthorName, "authorName", 1, 80
);

/// Where a review stands in moderation. Only approved reviews are shown and rated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModerationStatus {
    Pending,
    Approved,
    Rejected,
}

impl ModerationStatus {
    pub const ALL: [ModerationStatus; 3] = [Self::Pending, Self::Approved, Self::Rejected];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Rejected => "rejected",
        }
    }

    /// Reads a stored status; anything else means the table was written outside this code.
    pub fn from_stored(value: &str) -> anyhow::Result<Self> {
        Self::ALL
            .into_iter()
            .find(|status| status.as_str() == value)
            .ok_or_else(|| anyhow::anyhow!("unknown stored review status {value:?}"))
    }

    /// How moving a review from `self` to `to` (`None`: deleted) changes its product's rating
    /// count: +1 on entering the approved state, -1 on leaving it.
    pub fn rating_delta(self, to: Option<Self>) -> i64 {
        let counts = |status: Option<Self>| i64::from(status == Some(Self::Approved));
        counts(to) - counts(Some(self))
    }
}

/// A moderator's decision on a review.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationAction {
    Approve,
    Reject,
    /// Deletes the review for good (spam, personal data).
    Remove,
}

impl ModerationAction {
    /// The status after the action; `None` when the review is gone.
    pub fn target(self) -> Option<ModerationStatus> {
        match self {
            Self::Approve => Some(ModerationStatus::Approved),
            Self::Reject => Some(ModerationStatus::Rejected),
            Self::Remove => None,
        }
    }
}

/// A validated review submission; it starts pending.
#[derive(Debug, Clone)]
pub struct NewReview {
    pub product: ProductRef,
    pub author: AuthorRef,
    pub author_name: AuthorName,
    pub stars: Stars,
    pub title: Title,
    pub body: Body,
}

impl NewReview {
    /// Validates every field, reporting the first invalid one.
    pub fn parse(
        product_id: &str,
        author_id: &str,
        author_name: &str,
        rating: i32,
        title: &str,
        body: &str,
    ) -> Result<Self, ReviewError> {
        Ok(Self {
            product: ProductRef::parse(product_id)?,
            author: AuthorRef::parse(author_id)?,
            author_name: AuthorName::parse(author_name)?,
            stars: Stars::parse(rating)?,
            title: Title::parse(title)?,
            body: Body::parse(body)?,
        })
    }
}

/// A stored review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: ReviewId,
    pub product_id: String,
    pub author_id: String,
    pub author_name: String,
    pub stars: Stars,
    pub title: String,
    pub body: String,
    pub status: ModerationStatus,
    pub created_at: DateTime<Utc>,
    pub moderated_at: Option<DateTime<Utc>>,
}

impl Review {
    /// The review's position in a list: its creation time (microseconds) and its id.
    pub fn cursor(&self) -> Cursor {
        Cursor(vec![
            self.created_at.timestamp_micros().into(),
            self.id.0.into(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_trimmed_and_bounded_in_characters() {
        assert_eq!(
            Title::parse("  Great fit  ")
                .map(|t| t.as_str().to_owned())
                .ok(),
            Some("Great fit".to_owned())
        );
        assert!(Title::parse("  ab ").is_err());
        assert!(Title::parse(&"é".repeat(120)).is_ok());
        assert!(Title::parse(&"é".repeat(121)).is_err());
        assert!(Body::parse("too short").is_err());
    }

    #[test]
    fn product_and_author_ids_must_name_their_type() {
        let product = GlobalId::encode("Product", 7);
        assert_eq!(
            ProductRef::parse(&product)
                .map(|p| p.as_str().to_owned())
                .ok(),
            Some(product)
        );
        assert!(ProductRef::parse(&GlobalId::encode("Review", 7)).is_err());
        assert!(ProductRef::parse("not an id").is_err());
        assert!(AuthorRef::parse(&GlobalId::encode("Customer", 1)).is_ok());
    }

    #[test]
    fn only_approval_changes_count_in_the_rating() {
        use ModerationStatus::*;
        assert_eq!(Pending.rating_delta(Some(Approved)), 1);
        assert_eq!(Rejected.rating_delta(Some(Approved)), 1);
        assert_eq!(Approved.rating_delta(Some(Rejected)), -1);
        assert_eq!(Approved.rating_delta(None), -1);
        assert_eq!(Pending.rating_delta(None), 0);
        assert_eq!(Pending.rating_delta(Some(Rejected)), 0);
        assert_eq!(Approved.rating_delta(Some(Approved)), 0);
    }
}
