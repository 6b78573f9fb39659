//! Traffic to subgraphs: the circuit breaker and the retries of idempotent fetches (enforced
//! by `executor/traffic.rs`). `traffic` holds the defaults; a subgraph's own `traffic` (under
//! `subgraphs.<name>`) replaces them for it.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TrafficConfig {
    pub circuit_breaker: CircuitBreakerConfig,
    pub retry: RetryConfig,
}

/// A subgraph that keeps failing is not asked for a while: its fields fail at once with
/// `SUBGRAPH_UNAVAILABLE` instead of each request waiting out its timeout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CircuitBreakerConfig {
    pub enabled: bool,
    /// Failed fetches in a row (no answer, a timeout, an HTTP error without a GraphQL body)
    /// that open the circuit.
    pub failure_threshold: u32,
    /// How long an open circuit refuses fetches before one is let through to probe; a
    /// probe that succeeds closes it, one that fails opens it again for as long.
    pub open_ms: u64,
}

impl Default for CircuitBreakerConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            failure_threshold: 5,
            open_ms: 5_000,
        }
    }
}

/// Query fetches (never mutations) that failed before the subgraph answered (connection
/// refused or reset, 502/503/504 without a GraphQL body) are sent again, within a budget so
/// that retries cannot multiply the load on a subgraph that is down. Timeouts are not
/// retried: a subgraph that hangs would cost each request its timeout again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RetryConfig {
    /// Retries of one fetch; 0 switches retries off.
    pub max_retries: u32,
    /// The first retry waits up to this long (full jitter), each next one twice as long.
    pub backoff_ms: u64,
    /// Retries allowed per second whatever the traffic.
    pub min_per_sec: u32,
    /// Retries allowed beyond that, as a percentage of the fetches of the last 10 s.
    pub budget_percent: f32,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            max_retries: 2,
            backoff_ms: 20,
            min_per_sec: 10,
            budget_percent: 20.0,
        }
    }
}
