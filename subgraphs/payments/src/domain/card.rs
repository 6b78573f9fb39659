//! What the shop keeps of a card: its brand and last four digits, never the number.

use serde::{Deserialize, Serialize};

/// The brand and last four digits of a card, as shown to customers and staff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CardSummary {
    pub brand: String,
    pub last4: String,
}

/// The digits of a card number typed with spaces or dashes between groups; `None` when the
/// token holds anything else or has an implausible length (12 to 19 digits).
pub fn card_digits(token: &str) -> Option<String> {
    let digits: String = token.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    let plausible = (12..=19).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
    plausible.then_some(digits)
}

impl CardSummary {
    /// The summary of a card number's digits (see [`card_digits`]).
    pub fn of(digits: &str) -> Self {
        let brand = match digits.as_bytes().first() {
            Some(b'4') => "visa",
            Some(b'5') => "mastercard",
            Some(b'3') if digits.starts_with("34") || digits.starts_with("37") => "amex",
            _ => "unknown",
        };
        Self {
            brand: brand.to_owned(),
            last4: digits[digits.len().saturating_sub(4)..].to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_brand_and_last_four_digits() {
        let digits = card_digits("4242 4242 4242 4242").expect("a card number");
        assert_eq!(digits, "4242424242424242");
        assert_eq!(
            CardSummary::of(&digits),
            CardSummary {
                brand: "visa".into(),
                last4: "4242".into()
            }
        );
        assert_eq!(card_digits("tok_visa"), None);
        assert_eq!(card_digits("4242"), None);
    }
}
