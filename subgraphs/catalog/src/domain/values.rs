//! Validated scalar values: slugs, SKUs, bounded texts, image URLs and name/value attributes.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};

use super::ValidationError;

/// A URL-safe handle: lowercase ASCII letters, digits and single dashes, 1-120 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    pub const MAX_LEN: usize = 120;

    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let value = value.trim();
        let well_formed = !value.is_empty()
            && value.len() <= Self::MAX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-')
            && !value.ends_with('-')
            && !value.contains("--");
        if well_formed {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                format!(
                    "{value:?} is not a slug (lowercase letters, digits and single dashes, \
                     at most {} characters)",
                    Self::MAX_LEN
                ),
            ))
        }
    }

    /// Derives a slug from free text ("Linen Shirt, Blue" → "linen-shirt-blue").
    pub fn from_text(text: &str) -> Option<Self> {
        let mut slug = String::with_capacity(text.len());
        for c in text.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() {
                slug.push(c);
            } else if !slug.is_empty() && !slug.ends_with('-') {
                slug.push('-');
            }
        }
        slug.truncate(Self::MAX_LEN);
        Self::parse("slug", slug.trim_end_matches('-')).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A stock keeping unit: 1-64 of `A-Z 0-9 - _ .`, stored uppercase so lookups ignore case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sku(String);

impl Sku {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let value = value.trim().to_ascii_uppercase();
        let well_formed = (1..=64).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if well_formed {
            Ok(Self(value))
        } else {
            Err(ValidationError::new(
                field,
                format!("{value:?} is not a SKU (1-64 of letters, digits, '-', '_', '.')"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Trimmed text with a length bound; `required` rejects an empty value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn parse(
        field: &str,
        value: &str,
        max_chars: usize,
        required: bool,
    ) -> Result<Self, ValidationError> {
        let value = value.trim();
        if required && value.is_empty() {
            return Err(ValidationError::new(field, "must not be empty"));
        }
        if value.chars().count() > max_chars {
            return Err(ValidationError::new(
                field,
                format!("must be at most {max_chars} characters"),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    /// A short required label: a name, an attribute name or value.
    pub fn name(field: &str, value: &str) -> Result<Self, ValidationError> {
        Self::parse(field, value, 200, true)
    }

    pub fn description(field: &str, value: &str) -> Result<Self, ValidationError> {
        Self::parse(field, value, 10_000, false)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

/// An absolute http(s) URL of an image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ImageUrl(String);

impl ImageUrl {
    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        let value = value.trim();
        let host = value
            .strip_prefix("https://")
            .or_else(|| value.strip_prefix("http://"));
        let well_formed = host.is_some_and(|rest| !rest.is_empty())
            && value.len() <= 2000
            && !value.chars().any(char::is_whitespace);
        if well_formed {
            Ok(Self(value.to_owned()))
        } else {
            Err(ValidationError::new(
                field,
                format!("{value:?} is not an absolute http(s) URL"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name/value pair: a product attribute ("material" = "linen") or a variant option
/// ("size" = "M"). Names are lowercase so filters match however the input was cased. Both
/// are usually short enough to be kept inline, without an allocation of their own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Attribute {
    pub name: CompactString,
    pub value: CompactString,
}

impl Attribute {
    pub fn parse(field: &str, name: &str, value: &str) -> Result<Self, ValidationError> {
        let name = Text::parse(&format!("{field}.name"), name, 60, true)?;
        let value = Text::parse(&format!("{field}.value"), value, 200, true)?;
        Ok(Self {
            name: name.as_str().to_lowercase().into(),
            value: value.into_string().into(),
        })
    }

    /// Parses a list, rejecting a name given twice with the same value.
    pub fn parse_list<'a>(
        field: &str,
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Vec<Self>, ValidationError> {
        let mut list: Vec<Self> = Vec::new();
        for (index, (name, value)) in pairs.into_iter().enumerate() {
            let attribute = Self::parse(&format!("{field}[{index}]"), name, value)?;
            if list.contains(&attribute) {
                return Err(ValidationError::new(
                    format!("{field}[{index}]"),
                    format!("{}={} is given twice", attribute.name, attribute.value),
                ));
            }
            list.push(attribute);
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_lowercase_dashed_handles() {
        assert!(Slug::parse("slug", "linen-shirt-2").is_ok());
        for bad in ["", "Linen", "-a", "a-", "a--b", "a b", "ä"] {
            assert!(Slug::parse("slug", bad).is_err(), "{bad:?} accepted");
        }
        let derived = Slug::from_text("  Linen Shirt, Blue!").map(|s| s.0);
        assert_eq!(derived.as_deref(), Some("linen-shirt-blue"));
        assert_eq!(Slug::from_text("!!!"), None);
    }

    #[test]
    fn skus_are_normalised_to_uppercase_and_bounded() {
        assert_eq!(
            Sku::parse("sku", " tee-blu_m.1 ").map(|s| s.0),
            Ok("TEE-BLU_M.1".to_owned())
        );
        assert!(Sku::parse("sku", "").is_err());
        assert!(Sku::parse("sku", "has space").is_err());
        assert!(Sku::parse("sku", &"X".repeat(65)).is_err());
    }

    #[test]
    fn texts_images_and_attributes_are_checked() {
        assert!(Text::name("name", "  ").is_err());
        assert!(Text::description("description", "").is_ok());
        assert!(ImageUrl::parse("image", "https://img.example/a.jpg").is_ok());
        assert!(ImageUrl::parse("image", "ftp://x").is_err());
        assert!(ImageUrl::parse("image", "https://").is_err());
        let pairs = [("Colour", "Blue"), ("colour", "Blue")];
        let error = Attribute::parse_list("attributes", pairs).expect_err("duplicate");
        assert_eq!(error.field, "attributes[1]");
    }
}
