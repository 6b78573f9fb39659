//! Postal addresses of a customer's address book.

use super::{CustomerError, optional_text, required_text};

/// Which default an address can be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressKind {
    Shipping,
    Billing,
}

/// A validated address: required parts present, lengths bounded, the country an ISO 3166-1
/// alpha-2 code in upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressInput {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    pub country_code: String,
    pub phone: Option<String>,
}

/// The address as the client typed it.
pub struct RawAddress<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub company: Option<&'a str>,
    pub line1: &'a str,
    pub line2: Option<&'a str>,
    pub city: &'a str,
    pub region: Option<&'a str>,
    pub postal_code: &'a str,
    pub country_code: &'a str,
    pub phone: Option<&'a str>,
}

const MAX: usize = 200;

impl AddressInput {
    pub fn parse(raw: &RawAddress<'_>) -> Result<Self, CustomerError> {
        let country_code = raw.country_code.trim().to_ascii_uppercase();
        if country_code.len() != 2 || !country_code.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(CustomerError::invalid(
                "countryCode",
                format!("{:?} is not a two-letter ISO 3166-1 code", raw.country_code),
            ));
        }
        Ok(Self {
            first_name: required_text("firstName", raw.first_name, MAX)?,
            last_name: required_text("lastName", raw.last_name, MAX)?,
            company: optional_text("company", raw.company, MAX)?,
            line1: required_text("line1", raw.line1, MAX)?,
            line2: optional_text("line2", raw.line2, MAX)?,
            city: required_text("city", raw.city, MAX)?,
            region: optional_text("region", raw.region, MAX)?,
            postal_code: required_text("postalCode", raw.postal_code, 20)?,
            country_code,
            phone: optional_text("phone", raw.phone, 32)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw<'a>(country: &'a str, city: &'a str) -> RawAddress<'a> {
        RawAddress {
            first_name: "Ada",
            last_name: "Lovelace",
            company: Some("  "),
            line1: "12 St James's Square",
            line2: None,
            city,
            region: None,
            postal_code: "SW1Y 4JH",
            country_code: country,
            phone: None,
        }
    }

    #[test]
    fn normalises_country_and_blank_optionals() {
        let address = AddressInput::parse(&raw(" gb", "London")).expect("valid");
        assert_eq!(address.country_code, "GB");
        assert_eq!(address.company, None);
    }

    #[test]
    fn rejects_missing_parts_and_bad_countries() {
        assert!(AddressInput::parse(&raw("GBR", "London")).is_err());
        assert!(AddressInput::parse(&raw("G1", "London")).is_err());
        assert!(AddressInput::parse(&raw("GB", "  ")).is_err());
    }
}
