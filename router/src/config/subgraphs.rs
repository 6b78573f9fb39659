//! Subgraphs: per-subgraph URLs and timeouts, and sharing identical requests in flight.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubgraphConfig {
    pub url: Option<String>,
    pub timeout_ms: Option<u64>,
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
