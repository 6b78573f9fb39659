//! Deterministic demo reviews: 0-8 approved reviews per product, a few pending and rejected
//! ones, and ratings that match them. Seeding twice does nothing the second time.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use commerce_kernel::GlobalId;
use commerce_kernel::db::begin_write;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::AppState;
use crate::domain::{ModerationStatus, NewReview, RatingSummary};
use crate::store;

/// Rows per multi-row insert: well under SQLite's bound-parameter limit at 9 columns a row.
const CHUNK: usize = 2_000;
/// Demo customers who write reviews (`Customer` ids 1 to this).
const CUSTOMERS: i64 = 5_000;

const FIRST_NAMES: &[&str] = &[
    "Ada", "Ben", "Chloé", "Dmitri", "Elif", "Farah", "Gus", "Hana", "Ines", "Jonas", "Kofi",
    "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tomoko", "Uma", "Viktor",
    "Wen", "Yusuf", "Zoë",
];
const LAST_INITIALS: &[&str] = &[
    "A.", "B.", "C.", "D.", "K.", "L.", "M.", "N.", "R.", "S.", "T.",
];

/// (title, body) pairs for each star value, 1 to 5.
const TEXTS: [&[(&str, &str)]; 5] = [
    &[
        (
            "Very disappointed",
            "Broke within a week and support never answered my emails.",
        ),
        (
            "Not as described",
            "The colour and the material are nothing like the photos.",
        ),
    ],
    &[
        (
            "Below expectations",
            "It works, barely. The finish feels cheap for the price.",
        ),
        (
            "Runs small",
            "Had to send it back for a bigger size; the exchange took weeks.",
        ),
    ],
    &[
        (
            "Okay for the price",
            "Does the job. Nothing special, nothing terrible either.",
        ),
        (
            "Mixed feelings",
            "Looks great but the instructions were confusing and incomplete.",
        ),
    ],
    &[
        (
            "Really good",
            "Solid quality and fast delivery. Would buy from this shop again.",
        ),
        (
            "Happy with it",
            "Fits well and feels sturdy. Lost a star for the packaging.",
        ),
    ],
    &[
        (
            "Love it!",
            "Exactly what I wanted. Great quality, and it arrived a day early.",
        ),
        (
            "Perfect",
            "Second one I have bought: it is that good. Highly recommended.",
        ),
        (
            "Best purchase this year",
            "Comfortable, well made, and the colour is gorgeous.",
        ),
    ],
];

/// Seeds reviews for `product_ids` (global `Product` ids) unless reviews already exist.
pub async fn seed(state: &AppState, product_ids: &[String], seed: u64) -> anyhow::Result<()> {
    let db = state.service.db();
    if store::any_review(db).await? {
        tracing::info!("reviews already seeded");
        return Ok(());
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut reviews = Vec::new();
    for product_id in product_ids {
        reviews.extend(reviews_for(&mut rng, product_id)?);
    }
    let ratings = ratings_of(&reviews);
    let txn = begin_write(db).await?;
    for chunk in reviews.chunks(CHUNK) {
        store::insert_reviews(&txn, chunk).await?;
    }
    for chunk in ratings.chunks(CHUNK) {
        store::insert_ratings(&txn, chunk).await?;
    }
    txn.commit().await?;
    commerce_kernel::db::analyze(db).await?;
    tracing::info!(
        reviews = reviews.len(),
        products = product_ids.len(),
        "seeded reviews"
    );
    Ok(())
}

type SeedReview = (NewReview, ModerationStatus, DateTime<Utc>);

fn reviews_for(rng: &mut ChaCha8Rng, product_id: &str) -> anyhow::Result<Vec<SeedReview>> {
    let approved = rng.random_range(0..=8);
    let mut statuses = vec![ModerationStatus::Approved; approved];
    if rng.random_bool(0.15) {
        statuses.push(ModerationStatus::Pending);
    }
    if rng.random_bool(0.05) {
        statuses.push(ModerationStatus::Rejected);
    }
    // One review per customer and product: steps of a prime modulo CUSTOMERS never repeat
    // within a product's ten reviews at most.
    let first_author = rng.random_range(0..CUSTOMERS);
    statuses
        .into_iter()
        .zip(0..)
        .map(|(status, n)| {
            let author = (first_author + n * 7_919) % CUSTOMERS + 1;
            let review = random_review(rng, product_id, author)?;
            Ok((review, status, random_time(rng)))
        })
        .collect()
}

fn random_review(rng: &mut ChaCha8Rng, product_id: &str, author: i64) -> anyhow::Result<NewReview> {
    // Skewed towards good ratings, as real shops are.
    let stars = [1, 2, 3, 4, 4, 5, 5, 5][rng.random_range(0..8)];
    let texts = TEXTS[usize::try_from(stars - 1).expect("stars are 1 to 5")];
    let (title, body) = texts[rng.random_range(0..texts.len())];
    let name = format!(
        "{} {}",
        FIRST_NAMES[rng.random_range(0..FIRST_NAMES.len())],
        LAST_INITIALS[rng.random_range(0..LAST_INITIALS.len())]
    );
    NewReview::parse(
        product_id,
        &GlobalId::encode("Customer", author),
        &name,
        stars,
        title,
        body,
    )
    .with_context(|| format!("demo review for {product_id:?}"))
}

/// A time within the year before a fixed date, so the same seed gives the same data.
fn random_time(rng: &mut ChaCha8Rng) -> DateTime<Utc> {
    let end = Utc
        .with_ymd_and_hms(2026, 11, 1, 0, 0, 0)
        .single()
        .expect("a valid fixed date");
    end - Duration::seconds(rng.random_range(0..365 * 24 * 3600))
}

fn ratings_of(reviews: &[SeedReview]) -> Vec<(String, RatingSummary)> {
    let mut ratings: HashMap<String, RatingSummary> = HashMap::new();
    for (review, status, _) in reviews {
        if *status == ModerationStatus::Approved {
            ratings
                .entry(review.product.as_str().to_owned())
                .or_default()
                .apply(review.stars, 1);
        }
    }
    ratings.into_iter().collect()
}
