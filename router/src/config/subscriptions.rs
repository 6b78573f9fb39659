//! Subscriptions: how many a router and a connection hold, and how far a client may fall
//! behind before it is dropped.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubscriptionsConfig {
    /// Serve subscriptions over WebSocket (`graphql-transport-ws`) and Server-Sent Events.
    pub enabled: bool,
    /// Subscriptions open at once on this router; past it a new one is refused
    /// (`SUBSCRIPTION_LIMIT_EXCEEDED`).
    pub max_total: usize,
    /// Subscriptions open at once on one WebSocket connection.
    pub max_per_connection: usize,
    /// Messages queued for one client connection; a client that lets more pile up is too
    /// slow, and is dropped with an error (`SUBSCRIPTION_CLIENT_TOO_SLOW`).
    pub buffer: usize,
    /// Time for a WebSocket client to send `connection_init`, and for a subgraph to answer
    /// it with `connection_ack`.
    pub connection_init_timeout_ms: u64,
    /// Subscriptions one connection to a subgraph carries (those with the same forwarded
    /// headers share one); past it another is opened. 0: no bound.
    pub max_per_subgraph_connection: usize,
}

impl Default for SubscriptionsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_total: 100_000,
            max_per_connection: 100,
            buffer: 128,
            connection_init_timeout_ms: 10_000,
            // async-graphql polls every subscription of a connection on each wake-up, so
            // a subgraph built on it slows down with thousands on one connection.
            max_per_subgraph_connection: 100,
        }
    }
}

impl SubscriptionsConfig {
    pub fn connection_init_timeout(&self) -> Duration {
        Duration::from_millis(self.connection_init_timeout_ms.max(1))
    }
}
