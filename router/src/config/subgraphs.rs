//! Subgraphs: per-subgraph URLs, timeouts and traffic settings, and sharing identical requests in flight.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubgraphConfig {
    pub url: Option<String>,
    pub timeout_ms: Option<u64>,
    /// Replaces the top-level `traffic` for this subgraph.
    pub traffic: Option<super::TrafficConfig>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupeConfig {
    /// Identical in-flight subgraph query fetches share one request.
    pub subgraph: bool,
    /// Identical in-flight client queries share one execution (off by default).
    pub inbound: bool,
}

impl Default for DedupeConfig {
    fn default() -> Self {
        Self {
            subgraph: true,
            inbound: false,
        }
    }
}
