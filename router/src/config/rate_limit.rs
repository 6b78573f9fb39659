//! Per-client rate limits on `/graphql` (enforced by `rate_limit.rs`): the anonymous rate,
//! and named tiers for tokens (by a claim or a scope) and API keys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sustained requests per second per client of the anonymous tier (requests without a
    /// token or API key of another tier); 0 switches every limit off.
    pub requests_per_second: u32,
    /// Requests a client may send at once before the rate applies (default: one second's).
    pub burst: u32,
    /// The header carrying an API key. Without `api_keys`, every value is a client of the
    /// anonymous tier; with them, only the listed keys count as themselves.
    pub key_header: Option<String>,
    /// The client address is the last `X-Forwarded-For` entry (the proxy in front of the
    /// router appends it) instead of the connection's peer.
    pub trust_forwarded_for: bool,
    /// A Redis every instance shares buckets through (`REDIS_URL` by default).
    pub redis_url: Option<String>,
    /// Named rates; `anonymous` is the one above and cannot be redefined.
    pub tiers: BTreeMap<String, TierRate>,
    /// A claim (dotted path) of a verified token whose value names its tier (our customers
    /// subgraph's `kind`: `customer`, `staff`); values naming no tier are ignored.
    pub tier_claim: Option<String>,
    /// Scope → tier, for tokens whose claim names none; of several, the most generous wins.
    pub scope_tiers: BTreeMap<String, String>,
    /// SHA-256 (lowercase hex) of an API key → its tier, so that configuration files hold no
    /// secrets (`printf %s "$KEY" | sha256sum`).
    pub api_keys: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TierRate {
    /// Sustained requests per second per client; 0: unlimited.
    pub requests_per_second: u32,
    /// Requests at once before the rate applies (default: one second's).
    pub burst: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_tiers_their_claim_scopes_and_hashed_api_keys() {
        let config: RateLimitConfig = serde_yaml::from_str(
            r#"
requests_per_second: 5
key_header: x-api-key
tier_claim: kind
tiers:
  customer: { requests_per_second: 20, burst: 40 }
  staff: { requests_per_second: 0 }
scope_tiers: { "orders:admin": staff }
api_keys:
  2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae: customer
"#,
        )
        .expect("parses");
        assert_eq!(
            config.tiers["customer"],
            TierRate {
                requests_per_second: 20,
                burst: 40
            }
        );
        assert_eq!(config.tiers["staff"], TierRate::default());
        assert_eq!(config.tier_claim.as_deref(), Some("kind"));
        assert_eq!(config.scope_tiers["orders:admin"], "staff");
        assert_eq!(config.api_keys.len(), 1);
    }

    #[test]
    fn refuses_unknown_fields_in_a_tier() {
        let error = serde_yaml::from_str::<RateLimitConfig>("tiers: { staff: { rps: 1 } }")
            .expect_err("a typo is refused");
        assert!(error.to_string().contains("unknown field `rps`"), "{error}");
    }
}
