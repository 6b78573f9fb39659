//! Fixed-window attempt counters for sign-in: in Redis when configured (shared by every
//! instance), in-process otherwise. If Redis fails, counting falls back to the in-process
//! counters rather than letting every attempt through or locking everyone out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use commerce_kernel::redis_link::LazyRedis;
use redis::aio::ConnectionManager;

/// The outcome of counting one attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Limited { retry_after: Duration },
}

#[async_trait]
pub trait RateLimiter: Send + Sync {
    /// Counts an attempt under `key`; more than `limit` within `window` is limited.
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Decision;
    /// Forgets the attempts under `key` (after a successful sign-in).
    async fn reset(&self, key: &str);
}

/// In-process counters.
#[derive(Default)]
pub struct MemoryRateLimiter {
    windows: Mutex<HashMap<String, Window>>,
}

struct Window {
    started: Instant,
    length: Duration,
    count: u32,
}

/// Past this many keys, expired windows are swept on the next hit.
const SWEEP_AT: usize = 10_000;

impl MemoryRateLimiter {
    fn count(&self, key: &str, window: Duration) -> (u32, Duration) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if windows.len() > SWEEP_AT {
            windows.retain(|_, w| now.duration_since(w.started) < w.length);
        }
        let entry = windows.entry(key.to_owned()).or_insert(Window {
            started: now,
            length: window,
            count: 0,
        });
        if now.duration_since(entry.started) >= entry.length {
            *entry = Window {
                started: now,
                length: window,
                count: 0,
            };
        }
        entry.count = entry.count.saturating_add(1);
        let left = entry
            .length
            .saturating_sub(now.duration_since(entry.started));
        (entry.count, left)
    }
}

fn decide(count: u32, limit: u32, left: Duration) -> Decision {
    if count > limit {
        Decision::Limited {
            retry_after: left.max(Duration::from_secs(1)),
        }
    } else {
        Decision::Allowed
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Decision {
        let (count, left) = self.count(key, window);
        decide(count, limit, left)
    }

    async fn reset(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

/// Counters in Redis: `SET key 0 EX window NX`, `INCR`, `PTTL` in one transaction. Connected
/// on first use; while Redis is unreachable, the in-process counters count.
pub struct RedisRateLimiter {
    redis: LazyRedis,
    prefix: String,
    fallback: MemoryRateLimiter,
}

/// How long a sign-in waits on Redis before counting in-process.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

impl RedisRateLimiter {
    /// Fails only on an invalid URL; Redis itself is reached when first used.
    pub async fn connect(url: &str, prefix: &str) -> anyhow::Result<Self> {
        Ok(Self {
            redis: LazyRedis::open(url, "rate limits", REDIS_TIMEOUT, 1)?,
            prefix: format!("{prefix}:ratelimit:"),
            fallback: MemoryRateLimiter::default(),
        })
    }

    async fn count(
        &self,
        mut connection: ConnectionManager,
        key: &str,
        window: Duration,
    ) -> redis::RedisResult<(u32, Duration)> {
        let key = format!("{}{key}", self.prefix);
        let millis = u64::try_from(window.as_millis()).unwrap_or(u64::MAX).max(1);
        let (count, ttl): (u32, i64) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(0)
            .arg("PX")
            .arg(millis)
            .arg("NX")
            .ignore()
            .incr(&key, 1)
            .pttl(&key)
            .query_async(&mut connection)
            .await?;
        let left = Duration::from_millis(u64::try_from(ttl).unwrap_or(0));
        Ok((count, left))
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn hit(&self, key: &str, limit: u32, window: Duration) -> Decision {
        // Unreachable: `LazyRedis` has said so once; count here until it is back.
        let Some(connection) = self.redis.connection().await else {
            return self.fallback.hit(key, limit, window).await;
        };
        match self.count(connection, key, window).await {
            Ok((count, left)) => decide(count, limit, left),
            Err(error) => {
                tracing::warn!(%error, "redis rate limiter failed; counting in-process");
                self.fallback.hit(key, limit, window).await
            }
        }
    }

    async fn reset(&self, key: &str) {
        if let Some(mut connection) = self.redis.connection().await
            && let Err(error) = redis::cmd("DEL")
                .arg(format!("{}{key}", self.prefix))
                .query_async::<()>(&mut connection)
                .await
        {
            tracing::warn!(%error, "redis rate limiter reset failed");
        }
        self.fallback.reset(key).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_past_the_limit_until_reset() {
        let limiter = MemoryRateLimiter::default();
        let window = Duration::from_secs(60);
        for _ in 0..3 {
            assert_eq!(limiter.hit("k", 3, window).await, Decision::Allowed);
        }
        assert!(matches!(
            limiter.hit("k", 3, window).await,
            Decision::Limited { retry_after } if retry_after <= window
        ));
        assert_eq!(limiter.hit("other", 3, window).await, Decision::Allowed);
        limiter.reset("k").await;
        assert_eq!(limiter.hit("k", 3, window).await, Decision::Allowed);
    }

    #[tokio::test]
    async fn a_new_window_starts_after_the_old_one_ends() {
        let limiter = MemoryRateLimiter::default();
        let window = Duration::from_millis(30);
        assert_eq!(limiter.hit("k", 1, window).await, Decision::Allowed);
        assert!(matches!(
            limiter.hit("k", 1, window).await,
            Decision::Limited { .. }
        ));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(limiter.hit("k", 1, window).await, Decision::Allowed);
    }
}
