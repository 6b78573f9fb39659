//! A postal address on a cart: validated like the customers' address book (which a signed-in
//! customer may pick from), and stored on the cart as JSON.

use serde::{Deserialize, Serialize};

use super::{CheckoutError, Country};

/// A validated shipping or billing address. Serialized camelCase, the shape customers and
/// orders use for addresses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub first_name: String,
    pub last_name: String,
    pub company: Option<String>,
    pub line1: String,
    pub line2: Option<String>,
    pub city: String,
    pub region: Option<String>,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2, upper case.
    pub country_code: String,
    pub phone: Option<String>,
}

fn required(field: &str, value: &str, max: usize) -> Result<String, CheckoutError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(CheckoutError::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value.to_owned())
}

fn optional(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, CheckoutError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => required(field, value, max).map(Some),
    }
}

impl Address {
    /// Trims every part, requires the mandatory ones, bounds lengths and checks the country.
    pub fn parse(raw: Address) -> Result<Self, CheckoutError> {
        let country = Country::parse(&raw.country_code)?;
        Ok(Self {
            first_name: required("firstName", &raw.first_name, 100)?,
            last_name: required("lastName", &raw.last_name, 100)?,
            company: optional("company", raw.company.as_deref(), 100)?,
            line1: required("line1", &raw.line1, 200)?,
            line2: optional("line2", raw.line2.as_deref(), 200)?,
            city: required("city", &raw.city, 100)?,
            region: optional("region", raw.region.as_deref(), 100)?,
            postal_code: required("postalCode", &raw.postal_code, 20)?,
            country_code: country.code().to_owned(),
            phone: optional("phone", raw.phone.as_deref(), 40)?,
        })
    }

    pub fn country(&self) -> Result<Country, CheckoutError> {
        Country::parse(&self.country_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample(country: &str) -> Address {
        Address {
            first_name: " Ada ".into(),
            last_name: "Lovelace".into(),
            company: Some("".into()),
            line1: "12 St James's Square".into(),
            line2: None,
            city: "London".into(),
            region: None,
            postal_code: "SW1Y 4JH".into(),
            country_code: country.into(),
            phone: None,
        }
    }

    #[test]
    fn trims_parts_and_normalises_the_country() {
        let address = Address::parse(sample("gb")).expect("valid");
        assert_eq!(address.first_name, "Ada");
        assert_eq!(address.company, None);
        assert_eq!(address.country_code, "GB");
    }

    #[test]
    fn refuses_unknown_countries_and_missing_parts() {
        assert!(matches!(
            Address::parse(sample("XX")),
            Err(CheckoutError::UnknownCountry { .. })
        ));
        let mut blank = sample("DE");
        blank.city = "  ".into();
        assert!(matches!(
            Address::parse(blank),
            Err(CheckoutError::Invalid(error)) if error.field == "city"
        ));
    }
}
