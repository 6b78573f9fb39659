//! Client connections: the listener's timeouts and caps, CORS, and batched requests.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What the router lets one client connection or request hold. Timeouts and caps of 0 are off.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Time for a request's headers to arrive. hyper starts the clock when it starts waiting
    /// for a request, so this is also how long a keep-alive connection may sit idle.
    pub header_read_timeout_ms: u64,
    /// Time for a request's whole body to arrive, from the end of its headers (then 408).
    pub body_read_timeout_ms: u64,
    /// Open client connections; a connection past it is answered 503 and closed.
    pub max_connections: usize,
    /// Requests being processed once their body is in; past it 503 with `Retry-After`.
    pub max_concurrent_requests: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            // Apollo Router's default; behind a load balancer whose idle timeout is longer,
            // raise it above that one so the balancer never reuses a connection being closed.
            header_read_timeout_ms: 10_000,
            // A 2 MB body at 70 KB/s; real operations are a few KB.
            body_read_timeout_ms: 30_000,
            max_connections: 10_000,
            max_concurrent_requests: 1_024,
        }
    }
}

impl ServerConfig {
    pub fn header_read_timeout(&self) -> Option<Duration> {
        millis(self.header_read_timeout_ms)
    }

    pub fn body_read_timeout(&self) -> Option<Duration> {
        millis(self.body_read_timeout_ms)
    }
}

fn millis(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// Several operations in one POST (a JSON array), as Apollo Client's `BatchHttpLink` sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchingConfig {
    pub enabled: bool,
    pub max_size: usize,
}

impl Default for BatchingConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            max_size: 32,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    pub enabled: bool,
    /// `["*"]` allows any origin (without credentials).
    pub allow_origins: Vec<String>,
    pub allow_credentials: bool,
    pub max_age_secs: u64,
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_origins: vec!["*".to_string()],
            allow_credentials: false,
            max_age_secs: 600,
        }
    }
}
