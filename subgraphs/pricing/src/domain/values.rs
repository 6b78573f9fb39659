//! Small validated values shared by prices, promotions and taxes.

use chrono::{DateTime, Utc};
use commerce_kernel::GlobalId;
use commerce_kernel::ValidationError;
use serde::{Deserialize, Serialize};

/// A ratio in basis points (1/100 of a percent), from 0 to 100 %, as the kernel's
/// `Money::percent_of` expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct BasisPoints(u32);

impl BasisPoints {
    pub const HUNDRED_PERCENT: u32 = 10_000;

    /// Parses a decimal percentage such as `"19"` or `"7.25"` (at most two decimals).
    pub fn parse_percent(field: &str, value: &str) -> Result<Self, ValidationError> {
        let invalid = || {
            ValidationError::new(
                field,
                format!("{value:?} is not a percentage such as 10 or 7.25"),
            )
        };
        let trimmed = value.trim();
        let (whole, fraction) = trimmed.split_once('.').unwrap_or((trimmed, ""));
        let digits =
            |s: &str| !s.is_empty() && s.len() <= 6 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > 2 {
            return Err(invalid());
        }
        let whole: u32 = whole.parse().map_err(|_| invalid())?;
        let fraction: u32 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
        let bp = i64::from(whole) * 100 + i64::from(fraction);
        if bp > i64::from(Self::HUNDRED_PERCENT) {
            return Err(ValidationError::new(
                field,
                format!("{trimmed}% is over 100%"),
            ));
        }
        Self::from_basis_points(field, bp)
    }

    pub fn from_basis_points(field: &str, value: i64) -> Result<Self, ValidationError> {
        match u32::try_from(value) {
            Ok(bp) if bp <= Self::HUNDRED_PERCENT => Ok(Self(bp)),
            _ => Err(ValidationError::new(
                field,
                format!("{value} basis points is not between 0 and 100%"),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// `"7.25"`, `"10"`: the percentage as staff typed it.
    pub fn percent_string(self) -> String {
        let (whole, fraction) = (self.0 / 100, self.0 % 100);
        if fraction == 0 {
            whole.to_string()
        } else {
            format!("{whole}.{fraction:02}")
                .trim_end_matches('0')
                .to_owned()
        }
    }
}

/// A discount percentage: more than 0 and at most 100 %.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Percent(BasisPoints);

impl Percent {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let bp = BasisPoints::parse_percent(field, value)?;
        if bp.get() == 0 {
            return Err(ValidationError::new(field, "a discount of 0% does nothing"));
        }
        Ok(Self(bp))
    }

    pub fn basis_points(self) -> i64 {
        i64::from(self.0.get())
    }

    pub fn percent_string(self) -> String {
        self.0.percent_string()
    }

    pub fn full() -> Self {
        Self(BasisPoints(BasisPoints::HUNDRED_PERCENT))
    }
}

/// A customer group code such as `b2b` or `wholesale`, as the customers subgraph issues them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CustomerGroup(String);

impl CustomerGroup {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let code = value.trim().to_ascii_lowercase();
        let valid = (1..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(code))
        } else {
            Err(ValidationError::new(
                field,
                format!("{value:?} is not a customer group code (letters, digits, - and _)"),
            ))
        }
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether a viewer in `groups` belongs to this group.
    pub fn admits(&self, groups: &[String]) -> bool {
        groups.iter().any(|g| g.eq_ignore_ascii_case(&self.0))
    }
}

/// A catalog variant id as the catalog issued it: only its type is checked, because only the
/// catalog decodes the key inside.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VariantId(String);

impl VariantId {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        parse_global(field, value, "ProductVariant").map(Self)
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks that `value` is a global id of `type_name` and returns it normalised.
pub(crate) fn parse_global(
    field: &str,
    value: &str,
    type_name: &str,
) -> Result<String, ValidationError> {
    let id = GlobalId::parse(value).map_err(|e| ValidationError::new(field, e.message))?;
    if id.type_name() == type_name {
        Ok(id.to_string())
    } else {
        Err(ValidationError::new(
            field,
            format!(
                "{value:?} is a {} id, expected a {type_name} id",
                id.type_name()
            ),
        ))
    }
}

/// When something applies: from `starts_at` (inclusive) until `ends_at` (exclusive); an open
/// end applies forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Window {
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
}

impl Window {
    pub fn new(
        starts_at: Option<DateTime<Utc>>,
        ends_at: Option<DateTime<Utc>>,
    ) -> Result<Self, ValidationError> {
        match (starts_at, ends_at) {
            (Some(start), Some(end)) if end <= start => Err(ValidationError::new(
                "endsAt",
                format!("the end {end} is not after the start {start}"),
            )),
            _ => Ok(Self { starts_at, ends_at }),
        }
    }

    pub fn always() -> Self {
        Self::default()
    }

    pub fn contains(&self, now: DateTime<Utc>) -> bool {
        self.starts_at.is_none_or(|start| start <= now) && self.ends_at.is_none_or(|end| now < end)
    }

    pub fn starts_at(&self) -> Option<DateTime<Utc>> {
        self.starts_at
    }

    pub fn ends_at(&self) -> Option<DateTime<Utc>> {
        self.ends_at
    }

    /// The first time after `now` at which `contains` changes, if ever.
    pub fn next_change(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        [self.starts_at, self.ends_at]
            .into_iter()
            .flatten()
            .find(|at| *at > now)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn percentages_parse_to_basis_points_and_reject_over_100() {
        let bp = |v: &str| BasisPoints::parse_percent("p", v).map(BasisPoints::get);
        assert_eq!(bp("19"), Ok(1900));
        assert_eq!(bp("7.25"), Ok(725));
        assert_eq!(bp("0.5"), Ok(50));
        assert_eq!(bp("100"), Ok(10_000));
        assert!(bp("100.01").is_err());
        assert!(bp("150").is_err());
        assert!(bp("1.234").is_err());
        assert!(bp("-5").is_err());
        assert!(bp("abc").is_err());
        assert!(Percent::parse("p", "0").is_err());
        assert_eq!(
            Percent::parse("p", "12.50").map(Percent::percent_string),
            Ok("12.5".to_owned())
        );
    }

    #[test]
    fn windows_reject_an_end_before_the_start_and_contain_their_start_only() {
        let t = |h| Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).single();
        assert!(Window::new(t(12), t(10)).is_err());
        assert!(Window::new(t(12), t(12)).is_err());
        let window = Window::new(t(10), t(12)).expect("valid");
        assert!(window.contains(t(10).expect("time")));
        assert!(window.contains(t(11).expect("time")));
        assert!(!window.contains(t(12).expect("time")));
        assert!(Window::always().contains(t(1).expect("time")));
    }

    #[test]
    fn a_window_next_changes_at_its_next_bound() {
        let t = |h| Utc.with_ymd_and_hms(2026, 11, 25, h, 0, 0).single();
        let at = |h| t(h).expect("time");
        let window = Window::new(t(10), t(12)).expect("valid");
        assert_eq!(window.next_change(at(9)), t(10));
        assert_eq!(window.next_change(at(10)), t(12));
        assert_eq!(window.next_change(at(12)), None);
        assert_eq!(
            Window::new(None, t(12)).expect("valid").next_change(at(1)),
            t(12)
        );
        assert_eq!(Window::always().next_change(at(1)), None);
    }

    #[test]
    fn customer_groups_are_lowercase_codes() {
        let group = CustomerGroup::parse("g", " B2B ").expect("valid");
        assert_eq!(group.as_str(), "b2b");
        assert!(group.admits(&["vip".into(), "b2b".into()]));
        assert!(CustomerGroup::parse("g", "no spaces").is_err());
    }
}
