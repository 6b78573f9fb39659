//! Star ratings and the per-product aggregate (count, sum, histogram) that approved reviews
//! add to and that rejections and removals of approved reviews take away from.

use serde::{Deserialize, Serialize};

use super::ReviewError;

/// A rating of 1 to 5 stars.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Stars(u8);

impl Stars {
    pub const ALL: [Stars; 5] = [Stars(1), Stars(2), Stars(3), Stars(4), Stars(5)];

    pub fn parse(value: i32) -> Result<Self, ReviewError> {
        match u8::try_from(value) {
            Ok(n @ 1..=5) => Ok(Self(n)),
            _ => Err(ReviewError::InvalidRating { value }),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }

    fn index(self) -> usize {
        usize::from(self.0 - 1)
    }
}

/// The rating of one product over its approved reviews. Stored, not recomputed per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RatingSummary {
    pub count: i64,
    pub sum: i64,
    /// Number of approved reviews with 1, 2, 3, 4 and 5 stars.
    pub histogram: [i64; 5],
}

impl RatingSummary {
    /// Builds the summary of a set of ratings, as a recomputation from rows would.
    pub fn of(ratings: impl IntoIterator<Item = Stars>) -> Self {
        ratings
            .into_iter()
            .fold(Self::default(), |mut summary, stars| {
                summary.apply(stars, 1);
                summary
            })
    }

    /// Adds (`delta = 1`) or takes away (`delta = -1`) one review's rating.
    pub fn apply(&mut self, stars: Stars, delta: i64) {
        self.count += delta;
        self.sum += delta * i64::from(stars.get());
        self.histogram[stars.index()] += delta;
    }

    /// Mean stars, or `None` before the first approved review.
    pub fn average(&self) -> Option<f64> {
        // Counts stay far below 2^52, so the conversions are exact.
        #[allow(clippy::cast_precision_loss)]
        (self.count > 0).then(|| self.sum as f64 / self.count as f64)
    }

    pub fn count_of(&self, stars: Stars) -> i64 {
        self.histogram[stars.index()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stars_accept_one_to_five_only() {
        assert!(Stars::parse(0).is_err());
        assert!(Stars::parse(6).is_err());
        assert!(Stars::parse(-3).is_err());
        assert_eq!(Stars::parse(5).map(Stars::get).ok(), Some(5));
    }

    #[test]
    fn summary_tracks_count_average_and_histogram() {
        let stars = |n| Stars::parse(n).expect("valid stars");
        let mut summary = RatingSummary::of([stars(5), stars(4), stars(4)]);
        assert_eq!(summary.count, 3);
        assert_eq!(summary.histogram, [0, 0, 0, 2, 1]);
        assert_eq!(summary.average(), Some(13.0 / 3.0));
        summary.apply(stars(5), -1);
        assert_eq!(summary.average(), Some(4.0));
        assert_eq!(RatingSummary::default().average(), None);
    }

    proptest::proptest! {
        /// Adding and taking away ratings in any order leaves what a recomputation gives.
        #[test]
        fn incremental_updates_equal_a_recomputation(
            steps in proptest::collection::vec((1..=5_i32, proptest::bool::ANY), 0..200)
        ) {
            let mut kept: Vec<Stars> = Vec::new();
            let mut summary = RatingSummary::default();
            for (value, add) in steps {
                let stars = Stars::parse(value).expect("generated in range");
                if add {
                    kept.push(stars);
                    summary.apply(stars, 1);
                } else if let Some(index) = kept.iter().position(|s| *s == stars) {
                    kept.swap_remove(index);
                    summary.apply(stars, -1);
                }
            }
            proptest::prop_assert_eq!(summary, RatingSummary::of(kept));
        }
    }
}
