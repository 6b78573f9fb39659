//! Per-client rate limits on `/graphql`: a GCRA (token bucket) per client address or per value
//! of a header (an API key). With Redis, every router instance counts against the same
//! buckets; while Redis is unreachable each instance limits on its own.

use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use futures::FutureExt;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use http::HeaderMap;

use crate::config::RateLimitConfig;
use crate::redis_link::SharedRedis;

/// The GCRA step in Redis, on Redis' clock so that every instance agrees. Returns how many
/// microseconds to wait (0: allowed, and counted).
const GCRA: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
if tat - now > tolerance then return tat - now - tolerance end
local next = tat + interval
redis.call('SET', KEYS[1], next, 'PX', math.ceil((next - now) / 1000) + 1)
return 0
";

pub struct RateLimiter {
    config: RateLimitConfig,
    local: DefaultKeyedRateLimiter<String>,
    shared: Option<(SharedRedis, redis::Script)>,
    /// Microseconds between requests at the sustained rate.
    interval_us: u64,
    /// Microseconds a client may run ahead of that rate (the burst).
    tolerance_us: u64,
    /// Checks since buckets of idle clients were last dropped.
    checks: AtomicU32,
}

impl RateLimiter {
    /// `None` when limits are off.
    pub fn new(config: &RateLimitConfig) -> anyhow::Result<Option<Self>> {
        let Some(rate) = NonZeroU32::new(config.requests_per_second) else {
            return Ok(None);
        };
        let burst = NonZeroU32::new(config.burst).unwrap_or(rate);
        let interval_us = 1_000_000 / u64::from(rate.get());
        let shared = match &config.redis_url {
            Some(url) => Some((
                SharedRedis::open(url, "rate limit")?,
                redis::Script::new(GCRA),
            )),
            None => None,
        };
        Ok(Some(Self {
            config: config.clone(),
            local: DefaultKeyedRateLimiter::keyed(Quota::per_second(rate).allow_burst(burst)),
            shared,
            interval_us,
            tolerance_us: interval_us * u64::from(burst.get() - 1),
            checks: AtomicU32::new(0),
        }))
    }

    /// Who the request counts against.
    pub fn client_key(
        &self,
        headers: &HeaderMap,
        peer: Option<&ConnectInfo<SocketAddr>>,
    ) -> String {
        if let Some(name) = &self.config.key_header
            && let Some(value) = headers.get(name.as_str()).and_then(|v| v.to_str().ok())
        {
            return format!("key:{value}");
        }
        let forwarded = self
            .config
            .trust_forwarded_for
            .then(|| headers.get("x-forwarded-for")?.to_str().ok())
            .flatten()
            .and_then(|list| list.rsplit(',').next())
            .map(str::trim)
            .filter(|ip| !ip.is_empty());
        match (forwarded, peer) {
            (Some(ip), _) => format!("ip:{ip}"),
            (None, Some(ConnectInfo(addr))) => format!("ip:{}", addr.ip()),
            (None, None) => "ip:unknown".to_string(),
        }
    }

    /// `Err(wait)` when `key` is over its limit.
    /// The shared bucket's verdict, or `None` when Redis cannot answer.
    async fn check_shared(&self, key: &str) -> Option<Result<(), Duration>> {
        let (redis, script) = self.shared.as_ref()?;
        let mut connection = redis.connection().await?;
        let wait = script
            .key(format!("commerce-router:rate:{key}"))
            .arg(self.interval_us)
            .arg(self.tolerance_us)
            .invoke_async::<u64>(&mut connection)
            .await;
        match wait {
            Ok(0) => Some(Ok(())),
            Ok(micros) => Some(Err(Duration::from_micros(micros))),
            Err(error) => {
                tracing::warn!(%error, "rate limit Redis call failed; limiting locally");
                None
            }
        }
    }

    pub async fn check(&self, key: &str) -> Result<(), Duration> {
        // Boxed: the Redis call's state is large, and the middleware's future (allocated
        // and moved on every request) would carry it even when Redis is not configured.
        if self.shared.is_some()
            && let Some(verdict) = self.check_shared(key).boxed().await
        {
            return verdict;
        }
        // Buckets of clients that have been idle long enough are full again: drop them now
        // and then, so the map holds only recent clients.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            self.local.retain_recent();
        }
        self.local
            .check_key(&key.to_string())
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(config: RateLimitConfig) -> RateLimiter {
        RateLimiter::new(&config).unwrap().expect("limits on")
    }

    #[tokio::test]
    async fn allows_the_burst_then_the_rate() {
        let limiter = limiter(RateLimitConfig {
            requests_per_second: 10,
            burst: 3,
            ..Default::default()
        });
        for _ in 0..3 {
            assert!(limiter.check("ip:1").await.is_ok());
        }
        let wait = limiter.check("ip:1").await.unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert!(limiter.check("ip:2").await.is_ok(), "clients are apart");
        tokio::time::sleep(wait).await;
        assert!(limiter.check("ip:1").await.is_ok());
    }

    #[test]
    fn keys_by_header_then_forwarded_address_then_peer() {
        let peer = ConnectInfo(SocketAddr::from(([10, 0, 0, 9], 5555)));
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.7, 198.51.100.2".parse().unwrap(),
        );
        headers.insert("x-api-key", "abc".parse().unwrap());
        let by_peer = limiter(RateLimitConfig {
            requests_per_second: 1,
            ..Default::default()
        });
        assert_eq!(by_peer.client_key(&headers, Some(&peer)), "ip:10.0.0.9");
        let forwarded = limiter(RateLimitConfig {
            requests_per_second: 1,
            trust_forwarded_for: true,
            ..Default::default()
        });
        assert_eq!(
            forwarded.client_key(&headers, Some(&peer)),
            "ip:198.51.100.2"
        );
        let keyed = limiter(RateLimitConfig {
            requests_per_second: 1,
            key_header: Some("x-api-key".into()),
            ..Default::default()
        });
        assert_eq!(keyed.client_key(&headers, None), "key:abc");
        assert_eq!(keyed.client_key(&HeaderMap::new(), None), "ip:unknown");
    }

    #[test]
    fn zero_switches_limits_off() {
        assert!(
            RateLimiter::new(&RateLimitConfig::default())
                .unwrap()
                .is_none()
        );
    }
}
