//! Opaque global ids: `base64url("Type:key")`. Clients treat them as strings; every subgraph
//! that shares an entity uses the same id, and only the owner decodes the key inside.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::{ErrorCode, KernelError};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GlobalId {
    type_name: String,
    key: String,
}

impl GlobalId {
    pub fn new(type_name: &str, key: impl ToString) -> Self {
        Self {
            type_name: type_name.to_owned(),
            key: key.to_string(),
        }
    }

    /// Encodes a numeric database key of `type_name`. Hot: every id of every listed entity
    /// goes through here, so neither the formatting machinery nor base64's streaming writer
    /// (which zeroes a 1 KiB buffer per call) is used: the raw text is put together once and
    /// encoded into a string of the exact length.
    pub fn encode(type_name: &str, key: i64) -> String {
        let mut digits = itoa::Buffer::new();
        let raw = [type_name.as_bytes(), b":", digits.format(key).as_bytes()].concat();
        URL_SAFE_NO_PAD.encode(raw)
    }

    /// [`encode`](Self::encode) appended to `out`, for JSON written straight into a buffer
    /// (its characters need no escaping in a JSON string).
    pub fn encode_into(type_name: &str, key: i64, out: &mut Vec<u8>) {
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(key).as_bytes();
        let mut raw = [0; 64];
        let length = type_name.len() + 1 + digits.len();
        let Some(raw) = raw.get_mut(..length) else {
            out.extend_from_slice(Self::encode(type_name, key).as_bytes());
            return;
        };
        raw[..type_name.len()].copy_from_slice(type_name.as_bytes());
        raw[type_name.len()] = b':';
        raw[type_name.len() + 1..].copy_from_slice(digits);
        let start = out.len();
        out.resize(start + length.div_ceil(3) * 4, 0);
        // Sized for padded output; the unpadded one is at most as long.
        let written = URL_SAFE_NO_PAD
            .encode_slice(raw, &mut out[start..])
            .unwrap_or(0);
        out.truncate(start + written);
    }

    pub fn parse(value: &str) -> Result<Self, KernelError> {
        let invalid = || KernelError::new(ErrorCode::BadUserInput, format!("invalid id {value:?}"));
        let bytes = URL_SAFE_NO_PAD
            .decode(value.trim())
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let (type_name, key) = text.split_once(':').ok_or_else(invalid)?;
        if type_name.is_empty() || key.is_empty() {
            return Err(invalid());
        }
        Ok(Self {
            type_name: type_name.to_owned(),
            key: key.to_owned(),
        })
    }

    /// Decodes an id that must name `expected` with a numeric key, as owners store them.
    pub fn decode(value: &str, expected: &str) -> Result<i64, KernelError> {
        let id = Self::parse(value)?;
        if id.type_name != expected {
            return Err(KernelError::new(
                ErrorCode::BadUserInput,
                format!("id {value:?} is a {}, expected a {expected}", id.type_name),
            ));
        }
        id.key.parse().map_err(|_| {
            KernelError::new(
                ErrorCode::BadUserInput,
                format!("invalid {expected} id {value:?}"),
            )
        })
    }

    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    pub fn key(&self) -> &str {
        &self.key
    }
}

impl std::fmt::Display for GlobalId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let raw = format!("{}:{}", self.type_name, self.key);
        f.write_str(&URL_SAFE_NO_PAD.encode(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_checks_the_type() {
        let id = GlobalId::encode("Product", 42);
        assert_eq!(GlobalId::decode(&id, "Product").map_err(|e| e.code), Ok(42));
        let wrong = GlobalId::decode(&id, "Review").map_err(|e| e.code);
        assert_eq!(wrong, Err(ErrorCode::BadUserInput));
        assert!(GlobalId::parse("not base64 !").is_err());
        assert!(GlobalId::decode(&GlobalId::new("Product", "x").to_string(), "Product").is_err());
    }

    #[test]
    fn encoding_in_one_step_matches_the_display_form_for_any_length() {
        for type_name in ["Product", "ProductVariant", &"T".repeat(200)] {
            for key in [0, 7, -3, i64::MAX, i64::MIN] {
                let expected = GlobalId::new(type_name, key).to_string();
                assert_eq!(GlobalId::encode(type_name, key), expected);
                let mut appended = b"x".to_vec();
                GlobalId::encode_into(type_name, key, &mut appended);
                assert_eq!(appended, format!("x{expected}").into_bytes());
            }
        }
    }
}
