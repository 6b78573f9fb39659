//! Newtypes for every client-supplied value; once built they cannot be invalid.

use std::time::Duration;

use commerce_kernel::{ErrorCode, GlobalId, KernelError};
use serde::{Deserialize, Serialize};

/// The largest stock quantity accepted; keeps every sum well inside GraphQL's 32-bit `Int`.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

fn bad_input(message: String) -> KernelError {
    KernelError::new(ErrorCode::BadUserInput, message)
}

/// A catalog variant id, kept as the opaque string the catalog issued: only its type is checked
/// because only the catalog decodes its key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VariantId(String);

impl VariantId {
    pub fn parse(value: &str) -> Result<Self, KernelError> {
        if value.len() > 255 {
            return Err(bad_input(
                "variant ids are at most 255 characters".to_owned(),
            ));
        }
        let id = GlobalId::parse(value)?;
        if id.type_name() != "ProductVariant" {
            return Err(bad_input(format!(
                "id {value:?} is a {}, expected a ProductVariant",
                id.type_name()
            )));
        }
        Ok(Self(id.to_string()))
    }

    /// Wraps an id read back from our own tables, which only ever hold parsed ids.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A warehouse's database key, decoded from its global id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct WarehouseId(pub i64);

impl WarehouseId {
    pub const TYPE_NAME: &'static str = "Warehouse";

    pub fn parse(value: &str) -> Result<Self, KernelError> {
        GlobalId::decode(value, Self::TYPE_NAME).map(Self)
    }

    pub fn global(self) -> String {
        GlobalId::encode(Self::TYPE_NAME, self.0)
    }
}

/// A short warehouse code such as `ams-1`: lowercase letters, digits and dashes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseCode(String);

impl WarehouseCode {
    pub fn parse(value: &str) -> Result<Self, KernelError> {
        let valid = (1..=32).contains(&value.len())
            && value
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !value.starts_with('-');
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(bad_input(format!(
                "warehouse code must be 1-32 lowercase letters, digits or dashes, got {value:?}"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A warehouse's display name: trimmed, 1-100 characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseName(String);

impl WarehouseName {
    pub fn parse(value: &str) -> Result<Self, KernelError> {
        let trimmed = value.trim();
        match trimmed.chars().count() {
            1..=100 => Ok(Self(trimmed.to_owned())),
            _ => Err(bad_input(
                "warehouse name must be 1-100 characters".to_owned(),
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A staff note on a stock change: trimmed, at most 255 characters; blank means none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note(String);

impl Note {
    pub fn parse(value: Option<&str>) -> Result<Option<Self>, KernelError> {
        let Some(trimmed) = value.map(str::trim).filter(|v| !v.is_empty()) else {
            return Ok(None);
        };
        if trimmed.chars().count() > 255 {
            return Err(bad_input("notes are at most 255 characters".to_owned()));
        }
        Ok(Some(Self(trimmed.to_owned())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute on-hand count for `setStock`: zero or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OnHand(i64);

impl OnHand {
    pub fn parse(value: i32) -> Result<Self, KernelError> {
        match i64::from(value) {
            n @ 0..=MAX_QUANTITY => Ok(Self(n)),
            n => Err(bad_input(format!(
                "on hand must be between 0 and {MAX_QUANTITY}, got {n}"
            ))),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A relative change for `adjustStock`: never zero, so every adjustment is a real movement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StockDelta(i64);

impl StockDelta {
    pub fn parse(value: i32) -> Result<Self, KernelError> {
        match i64::from(value) {
            0 => Err(bad_input("delta must not be zero".to_owned())),
            n if n.abs() > MAX_QUANTITY => Err(bad_input(format!(
                "delta must be at most {MAX_QUANTITY} either way, got {n}"
            ))),
            n => Ok(Self(n)),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A positive number of units to reserve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quantity(i64);

impl Quantity {
    pub fn parse(value: i64) -> Result<Self, KernelError> {
        match value {
            n @ 1..=MAX_QUANTITY => Ok(Self(n)),
            n => Err(bad_input(format!(
                "quantity must be between 1 and {MAX_QUANTITY}, got {n}"
            ))),
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// A client-chosen key that makes a mutation safe to retry: 1-128 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(value: &str) -> Result<Self, KernelError> {
        let valid = (1..=128).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_graphic());
        if valid {
            Ok(Self(value.to_owned()))
        } else {
            Err(bad_input(format!(
                "idempotency key must be 1-128 visible ASCII characters, got {value:?}"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// How long a reservation holds stock before it lapses: 1 second to 1 day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReservationTtl(Duration);

impl ReservationTtl {
    pub fn parse(seconds: i64) -> Result<Self, KernelError> {
        match u64::try_from(seconds) {
            Ok(s @ 1..=86_400) => Ok(Self(Duration::from_secs(s))),
            _ => Err(bad_input(format!(
                "reservation time to live must be 1-86400 seconds, got {seconds}"
            ))),
        }
    }

    pub fn millis(self) -> i64 {
        i64::try_from(self.0.as_millis()).expect("at most a day of milliseconds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T>(result: Result<T, KernelError>) -> Option<ErrorCode> {
        result.err().map(|e| e.code)
    }

    #[test]
    fn variant_ids_must_be_catalog_variant_ids() {
        let id = GlobalId::encode("ProductVariant", 7);
        assert_eq!(VariantId::parse(&id).map(|v| v.0), Ok(id));
        let product = GlobalId::encode("Product", 7);
        assert_eq!(
            code(VariantId::parse(&product)),
            Some(ErrorCode::BadUserInput)
        );
        assert_eq!(code(VariantId::parse("???")), Some(ErrorCode::BadUserInput));
    }

    #[test]
    fn quantities_reject_negative_zero_and_huge_values() {
        assert!(OnHand::parse(0).is_ok());
        assert_eq!(code(OnHand::parse(-1)), Some(ErrorCode::BadUserInput));
        assert_eq!(code(StockDelta::parse(0)), Some(ErrorCode::BadUserInput));
        assert_eq!(StockDelta::parse(-3).map(StockDelta::get), Ok(-3));
        assert_eq!(
            code(StockDelta::parse(i32::MIN)),
            Some(ErrorCode::BadUserInput)
        );
        assert_eq!(code(Quantity::parse(0)), Some(ErrorCode::BadUserInput));
        assert_eq!(
            code(Quantity::parse(MAX_QUANTITY + 1)),
            Some(ErrorCode::BadUserInput)
        );
    }

    #[test]
    fn codes_keys_and_ttls_are_bounded() {
        assert!(WarehouseCode::parse("ams-1").is_ok());
        assert!(WarehouseCode::parse("AMS").is_err());
        assert!(WarehouseCode::parse("-x").is_err());
        assert!(WarehouseName::parse("   ").is_err());
        assert!(IdempotencyKey::parse("order-42/try-1").is_ok());
        assert_eq!(Note::parse(Some("  ")), Ok(None));
        assert!(Note::parse(Some(&"n".repeat(256))).is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(129)).is_err());
        assert!(ReservationTtl::parse(0).is_err());
        assert_eq!(
            ReservationTtl::parse(2).map(ReservationTtl::millis),
            Ok(2000)
        );
    }
}
