//! A read-through cache for hot reads: in-process (moka) by default, Redis when `redis_url` is
//! set so that many instances share entries and invalidations. Values are bytes; the typed
//! helpers store JSON. A cache failure never fails a request: it is logged and treated as a miss.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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

    /// Several entries at once, in the order of `keys` (one round trip on Redis).
    async fn get_many(&self, keys: &[String]) -> Vec<Option<Vec<u8>>> {
        let mut values = Vec::with_capacity(keys.len());
        for key in keys {
            values.push(self.get(key).await);
        }
        values
    }
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

/// A domain's read-through cache of hot entities, exact on the instance that writes and fresh
/// on every other within the event delay: a write evicts its keys right after its commit
/// ([`ReadThrough::evict`]), and each instance's cache consumer evicts what every instance's
/// events name. A load that began before a commit may store its old value after the eviction;
/// `generation`, moved by every eviction before it deletes, catches that: a store whose load
/// saw the generation move deletes its entry again.
#[derive(Clone)]
pub struct ReadThrough {
    cache: SharedCache,
    generation: Arc<AtomicU64>,
}

impl ReadThrough {
    pub fn new(cache: SharedCache) -> Self {
        Self {
            cache,
            generation: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moved on by every eviction of this instance.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// One JSON value by key, loaded and stored on a miss.
    pub async fn get_or_load<T, E, F, Fut>(&self, key: &str, ttl: Duration, load: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        if let Some(value) = self.cache.get(key).await.and_then(|b| decode(key, &b)) {
            return Ok(value);
        }
        let generation = self.generation();
        let value = load().await?;
        self.store(&[(key.to_owned(), encode(key, &value))], ttl, generation)
            .await;
        Ok(value)
    }

    /// Many values: hits from the cache in one round trip, the misses loaded with one call
    /// of `load` (given the missing ids) and stored. Ids `load` leaves out are not cached and
    /// are missing from the answer. A cached value `fresh` refuses (one that knows it went
    /// stale at a time, say) counts as a miss.
    pub async fn get_many_or_load<K, T, E, F, Fut>(
        &self,
        ids: &[K],
        key_of: impl Fn(&K) -> String,
        ttl: Duration,
        fresh: impl Fn(&T) -> bool,
        load: F,
    ) -> Result<HashMap<K, T>, E>
    where
        K: Eq + Hash + Clone,
        T: Serialize + DeserializeOwned,
        F: FnOnce(Vec<K>) -> Fut,
        Fut: Future<Output = Result<HashMap<K, T>, E>>,
    {
        let keys: Vec<String> = ids.iter().map(&key_of).collect();
        let cached = self.cache.get_many(&keys).await;
        let mut found = HashMap::with_capacity(ids.len());
        let mut misses = Vec::new();
        for ((id, key), bytes) in ids.iter().zip(&keys).zip(cached) {
            match bytes
                .and_then(|bytes| decode::<T>(key, &bytes))
                .filter(|value| fresh(value))
            {
                Some(value) => {
                    found.insert(id.clone(), value);
                }
                None => misses.push(id.clone()),
            }
        }
        if misses.is_empty() {
            return Ok(found);
        }
        let generation = self.generation();
        let loaded = load(misses).await?;
        let entries: Vec<(String, Option<Vec<u8>>)> = loaded
            .iter()
            .map(|(id, value)| {
                let key = key_of(id);
                let bytes = encode(&key, value);
                (key, bytes)
            })
            .collect();
        self.store(&entries, ttl, generation).await;
        found.extend(loaded);
        Ok(found)
    }

    /// Forgets `keys` on this instance (and, on Redis, for every instance): call after the
    /// commit that made them stale, and from the cache consumer for every instance's events.
    pub async fn evict(&self, keys: &[String]) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        for chunk in keys.chunks(1000) {
            self.cache.delete(chunk).await;
        }
    }

    async fn store(&self, entries: &[(String, Option<Vec<u8>>)], ttl: Duration, generation: u64) {
        let mut stored = Vec::with_capacity(entries.len());
        for (key, bytes) in entries {
            if let Some(bytes) = bytes {
                self.cache.set(key, bytes.clone(), ttl).await;
                stored.push(key.clone());
            }
        }
        if self.generation() != generation {
            self.cache.delete(&stored).await;
        }
    }
}

fn decode<T: DeserializeOwned>(key: &str, bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes)
        .inspect_err(|error| tracing::warn!(%key, %error, "dropping an unreadable cache entry"))
        .ok()
}

fn encode<T: Serialize>(key: &str, value: &T) -> Option<Vec<u8>> {
    serde_json::to_vec(value)
        .inspect_err(|error| tracing::warn!(%key, %error, "value not cacheable"))
        .ok()
}

/// A cache that keeps nothing: every read misses (`read_cache = false`).
pub struct NoCache;

#[async_trait]
impl Cache for NoCache {
    async fn get(&self, _key: &str) -> Option<Vec<u8>> {
        None
    }

    async fn set(&self, _key: &str, _value: Vec<u8>, _ttl: Duration) {}

    async fn delete(&self, _keys: &[String]) {}
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

    async fn get_many(&self, keys: &[String]) -> Vec<Option<Vec<u8>>> {
        if keys.is_empty() {
            return Vec::new();
        }
        let mut connection = self.connection.clone();
        let prefixed: Vec<String> = keys.iter().map(|key| self.key(key)).collect();
        // MGET of one key answers a bare value, not a list: ask for a list explicitly.
        let mut command = redis::cmd("MGET");
        command.arg(&prefixed);
        match command
            .query_async::<Vec<Option<Vec<u8>>>>(&mut connection)
            .await
        {
            Ok(values) if values.len() == keys.len() => values,
            Ok(_) => vec![None; keys.len()],
            Err(error) => {
                tracing::warn!(%error, "redis mget failed; treating as misses");
                vec![None; keys.len()]
            }
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

    #[tokio::test]
    async fn read_through_loads_only_misses_and_forgets_on_eviction() {
        let cache = ReadThrough::new(Arc::new(MemoryCache::new(10)));
        let key = |id: &i64| format!("n:{id}");
        let load = |ids: Vec<i64>| async move {
            Ok::<_, ()>(ids.into_iter().map(|id| (id, id * 10)).collect())
        };
        let first = cache
            .get_many_or_load(&[1, 2], key, Duration::from_secs(60), |_| true, load)
            .await;
        assert_eq!(first, Ok(HashMap::from([(1, 10), (2, 20)])));
        let asked = std::sync::Mutex::new(Vec::new());
        let second = cache
            .get_many_or_load(
                &[1, 2, 3],
                key,
                Duration::from_secs(60),
                |_| true,
                |ids| {
                    asked.lock().expect("not poisoned").extend(ids.clone());
                    load(ids)
                },
            )
            .await;
        assert_eq!(second, Ok(HashMap::from([(1, 10), (2, 20), (3, 30)])));
        assert_eq!(*asked.lock().expect("not poisoned"), vec![3]);
        cache.evict(&[key(&1)]).await;
        let value: Result<i64, ()> = cache
            .get_or_load(&key(&1), Duration::from_secs(60), || async { Ok(11) })
            .await;
        assert_eq!(value, Ok(11), "evicted entries are loaded again");
    }

    #[tokio::test]
    async fn a_load_overtaken_by_an_eviction_is_not_kept() {
        let cache = ReadThrough::new(Arc::new(MemoryCache::new(10)));
        let stale: Result<i64, ()> = cache
            .get_or_load("k", Duration::from_secs(60), || async {
                // A write commits and evicts while this load still holds the old value.
                cache.evict(&["k".to_owned()]).await;
                Ok(1)
            })
            .await;
        assert_eq!(stale, Ok(1));
        let fresh: Result<i64, ()> = cache
            .get_or_load("k", Duration::from_secs(60), || async { Ok(2) })
            .await;
        assert_eq!(fresh, Ok(2), "the overtaken value was dropped");
    }
}
