//! Days (UTC) as the rollups key them, and the bounded ranges the dashboard asks for.

use chrono::{DateTime, NaiveDate, Utc};

use super::AnalyticsError;

/// The longest range a query may cover: three years. A query costs one row per day (per
/// product), so the bound is what keeps every dashboard query cheap.
pub const MAX_RANGE_DAYS: i64 = 3 * 366;

/// A calendar day in UTC, stored as days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Day(pub i32);

impl Day {
    pub fn of(time: DateTime<Utc>) -> Self {
        Self::from_date(time.date_naive())
    }

    pub fn from_date(date: NaiveDate) -> Self {
        let days = (date - epoch()).num_days();
        Self(i32::try_from(days).expect("chrono dates are within ±262,000 years"))
    }

    /// `YYYY-MM-DD`.
    pub fn parse(value: &str) -> Result<Self, AnalyticsError> {
        NaiveDate::parse_from_str(value, "%Y-%m-%d")
            .map(Self::from_date)
            .map_err(|_| AnalyticsError::InvalidDate {
                value: value.to_owned(),
            })
    }

    pub fn date(self) -> NaiveDate {
        epoch() + chrono::TimeDelta::days(i64::from(self.0))
    }
}

fn epoch() -> NaiveDate {
    DateTime::UNIX_EPOCH.date_naive()
}

/// `from` to `to`, both included, at most [`MAX_RANGE_DAYS`] long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DateRange {
    pub from: Day,
    pub to: Day,
}

impl DateRange {
    pub fn new(from: Day, to: Day) -> Result<Self, AnalyticsError> {
        if to < from {
            return Err(AnalyticsError::InvalidRange {
                from: from.date().to_string(),
                to: to.date().to_string(),
            });
        }
        let days = i64::from(to.0) - i64::from(from.0) + 1;
        if days > MAX_RANGE_DAYS {
            return Err(AnalyticsError::RangeTooLarge {
                days,
                max: MAX_RANGE_DAYS,
            });
        }
        Ok(Self { from, to })
    }

    pub fn days(self) -> impl Iterator<Item = Day> {
        (self.from.0..=self.to.0).map(Day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_through_dates() {
        let day = Day::parse("2026-12-06").expect("a date");
        assert_eq!(day.date().to_string(), "2026-12-06");
        assert_eq!(Day::parse("1970-01-02").expect("a date"), Day(1));
        assert!(Day::parse("2026-13-01").is_err());
        assert!(Day::parse("yesterday").is_err());
    }

    #[test]
    fn ranges_are_ordered_and_bounded() {
        let day = |s| Day::parse(s).expect("a date");
        let range = DateRange::new(day("2026-01-01"), day("2026-01-03")).expect("valid");
        assert_eq!(range.days().count(), 3);
        assert!(matches!(
            DateRange::new(day("2026-01-02"), day("2026-01-01")),
            Err(AnalyticsError::InvalidRange { .. })
        ));
        assert!(DateRange::new(day("2023-01-01"), day("2025-12-31")).is_ok());
        assert!(matches!(
            DateRange::new(day("2020-01-01"), day("2026-01-01")),
            Err(AnalyticsError::RangeTooLarge { .. })
        ));
    }
}
