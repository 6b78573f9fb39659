//! Coupon codes and their usage limits.

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// A coupon code as customers type it: case and surrounding spaces do not matter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CouponCode(String);

impl CouponCode {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let code = value.trim().to_ascii_uppercase();
        let valid = (3..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(code))
        } else {
            Err(ValidationError::new(
                field,
                "a coupon code has 3 to 32 letters, digits, - or _",
            ))
        }
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A coupon with its limits and how often it has been redeemed, as the cart sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponUsage {
    pub code: CouponCode,
    pub promotion_id: i64,
    pub limit_total: Option<u32>,
    pub limit_per_customer: Option<u32>,
    pub used_total: u32,
    /// Redemptions by the customer being priced (0 for anonymous viewers).
    pub used_by_customer: u32,
}

impl CouponUsage {
    /// Why the coupon cannot be used by this viewer, if it cannot.
    pub fn refusal(&self, customer_id: Option<&str>) -> Option<String> {
        if self
            .limit_total
            .is_some_and(|limit| self.used_total >= limit)
        {
            return Some("this coupon has been used up".to_owned());
        }
        match (self.limit_per_customer, customer_id) {
            (Some(_), None) => Some("sign in to use this coupon".to_owned()),
            (Some(limit), Some(_)) if self.used_by_customer >= limit => {
                Some("you have already used this coupon".to_owned())
            }
            _ => None,
        }
    }
}

/// A coupon as staff see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Coupon {
    pub id: i64,
    pub code: CouponCode,
    pub promotion_id: i64,
    pub usage_limit: Option<u32>,
    pub usage_limit_per_customer: Option<u32>,
    pub times_used: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(limit_total: Option<u32>, limit_per_customer: Option<u32>) -> CouponUsage {
        CouponUsage {
            code: CouponCode::parse("code", "welcome10").expect("valid"),
            promotion_id: 1,
            limit_total,
            limit_per_customer,
            used_total: 3,
            used_by_customer: 1,
        }
    }

    #[test]
    fn codes_are_case_insensitive_and_checked() {
        assert_eq!(
            CouponCode::parse("c", " welcome10 ").map(|c| c.0),
            Ok("WELCOME10".to_owned())
        );
        assert!(CouponCode::parse("c", "no").is_err());
        assert!(CouponCode::parse("c", "has space").is_err());
    }

    #[test]
    fn total_and_per_customer_limits_refuse_the_coupon() {
        assert_eq!(usage(None, None).refusal(None), None);
        assert!(usage(Some(3), None).refusal(Some("c")).is_some());
        assert_eq!(usage(Some(4), None).refusal(None), None);
        assert!(usage(None, Some(1)).refusal(Some("c")).is_some());
        assert_eq!(usage(None, Some(2)).refusal(Some("c")), None);
        assert_eq!(
            usage(None, Some(2)).refusal(None),
            Some("sign in to use this coupon".to_owned())
        );
    }
}
