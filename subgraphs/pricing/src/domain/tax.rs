//! Taxes: categories, rates per country (optionally per region, such as a US state), and
//! whether a currency's prices are entered with tax included.

use serde::{Deserialize, Serialize};

use super::{BasisPoints, ValidationError};

/// How prices in a currency are entered: EUR and GBP shops usually show gross prices, US shops
/// net prices with sales tax added at checkout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TaxMode {
    Inclusive,
    Exclusive,
}

/// A tax category code such as `standard`, `reduced` or `zero`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TaxCategoryCode(String);

impl TaxCategoryCode {
    pub const STANDARD: &'static str = "standard";

    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let code = value.trim().to_ascii_lowercase();
        let valid = (1..=32).contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if valid {
            Ok(Self(code))
        } else {
            Err(ValidationError::new(
                field,
                format!("{value:?} is not a tax category code (letters, digits, - and _)"),
            ))
        }
    }

    pub fn standard() -> Self {
        Self(Self::STANDARD.to_owned())
    }

    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An ISO 3166-1 alpha-2 country code, uppercase; regions are free-form uppercase codes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CountryCode(String);

impl CountryCode {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let code = value.trim().to_ascii_uppercase();
        if code.len() == 2 && code.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Self(code))
        } else {
            Err(ValidationError::new(
                field,
                format!("{value:?} is not a two-letter country code such as DE or US"),
            ))
        }
    }

    /// A region code inside a country (`CA`, `NY`): 1 to 8 letters or digits.
    pub fn parse_region(field: &str, value: &str) -> Result<String, ValidationError> {
        let code = value.trim().to_ascii_uppercase();
        if (1..=8).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(code)
        } else {
            Err(ValidationError::new(
                field,
                format!("{value:?} is not a region code such as CA"),
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

/// Where the goods go, which decides the tax rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Destination {
    pub country: CountryCode,
    pub region: Option<String>,
}

/// A tax rate for a category in a country, or in one region of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaxRate {
    pub id: i64,
    pub name: String,
    pub country: CountryCode,
    pub region: Option<String>,
    pub category: TaxCategoryCode,
    pub rate: BasisPoints,
}

/// The rate for `category` at `destination`: a rate for the destination's region wins over the
/// country-wide rate. `None` means the category is untaxed there.
pub fn find_rate<'a>(
    rates: &'a [TaxRate],
    destination: &Destination,
    category: &TaxCategoryCode,
) -> Option<&'a TaxRate> {
    let candidates = || {
        rates
            .iter()
            .filter(|r| r.country == destination.country && &r.category == category)
    };
    candidates()
        .find(|r| r.region.is_some() && r.region == destination.region)
        .or_else(|| candidates().find(|r| r.region.is_none()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rate(id: i64, country: &str, region: Option<&str>, bp: i64) -> TaxRate {
        TaxRate {
            id,
            name: format!("rate {id}"),
            country: CountryCode::parse("c", country).expect("valid"),
            region: region.map(str::to_owned),
            category: TaxCategoryCode::standard(),
            rate: BasisPoints::from_basis_points("r", bp).expect("valid"),
        }
    }

    #[test]
    fn a_regional_rate_wins_over_the_country_rate() {
        let rates = [
            rate(1, "US", None, 0),
            rate(2, "US", Some("CA"), 725),
            rate(3, "DE", None, 1900),
        ];
        let find = |country: &str, region: Option<&str>| {
            let destination = Destination {
                country: CountryCode::parse("c", country).expect("valid"),
                region: region.map(str::to_owned),
            };
            find_rate(&rates, &destination, &TaxCategoryCode::standard()).map(|r| r.id)
        };
        assert_eq!(find("US", Some("CA")), Some(2));
        assert_eq!(find("US", Some("NY")), Some(1));
        assert_eq!(find("DE", None), Some(3));
        assert_eq!(find("FR", None), None);
        assert!(CountryCode::parse("c", "DEU").is_err());
    }
}
