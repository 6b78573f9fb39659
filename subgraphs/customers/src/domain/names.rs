//! Codes of customer groups and staff roles, and staff permissions.

use super::CustomerError;

/// Permissions the subgraphs check, and `orders:*` for the orders subgraph to come. Roles may
/// hold others of the same `area:action` shape, so a new subgraph needs no change here.
pub const KNOWN_PERMISSIONS: &[&str] = &[
    "catalog:write",
    "inventory:write",
    "pricing:read",
    "pricing:write",
    "pricing:redeem",
    "orders:read",
    "orders:write",
    "payments:read",
    "payments:write",
    "customers:read",
    "customers:write",
    "reviews:moderate",
    "shipping:read",
    "shipping:write",
    "staff:manage",
    "webhooks:manage",
    "analytics:read",
    "analytics:write",
];

fn is_code_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-'
}

fn parse_code(field: &'static str, raw: &str) -> Result<String, CustomerError> {
    let code = raw.trim().to_ascii_lowercase();
    if code.is_empty() || code.len() > 64 || !code.chars().all(is_code_char) {
        return Err(CustomerError::invalid(
            field,
            format!("{raw:?} must be 1 to 64 of a-z, 0-9, `_` and `-`"),
        ));
    }
    Ok(code)
}

/// A customer group code such as `b2b`, `wholesale` or `vip`; prices and promotions key on it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct GroupCode(String);

impl GroupCode {
    pub fn parse(raw: &str) -> Result<Self, CustomerError> {
        parse_code("group code", raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A staff role code such as `admin` or `catalog-editor`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RoleCode(String);

impl RoleCode {
    pub fn parse(raw: &str) -> Result<Self, CustomerError> {
        parse_code("role code", raw).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A permission `area:action`, such as `catalog:write`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Permission(String);

impl Permission {
    pub fn parse(raw: &str) -> Result<Self, CustomerError> {
        let value = raw.trim();
        let valid = value.split_once(':').is_some_and(|(area, action)| {
            let part =
                |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_lowercase() || c == '_');
            part(area) && part(action)
        });
        if !valid || value.len() > 64 {
            return Err(CustomerError::invalid(
                "permission",
                format!("{raw:?} is not of the form `area:action`, e.g. `catalog:write`"),
            ));
        }
        Ok(Self(value.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_lowercase_identifiers() {
        assert_eq!(GroupCode::parse(" VIP ").expect("valid").as_str(), "vip");
        assert!(GroupCode::parse("big spenders").is_err());
        assert!(RoleCode::parse("").is_err());
    }

    #[test]
    fn permissions_are_area_colon_action() {
        for known in KNOWN_PERMISSIONS {
            assert!(Permission::parse(known).is_ok(), "{known}");
        }
        for bad in ["catalog", "catalog:", ":write", "Catalog:Write", "a:b:c"] {
            assert!(Permission::parse(bad).is_err(), "{bad}");
        }
    }
}
