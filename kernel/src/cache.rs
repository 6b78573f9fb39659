//! A read-through cache for hot reads: in-process (moka) by default, Redis when `redis_url` is
//! set so that many instances share entries and invalidations. Values are bytes; the typed
//! helpers store JSON. A cache failure never fails a request: it is logged and treated as a miss.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use redis::AsyncCommands;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::Config;

#[async_trait]
pub trait Cache: Send + Sync {
    async fn get(&self, key: &str) -> Option<Vec<u8>>;
    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration);
    async fn delete(&self, keys: &[String]);
}

pub type SharedCache = Arc<dyn Cache>;

/// Builds the cache the configuration asks for.
pub async fn from_config(config: &Config, namespace: &str) -> anyhow::Result<SharedCache> {
    Ok(match &config.redis_url {
        Some(url) => Arc::new(RedisCache::connect(url, namespace).await?),
        None => Arc::new(MemoryCache::new(100_000)),
    })
}

/// Reads a JSON value, or computes, stores and returns it on a miss.
pub async fn get_or_load<T, E, F, Fut>(
    cache: &dyn Cache,
    key: &str,
    ttl: Duration,
    load: F,
) -> Result<T, E>
where
    T: Serialize + DeserializeOwned,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    if let Some(bytes) = cache.get(key).await {
        match serde_json::from_slice(&bytes) {
            Ok(value) => return Ok(value),
            Err(error) => tracing::warn!(%key, %error, "dropping an unreadable cache entry"),
        }
    }
    let value = load().await?;
    match serde_json::to_vec(&value) {
        Ok(bytes) => cache.set(key, bytes, ttl).await,
        Err(error) => tracing::warn!(%key, %error, "value not cacheable"),
    }
    Ok(value)
}

/// In-process cache with a per-entry time to live.
pub struct MemoryCache {
    entries: moka::future::Cache<String, (Arc<[u8]>, Duration)>,
}

struct PerEntryTtl;

impl moka::Expiry<String, (Arc<[u8]>, Duration)> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &(Arc<[u8]>, Duration),
        _now: std::time::Instant,
    ) -> Option<Duration> {
        Some(value.1)
    }
}

impl MemoryCache {
    pub fn new(max_entries: u64) -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .max_capacity(max_entries)
                .expire_after(PerEntryTtl)
                .build(),
        }
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.entries.get(key).await.map(|(bytes, _)| bytes.to_vec())
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        self.entries
            .insert(key.to_owned(), (value.into(), ttl))
            .await;
    }

    async fn delete(&self, keys: &[String]) {
        for key in keys {
            self.entries.invalidate(key).await;
        }
    }
}

/// Redis-backed cache; keys are prefixed with the namespace (usually the domain).
pub struct RedisCache {
    connection: redis::aio::ConnectionManager,
    prefix: String,
}

impl RedisCache {
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let client = redis::Client::open(url).context("parsing redis_url")?;
        let connection = redis::aio::ConnectionManager::new(client)
            .await
            .context("connecting to Redis")?;
        Ok(Self {
            connection,
            prefix: format!("{namespace}:"),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait]
impl Cache for RedisCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let mut connection = self.connection.clone();
        match connection.get::<_, Option<Vec<u8>>>(self.key(key)).await {
            Ok(value) => value,
            Err(error) => {
                tracing::warn!(%key, %error, "redis get failed; treating as a miss");
                None
            }
        }
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        let mut connection = self.connection.clone();
        let seconds = ttl.as_secs().max(1);
        if let Err(error) = connection
            .set_ex::<_, _, ()>(self.key(key), value, seconds)
            .await
        {
            tracing::warn!(%key, %error, "redis set failed");
        }
    }

    async fn delete(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        let mut connection = self.connection.clone();
        let keys: Vec<String> = keys.iter().map(|key| self.key(key)).collect();
        if let Err(error) = connection.del::<_, ()>(keys).await {
            tracing::warn!(%error, "redis delete failed; entries expire by their TTL");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_cache_loads_once_and_invalidates() {
        let cache = MemoryCache::new(10);
        let calls = std::sync::atomic::AtomicU32::new(0);
        for _ in 0..3 {
            let value: Result<String, ()> =
                get_or_load(&cache, "k", Duration::from_secs(60), || {
                    calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async { Ok("v".to_owned()) }
                })
                .await;
            assert_eq!(value, Ok("v".to_owned()));
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        cache.delete(&["k".to_owned()]).await;
        assert_eq!(cache.get("k").await, None);
    }
}
