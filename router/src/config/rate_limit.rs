//! Per-client rate limits on `/graphql` (enforced by `rate_limit.rs`).

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Sustained requests per second per client; 0 switches limits off.
    pub requests_per_second: u32,
    /// Requests a client may send at once before the rate applies (default: one second's).
    pub burst: u32,
    /// Limit per value of this header (an API key) instead of per client address.
    pub key_header: Option<String>,
    /// The client address is the last `X-Forwarded-For` entry (the proxy in front of the
    /// router appends it) instead of the connection's peer.
    pub trust_forwarded_for: bool,
    /// A Redis every instance shares buckets through (`REDIS_URL` by default).
    pub redis_url: Option<String>,
}
