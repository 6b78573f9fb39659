//! Per-client rate limits on `/graphql`: a GCRA (token bucket) per client, at the rate of its
//! tier. A verified token counts against its subject (`sub:`) in the tier its claim or scopes
//! name; an API key against itself (`key:`, its SHA-256) in its tier; anything else against
//! its address (`ip:`) in the anonymous tier. With Redis, every router instance counts against
//! the same buckets; while Redis is unreachable each instance limits on its own.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use anyhow::{Context, ensure};
use axum::extract::ConnectInfo;
use commerce_redis_link::LazyRedis;
use futures::FutureExt;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use http::HeaderMap;
use sha2::{Digest, Sha256};

use crate::REDIS_TIMEOUT;
use crate::auth::AuthContext;
use crate::config::{RateLimitConfig, TierRate};

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

/// The tier of requests without a token or API key of another: `rate_limit`'s own rate.
const ANONYMOUS: &str = "anonymous";

/// One named rate and the local buckets of its clients.
struct Tier {
    name: String,
    rate: TierRate,
    /// `None`: unlimited (a rate of 0).
    buckets: Option<Buckets>,
}

struct Buckets {
    local: DefaultKeyedRateLimiter<String>,
    /// Microseconds between requests at the sustained rate.
    interval_us: u64,
    /// Microseconds a client may run ahead of that rate (the burst).
    tolerance_us: u64,
}

impl Tier {
    fn new(name: &str, rate: TierRate) -> Self {
        let buckets = NonZeroU32::new(rate.requests_per_second).map(|per_second| {
            let burst = NonZeroU32::new(rate.burst).unwrap_or(per_second);
            let interval_us = 1_000_000 / u64::from(per_second.get());
            Buckets {
                local: DefaultKeyedRateLimiter::keyed(
                    Quota::per_second(per_second).allow_burst(burst),
                ),
                interval_us,
                tolerance_us: interval_us * u64::from(burst.get() - 1),
            }
        });
        Self {
            name: name.to_string(),
            rate,
            buckets,
        }
    }

    /// Orders tiers from the strictest to the most generous (unlimited last).
    fn generosity(&self) -> (bool, u32, u32) {
        let burst = match self.rate.burst {
            0 => self.rate.requests_per_second,
            burst => burst,
        };
        (self.buckets.is_none(), self.rate.requests_per_second, burst)
    }
}

/// Who a request counts against: one client's bucket in a tier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    tier: usize,
    key: String,
}

pub struct RateLimiter {
    /// The anonymous tier first.
    tiers: Vec<Tier>,
    tier_claim: Option<Vec<String>>,
    /// Scope → tier, the most generous first (the first a token has wins).
    scope_tiers: Vec<(String, usize)>,
    /// SHA-256 hex of an API key → tier.
    api_keys: HashMap<String, usize>,
    key_header: Option<String>,
    trust_forwarded_for: bool,
    shared: Option<(LazyRedis, redis::Script)>,
    /// Checks since buckets of idle clients were last dropped.
    checks: AtomicU32,
}

impl RateLimiter {
    /// `None` when limits are off; an error for tiers, scopes or keys that do not add up.
    pub fn new(config: &RateLimitConfig) -> anyhow::Result<Option<Self>> {
        if config.requests_per_second == 0 {
            if !config.tiers.is_empty() {
                tracing::warn!(
                    "rate_limit.requests_per_second is 0: every limit is off, tiers too"
                );
            }
            return Ok(None);
        }
        let anonymous = TierRate {
            requests_per_second: config.requests_per_second,
            burst: config.burst,
        };
        let mut tiers = vec![Tier::new(ANONYMOUS, anonymous)];
        for (name, rate) in &config.tiers {
            ensure!(
                name != ANONYMOUS,
                "rate_limit.tiers.anonymous: the anonymous tier is rate_limit's own rate"
            );
            tiers.push(Tier::new(name, *rate));
        }
        let tier = |name: &str, what: &str| {
            tiers
                .iter()
                .position(|tier| tier.name == name)
                .with_context(|| {
                    format!("rate_limit.{what} names tier {name:?}, which rate_limit.tiers lacks")
                })
        };
        let mut scope_tiers = config
            .scope_tiers
            .iter()
            .map(|(scope, name)| Ok((scope.clone(), tier(name, "scope_tiers")?)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        scope_tiers.sort_by_key(|(_, index)| std::cmp::Reverse(tiers[*index].generosity()));
        ensure!(
            config.api_keys.is_empty() || config.key_header.is_some(),
            "rate_limit.api_keys needs rate_limit.key_header"
        );
        let mut api_keys = HashMap::new();
        for (hash, name) in &config.api_keys {
            ensure!(
                hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
                "rate_limit.api_keys: {hash:?} is not a SHA-256 in hex"
            );
            api_keys.insert(hash.to_ascii_lowercase(), tier(name, "api_keys")?);
        }
        let shared = match &config.redis_url {
            Some(url) => Some((
                LazyRedis::open(url, "rate limit", REDIS_TIMEOUT, 0)?,
                redis::Script::new(GCRA),
            )),
            None => None,
        };
        Ok(Some(Self {
            tiers,
            tier_claim: config
                .tier_claim
                .as_ref()
                .map(|path| path.split('.').map(str::to_string).collect()),
            scope_tiers,
            api_keys,
            key_header: config.key_header.clone(),
            trust_forwarded_for: config.trust_forwarded_for,
            shared,
            checks: AtomicU32::new(0),
        }))
    }

    /// Who the request counts against; `auth` is its verified token's context (`None` when
    /// it had none or it did not verify: such a request is no better than an anonymous one).
    pub fn client(
        &self,
        headers: &HeaderMap,
        peer: Option<&ConnectInfo<SocketAddr>>,
        auth: Option<&AuthContext>,
    ) -> Client {
        if let Some(auth) = auth
            && let Some(claims) = auth.claims.as_deref()
        {
            let key = match claims.get("sub").and_then(serde_json::Value::as_str) {
                Some(subject) => format!("sub:{subject}"),
                None => self.address(headers, peer),
            };
            return Client {
                tier: self.token_tier(auth, claims),
                key,
            };
        }
        match self.api_key(headers) {
            Some((hash, tier)) => Client {
                tier,
                key: format!("key:{hash}"),
            },
            None => Client {
                tier: 0,
                key: self.address(headers, peer),
            },
        }
    }

    /// The tier the token's claim names, else the most generous its scopes map to, else the
    /// anonymous one.
    fn token_tier(&self, auth: &AuthContext, claims: &serde_json::Value) -> usize {
        let named = self.tier_claim.as_ref().and_then(|path| {
            let value = path
                .iter()
                .try_fold(claims, |value, segment| value.get(segment))?;
            let name = value.as_str()?;
            self.tiers.iter().position(|tier| tier.name == name)
        });
        named
            .or_else(|| {
                self.scope_tiers
                    .iter()
                    .find(|(scope, _)| auth.scopes.contains(scope))
                    .map(|(_, tier)| *tier)
            })
            .unwrap_or(0)
    }

    /// The API key's hash and tier: any key is its own client of the anonymous tier when
    /// no keys are listed; otherwise only listed ones count (an unknown key is refused its
    /// own bucket, or made-up keys would each get a fresh one).
    fn api_key(&self, headers: &HeaderMap) -> Option<(String, usize)> {
        let value = headers.get(self.key_header.as_deref()?)?;
        let hash = hex::encode(Sha256::digest(value.as_bytes()));
        if self.api_keys.is_empty() {
            return Some((hash, 0));
        }
        let tier = *self.api_keys.get(&hash)?;
        Some((hash, tier))
    }

    fn address(&self, headers: &HeaderMap, peer: Option<&ConnectInfo<SocketAddr>>) -> String {
        let forwarded = self
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

    /// The name of the client's tier.
    pub fn tier_name(&self, client: &Client) -> &str {
        &self.tiers[client.tier].name
    }

    /// The shared bucket's verdict, or `None` when Redis cannot answer.
    async fn check_shared(
        &self,
        client: &Client,
        buckets: &Buckets,
    ) -> Option<Result<(), Duration>> {
        let (redis, script) = self.shared.as_ref()?;
        let mut connection = redis.connection().await?;
        let tier = &self.tiers[client.tier].name;
        let wait = script
            .key(format!("commerce-router:rate:{tier}:{}", client.key))
            .arg(buckets.interval_us)
            .arg(buckets.tolerance_us)
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

    /// `Err(wait)` when the client is over its tier's limit.
    pub async fn check(&self, client: &Client) -> Result<(), Duration> {
        let Some(buckets) = &self.tiers[client.tier].buckets else {
            return Ok(());
        };
        // Boxed: the Redis call's state is large, and the middleware's future (allocated
        // and moved on every request) would carry it even when Redis is not configured.
        if self.shared.is_some()
            && let Some(verdict) = self.check_shared(client, buckets).boxed().await
        {
            return verdict;
        }
        // Buckets of clients that have been idle long enough are full again: drop them now
        // and then, so the maps hold only recent clients.
        if self.checks.fetch_add(1, Ordering::Relaxed) % 4096 == 4095 {
            for tier in &self.tiers {
                if let Some(buckets) = &tier.buckets {
                    buckets.local.retain_recent();
                }
            }
        }
        buckets
            .local
            .check_key(&client.key)
            .map_err(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn limiter(config: RateLimitConfig) -> RateLimiter {
        RateLimiter::new(&config).unwrap().expect("limits on")
    }

    fn rate(requests_per_second: u32, burst: u32) -> TierRate {
        TierRate {
            requests_per_second,
            burst,
        }
    }

    /// Anonymous at 1/s; customer 10/s, staff 100/s, partner unlimited; `kind` names the
    /// tier, scope `admin` is staff, and the key `secret` is a partner's.
    fn tiered() -> RateLimiter {
        limiter(RateLimitConfig {
            requests_per_second: 1,
            key_header: Some("x-api-key".into()),
            tiers: BTreeMap::from([
                ("customer".into(), rate(10, 0)),
                ("staff".into(), rate(100, 0)),
                ("partner".into(), rate(0, 0)),
            ]),
            tier_claim: Some("kind".into()),
            scope_tiers: BTreeMap::from([
                ("read".into(), "customer".into()),
                ("admin".into(), "staff".into()),
            ]),
            api_keys: BTreeMap::from([(hex::encode(Sha256::digest("secret")), "partner".into())]),
            ..Default::default()
        })
    }

    fn token(claims: serde_json::Value, scopes: &[&str]) -> AuthContext {
        AuthContext {
            authenticated: true,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            claims: Some(Arc::new(claims)),
            ..AuthContext::default()
        }
    }

    fn who(limiter: &RateLimiter, headers: &HeaderMap, auth: Option<&AuthContext>) -> String {
        let peer = ConnectInfo(SocketAddr::from(([10, 0, 0, 9], 5555)));
        let client = limiter.client(headers, Some(&peer), auth);
        format!("{} {}", limiter.tier_name(&client), client.key)
    }

    #[tokio::test]
    async fn allows_the_burst_then_the_rate() {
        let limiter = limiter(RateLimitConfig {
            requests_per_second: 10,
            burst: 3,
            ..Default::default()
        });
        let client = |ip: &str| Client {
            tier: 0,
            key: format!("ip:{ip}"),
        };
        for _ in 0..3 {
            assert!(limiter.check(&client("1")).await.is_ok());
        }
        let wait = limiter.check(&client("1")).await.unwrap_err();
        assert!(
            wait > Duration::ZERO && wait <= Duration::from_millis(100),
            "{wait:?}"
        );
        assert!(
            limiter.check(&client("2")).await.is_ok(),
            "clients are apart"
        );
        tokio::time::sleep(wait).await;
        assert!(limiter.check(&client("1")).await.is_ok());
    }

    #[tokio::test]
    async fn each_tier_has_its_own_rate_and_zero_is_unlimited() {
        let limiter = tiered();
        let anonymous = limiter.client(&HeaderMap::new(), None, None);
        let customer = token(json!({"sub": "c", "kind": "customer"}), &[]);
        let customer = limiter.client(&HeaderMap::new(), None, Some(&customer));
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "secret".parse().unwrap());
        let partner = limiter.client(&headers, None, None);
        let allowed = |client: Client| {
            let limiter = &limiter;
            async move {
                let mut allowed = 0;
                for _ in 0..50 {
                    allowed += usize::from(limiter.check(&client).await.is_ok());
                }
                allowed
            }
        };
        assert_eq!(allowed(anonymous).await, 1);
        assert_eq!(allowed(customer).await, 10);
        assert_eq!(allowed(partner).await, 50);
    }

    #[test]
    fn a_token_counts_as_its_subject_in_the_tier_its_claim_or_scopes_name() {
        let limiter = tiered();
        let none = HeaderMap::new();
        let staff = token(json!({"sub": "s", "kind": "staff"}), &[]);
        assert_eq!(who(&limiter, &none, Some(&staff)), "staff sub:s");
        let by_scope = token(json!({"sub": "a"}), &["read", "admin"]);
        assert_eq!(
            who(&limiter, &none, Some(&by_scope)),
            "staff sub:a",
            "the most generous scope wins"
        );
        let unnamed = token(json!({"sub": "u", "kind": "service"}), &["other"]);
        assert_eq!(who(&limiter, &none, Some(&unnamed)), "anonymous sub:u");
        let no_subject = token(json!({"kind": "customer"}), &[]);
        assert_eq!(
            who(&limiter, &none, Some(&no_subject)),
            "customer ip:10.0.0.9"
        );
        let mut keyed = HeaderMap::new();
        keyed.insert("x-api-key", "secret".parse().unwrap());
        assert_eq!(
            who(&limiter, &keyed, Some(&staff)),
            "staff sub:s",
            "the token's subject before the API key"
        );
    }

    #[test]
    fn an_api_key_counts_as_its_hash_and_an_unlisted_one_as_the_address() {
        let limiter = tiered();
        let mut headers = HeaderMap::new();
        headers.insert("x-api-key", "secret".parse().unwrap());
        let hash = hex::encode(Sha256::digest("secret"));
        assert_eq!(who(&limiter, &headers, None), format!("partner key:{hash}"));
        headers.insert("x-api-key", "made-up".parse().unwrap());
        assert_eq!(who(&limiter, &headers, None), "anonymous ip:10.0.0.9");
        // A context without claims (no token) is anonymous.
        let anonymous = AuthContext::default();
        assert_eq!(
            who(&limiter, &HeaderMap::new(), Some(&anonymous)),
            "anonymous ip:10.0.0.9"
        );
    }

    #[test]
    fn without_listed_keys_every_key_is_its_own_anonymous_client() {
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
        assert_eq!(who(&by_peer, &headers, None), "anonymous ip:10.0.0.9");
        let forwarded = limiter(RateLimitConfig {
            requests_per_second: 1,
            trust_forwarded_for: true,
            ..Default::default()
        });
        assert_eq!(who(&forwarded, &headers, None), "anonymous ip:198.51.100.2");
        let keyed = limiter(RateLimitConfig {
            requests_per_second: 1,
            key_header: Some("x-api-key".into()),
            ..Default::default()
        });
        let hash = hex::encode(Sha256::digest("abc"));
        assert_eq!(who(&keyed, &headers, None), format!("anonymous key:{hash}"));
        let client = keyed.client(&HeaderMap::new(), None, None);
        assert_eq!(client.key, "ip:unknown");
    }

    #[test]
    fn refuses_tiers_that_do_not_add_up() {
        let refused = |config: RateLimitConfig| {
            RateLimiter::new(&RateLimitConfig {
                requests_per_second: 1,
                ..config
            })
            .err()
            .expect("refused")
            .to_string()
        };
        let message = refused(RateLimitConfig {
            scope_tiers: BTreeMap::from([("admin".into(), "staff".into())]),
            ..Default::default()
        });
        assert!(message.contains("names tier \"staff\""), "{message}");
        let message = refused(RateLimitConfig {
            key_header: Some("x-api-key".into()),
            api_keys: BTreeMap::from([("secret".into(), "anonymous".into())]),
            ..Default::default()
        });
        assert!(message.contains("not a SHA-256"), "{message}");
        let message = refused(RateLimitConfig {
            api_keys: BTreeMap::from([("ab".repeat(32), "anonymous".into())]),
            ..Default::default()
        });
        assert!(message.contains("needs rate_limit.key_header"), "{message}");
        let message = refused(RateLimitConfig {
            tiers: BTreeMap::from([("anonymous".into(), rate(5, 0))]),
            ..Default::default()
        });
        assert!(message.contains("tiers.anonymous"), "{message}");
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
