//! A Redis connection made on first use, shared by the subgraphs (caches, rate limits, events)
//! and the router (persisted queries, rate limits, its cache): a process whose Redis is down
//! still starts and serves, degraded. After a failed attempt, callers skip Redis for a while
//! instead of each waiting on it; once connected, the redis crate's `ConnectionManager`
//! reconnects by itself.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::Context;
use redis::Client;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

/// After a failed connection, how long callers go on without Redis before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

pub struct LazyRedis {
    client: Client,
    connection: OnceCell<ConnectionManager>,
    timeout: Duration,
    /// Connection attempts after the first, before the callers go on without Redis.
    retries: usize,
    /// Until when callers skip Redis, after a failed connection.
    down_until: Mutex<Option<Instant>>,
    /// What it is for, in log lines.
    purpose: &'static str,
}

impl LazyRedis {
    /// Checks the URL only; nothing connects until [`LazyRedis::connection`]. Each command
    /// and each connection attempt gives up after `timeout`; a connection is attempted
    /// `1 + retries` times.
    pub fn open(
        url: &str,
        purpose: &'static str,
        timeout: Duration,
        retries: usize,
    ) -> anyhow::Result<Self> {
        Ok(Self {
            client: Client::open(url).with_context(|| format!("invalid {purpose} Redis URL"))?,
            connection: OnceCell::new(),
            timeout,
            retries,
            down_until: Mutex::new(None),
            purpose,
        })
    }

    /// The client, for connections of their own (a blocking read or a subscription holds one).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The shared connection, made on first use; `None` while Redis is unreachable.
    pub async fn connection(&self) -> Option<ConnectionManager> {
        if let Some(connection) = self.connection.get() {
            return Some(connection.clone());
        }
        let now = Instant::now();
        if self.down_until().is_some_and(|until| now < until) {
            return None;
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(self.timeout)
            .set_response_timeout(self.timeout)
            .set_number_of_retries(self.retries);
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        match self.connection.get_or_try_init(|| connect).await {
            Ok(connection) => {
                if self.down_until().is_some() {
                    tracing::info!(purpose = self.purpose, "Redis reachable again");
                }
                Some(connection.clone())
            }
            Err(error) => {
                tracing::warn!(
                    %error,
                    purpose = self.purpose,
                    "Redis unreachable; going on without it, trying again in {} s",
                    RETRY_AFTER.as_secs()
                );
                *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(now + RETRY_AFTER);
                None
            }
        }
    }

    /// Until when callers skip Redis, after a failed connection.
    pub fn down_until(&self) -> Option<Instant> {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner())
    }
}
