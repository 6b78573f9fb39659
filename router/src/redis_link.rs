//! The Redis that router instances share (persisted queries, rate limits): connected on first
//! use, so a Redis that is down delays nothing at startup; after a failed connection, skipped
//! for a while instead of each request waiting on it. Every call gives up after 500 ms, and
//! callers then go on without Redis.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;

/// How long one Redis call may take before the router goes on without it.
const TIMEOUT: Duration = Duration::from_millis(500);
/// After a failed connection, how long requests skip Redis.
const RETRY_AFTER: Duration = Duration::from_secs(5);

pub struct SharedRedis {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    /// Until when to skip Redis after a failed connection.
    down_until: Mutex<Option<Instant>>,
    /// What it is for, in log lines.
    purpose: &'static str,
}

impl SharedRedis {
    pub fn open(url: &str, purpose: &'static str) -> anyhow::Result<Self> {
        Ok(Self {
            client: redis::Client::open(url)
                .map_err(|e| anyhow::anyhow!("invalid {purpose} Redis URL: {e}"))?,
            connection: OnceCell::new(),
            down_until: Mutex::new(None),
            purpose,
        })
    }

    /// The connection, made on first use; `None` while Redis is considered down.
    pub async fn connection(&self) -> Option<ConnectionManager> {
        if let Some(connection) = self.connection.get() {
            return Some(connection.clone());
        }
        let now = Instant::now();
        if self.down_until().is_some_and(|until| now < until) {
            return None;
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(TIMEOUT)
            .set_response_timeout(TIMEOUT)
            .set_number_of_retries(0);
        let connect = ConnectionManager::new_with_config(self.client.clone(), config);
        match self.connection.get_or_try_init(|| connect).await {
            Ok(connection) => Some(connection.clone()),
            Err(error) => {
                let purpose = self.purpose;
                tracing::warn!(%error, purpose, "Redis unreachable; this instance goes on alone");
                *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) =
                    Some(now + RETRY_AFTER);
                None
            }
        }
    }

    pub fn down_until(&self) -> Option<Instant> {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner())
    }
}
