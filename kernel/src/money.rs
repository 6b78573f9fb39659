//! Money in integer minor units of an ISO 4217 currency. Never floats.
//!
//! Rounding rule: amounts are only ever rounded when a fraction is applied (a percentage or a
//! ratio). [`Money::percent_of`] and [`Money::allocate`] round half away from zero, once, at the
//! minor unit; sums of rounded parts are then exact integer additions. [`Money::allocate`]
//! distributes the remainder so that the parts always add up to the whole.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An ISO 4217 currency code with its number of minor-unit digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// The currencies the shop accepts, with their minor-unit exponent per ISO 4217.
const KNOWN: &[(&str, u8)] = &[
    ("AUD", 2),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CNY", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("INR", 2),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("PLN", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("USD", 2),
    ("ZAR", 2),
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("unknown currency code {0:?}; expected an ISO 4217 code such as EUR or USD")]
    UnknownCurrency(String),
    #[error("currencies differ: {0} and {1}")]
    CurrencyMismatch(Currency, Currency),
    #[error("amount out of range")]
    Overflow,
    #[error("invalid amount {0:?}")]
    InvalidAmount(String),
}

impl Currency {
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        KNOWN
            .iter()
            .find(|(known, _)| *known == upper)
            .map(|(known, exponent)| {
                let bytes = known.as_bytes();
                Self {
                    code: [bytes[0], bytes[1], bytes[2]],
                    exponent: *exponent,
                }
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).expect("currency codes are built from ASCII constants")
    }

    /// Digits after the decimal point (2 for EUR, 0 for JPY, 3 for KWD).
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    fn minor_per_major(&self) -> i64 {
        10_i64.pow(u32::from(self.exponent))
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.code().to_owned()
    }
}

/// An amount of money: integer minor units (cents) of one currency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    pub amount: i64,
    pub currency: Currency,
}

impl Money {
    pub fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    pub fn zero(currency: Currency) -> Self {
        Self::new(0, currency)
    }

    /// Parses a decimal string such as `"19.99"` in the currency's minor units, rejecting more
    /// fraction digits than the currency has (no silent rounding of input).
    pub fn parse_decimal(value: &str, currency: Currency) -> Result<Self, MoneyError> {
        let invalid = || MoneyError::InvalidAmount(value.to_owned());
        let trimmed = value.trim();
        let (negative, digits) = match trimmed.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, trimmed),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let exponent = usize::from(currency.exponent);
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || !all_digits(fraction)
            || fraction.len() > exponent
        {
            return Err(invalid());
        }
        let whole: i64 = whole.parse().map_err(|_| invalid())?;
        let fraction_minor: i64 = if fraction.is_empty() {
            0
        } else {
            let padded = format!("{fraction:0<exponent$}");
            padded.parse().map_err(|_| invalid())?
        };
        let amount = whole
            .checked_mul(currency.minor_per_major())
            .and_then(|minor| minor.checked_add(fraction_minor))
            .ok_or(MoneyError::Overflow)?;
        Ok(Self::new(if negative { -amount } else { amount }, currency))
    }

    /// The amount as a decimal string with exactly the currency's digits, e.g. `"19.90"`.
    pub fn to_decimal_string(&self) -> String {
        let exponent = usize::from(self.currency.exponent);
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        if exponent == 0 {
            return format!("{sign}{abs}");
        }
        let per = self.currency.minor_per_major().unsigned_abs();
        format!("{sign}{}.{:0exponent$}", abs / per, abs % per)
    }

    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(other)?;
        let amount = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    pub fn checked_mul(self, factor: i64) -> Result<Money, MoneyError> {
        let amount = self
            .amount
            .checked_mul(factor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// `basis_points / 10_000` of this amount, rounded half away from zero at the minor unit.
    pub fn percent_of(self, basis_points: i64) -> Result<Money, MoneyError> {
        let product = i128::from(self.amount) * i128::from(basis_points);
        let amount = div_round_half_away(product, 10_000);
        let amount = i64::try_from(amount).map_err(|_| MoneyError::Overflow)?;
        Ok(Money::new(amount, self.currency))
    }

    /// Splits this amount in proportion to `weights`; the parts add up exactly to the whole.
    /// Each part is rounded down, then the leftover minor units go to the parts with the
    /// largest remainders (ties to the earliest part), so the split is deterministic.
    pub fn allocate(self, weights: &[u64]) -> Vec<Money> {
        let total: u128 = weights.iter().map(|w| u128::from(*w)).sum();
        if total == 0 {
            return weights.iter().map(|_| Money::zero(self.currency)).collect();
        }
        let whole = i128::from(self.amount);
        let sign = whole.signum();
        let abs = whole.unsigned_abs();
        let mut parts: Vec<(u128, u128)> = weights
            .iter()
            .map(|w| {
                let exact = abs * u128::from(*w);
                (exact / total, exact % total)
            })
            .collect();
        let assigned: u128 = parts.iter().map(|(q, _)| q).sum();
        let mut leftover = abs - assigned;
        let mut order: Vec<usize> = (0..parts.len()).collect();
        order.sort_by(|a, b| parts[*b].1.cmp(&parts[*a].1).then(a.cmp(b)));
        for index in order {
            if leftover == 0 {
                break;
            }
            parts[index].0 += 1;
            leftover -= 1;
        }
        parts
            .into_iter()
            .map(|(q, _)| {
                let signed = sign * i128::try_from(q).expect("a part never exceeds the whole");
                Money::new(
                    i64::try_from(signed).expect("a part never exceeds the whole"),
                    self.currency,
                )
            })
            .collect()
    }

    fn same_currency(self, other: Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch(self.currency, other.currency))
        }
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

fn div_round_half_away(numerator: i128, denominator: i128) -> i128 {
    let quotient = numerator / denominator;
    let remainder = numerator % denominator;
    if remainder.abs() * 2 >= denominator.abs() {
        quotient + numerator.signum() * denominator.signum()
    } else {
        quotient
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR is known")
    }

    #[test]
    fn parses_and_formats_decimal_amounts_per_currency_exponent() {
        let jpy = Currency::parse("jpy").expect("JPY is known");
        assert_eq!(
            Money::parse_decimal("19.9", eur()).map(|m| m.amount),
            Ok(1990)
        );
        assert_eq!(Money::new(1990, eur()).to_decimal_string(), "19.90");
        assert_eq!(Money::new(-5, eur()).to_decimal_string(), "-0.05");
        assert_eq!(Money::parse_decimal("500", jpy).map(|m| m.amount), Ok(500));
        assert!(Money::parse_decimal("1.001", eur()).is_err());
        assert!(Money::parse_decimal("1.5", jpy).is_err());
        assert!(Money::parse_decimal("abc", eur()).is_err());
        assert!(Currency::parse("XXX").is_err());
    }

    #[test]
    fn refuses_to_add_different_currencies() {
        let usd = Currency::parse("USD").expect("USD is known");
        let sum = Money::new(1, eur()).checked_add(Money::new(1, usd));
        assert!(matches!(sum, Err(MoneyError::CurrencyMismatch(_, _))));
    }

    #[test]
    fn percentage_rounds_half_away_from_zero_once() {
        assert_eq!(
            Money::new(1005, eur()).percent_of(5_000).map(|m| m.amount),
            Ok(503)
        );
        assert_eq!(
            Money::new(-1005, eur()).percent_of(5_000).map(|m| m.amount),
            Ok(-503)
        );
        assert_eq!(
            Money::new(999, eur()).percent_of(1_000).map(|m| m.amount),
            Ok(100)
        );
    }

    proptest! {
        #[test]
        fn allocation_parts_always_add_up_to_the_whole(
            amount in -1_000_000_000i64..1_000_000_000,
            weights in proptest::collection::vec(0u64..10_000, 1..20),
        ) {
            let parts = Money::new(amount, eur()).allocate(&weights);
            let sum: i64 = parts.iter().map(|p| p.amount).sum();
            if weights.iter().any(|w| *w > 0) {
                prop_assert_eq!(sum, amount);
            } else {
                prop_assert_eq!(sum, 0);
            }
        }

        #[test]
        fn decimal_round_trips(amount in -1_000_000_000_000i64..1_000_000_000_000) {
            let money = Money::new(amount, eur());
            prop_assert_eq!(Money::parse_decimal(&money.to_decimal_string(), eur()), Ok(money));
        }
    }
}
