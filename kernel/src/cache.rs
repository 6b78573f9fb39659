//! A read-through cache for hot reads: in-process (moka) by default, Redis when `redis_url` is
//! set so that many instances share entries and invalidations. Redis holds JSON; the in-process
//! cache holds values as they are (a hit is a clone, not a parse). A cache failure never fails
//! a request: it is logged and treated as a miss.

use std::any::Any;
use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use redis::AsyncCommands;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::config::Config;
use crate::telemetry::metrics::metrics;
use commerce_redis_link::LazyRedis;

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

    /// The in-process cache behind this one, which keeps values unencoded.
    fn local(&self) -> Option<&MemoryCache> {
        None
    }

    /// Whether it keeps anything: values for one that does not are neither encoded nor stored.
    fn keeps(&self) -> bool {
        true
    }
}

pub type SharedCache = Arc<dyn Cache>;

/// What a cache can hold: JSON in Redis, the value itself in process.
pub trait Cacheable: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> Cacheable for T {}

/// Builds the cache the configuration asks for: in Redis under `<events_namespace>:<domain>`
/// (shops sharing a Redis keep apart, as their events do), else in process.
pub async fn from_config(config: &Config, domain: &str) -> anyhow::Result<SharedCache> {
    Ok(match &config.redis_url {
        Some(url) => {
            let namespace = format!("{}:{domain}", config.events_namespace);
            Arc::new(RedisCache::connect(url, &namespace).await?)
        }
        None => Arc::new(MemoryCache::new(100_000)),
    })
}

async fn read<T: Cacheable>(cache: &dyn Cache, key: &str) -> Option<T> {
    match cache.local() {
        Some(local) => local.get_value(key).await,
        None => decode(key, &cache.get(key).await?),
    }
}

async fn read_many<T: Cacheable>(cache: &dyn Cache, keys: &[String]) -> Vec<Option<T>> {
    match cache.local() {
        Some(local) => {
            let mut values = Vec::with_capacity(keys.len());
            for key in keys {
                values.push(local.get_value(key).await);
            }
            values
        }
        None => {
            let found = cache.get_many(keys).await;
            keys.iter()
                .zip(found)
                .map(|(key, bytes)| decode(key, &bytes?))
                .collect()
        }
    }
}

/// Stores `value`; false when it could not be (not encodable, or a cache that keeps
/// nothing), so nothing was stored.
async fn write<T: Cacheable>(cache: &dyn Cache, key: &str, value: &T, ttl: Duration) -> bool {
    if !cache.keeps() {
        return false;
    }
    match cache.local() {
        Some(local) => local.set_value(key, value.clone(), ttl).await,
        None => match encode(key, value) {
            Some(bytes) => cache.set(key, bytes, ttl).await,
            None => return false,
        },
    }
    true
}

/// The keys being loaded on this instance, each with a lock its loader holds: concurrent misses
/// of one key wait for the first one's load and read what it stored, instead of each running
/// the load. Without it, a hot entry that expired under load (a listing's count: a scan of the
/// whole filter) was loaded once per request in flight, 49 times at once in one measurement.
#[derive(Default)]
pub struct Loading(Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>);

impl Loading {
    /// Waits for each key's load in flight, if any, and holds the keys until the lease drops
    /// (a cancelled load lets go too). Keys are taken in sorted order, so two batches sharing
    /// keys never wait on each other in a cycle.
    async fn hold(&self, keys: &[String]) -> Lease<'_> {
        let mut keys: Vec<&String> = keys.iter().collect();
        keys.sort_unstable();
        keys.dedup();
        let mut lease = Lease {
            loading: self,
            held: Vec::with_capacity(keys.len()),
        };
        for key in keys {
            let slot = {
                let mut slots = self.0.lock().expect("loading lock poisoned");
                slots.entry(key.clone()).or_default().clone()
            };
            lease.held.push((key.clone(), slot.lock_owned().await));
        }
        lease
    }
}

/// Keys held by one loader (see [`Loading::hold`]).
struct Lease<'a> {
    loading: &'a Loading,
    held: Vec<(String, tokio::sync::OwnedMutexGuard<()>)>,
}

impl Drop for Lease<'_> {
    /// Lets each key go, and forgets its slot once no one else waits on it (counted under the
    /// map's lock, where every waiter got its handle: the map's and this one are left).
    fn drop(&mut self) {
        let mut slots = self.loading.0.lock().expect("loading lock poisoned");
        for (key, guard) in self.held.drain(..) {
            let slot = Arc::clone(tokio::sync::OwnedMutexGuard::mutex(&guard));
            drop(guard);
            if Arc::strong_count(&slot) == 2 {
                slots.remove(&key);
            }
        }
    }
}

/// Reads a value, or loads, stores and returns it on a miss, one load per key at a time on
/// this instance (see [`Loading`]). `generation` is moved by every eviction before it deletes:
/// if it moved while the load ran, the load may have read what the eviction's change replaced,
/// so the entry just stored is deleted again.
pub async fn get_or_load<T, E, F, Fut>(
    cache: &dyn Cache,
    generation: &AtomicU64,
    loading: &Loading,
    key: &str,
    ttl: Duration,
    load: F,
) -> Result<T, E>
where
    T: Cacheable,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    if let Some(value) = read(cache, key).await {
        metrics().read_cache(1, 0);
        return Ok(value);
    }
    if !cache.keeps() {
        // Nothing a first load stores could serve the others.
        metrics().read_cache(0, 1);
        return load().await;
    }
    let _lease = loading.hold(&[key.to_owned()]).await;
    if let Some(value) = read(cache, key).await {
        metrics().read_cache(1, 0);
        return Ok(value);
    }
    metrics().read_cache(0, 1);
    let started = generation.load(Ordering::SeqCst);
    let value = load().await;
    if let Ok(value) = &value
        && write(cache, key, value, ttl).await
        && generation.load(Ordering::SeqCst) != started
    {
        cache.delete(&[key.to_owned()]).await;
    }
    value
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
    loading: Arc<Loading>,
}

impl ReadThrough {
    pub fn new(cache: SharedCache) -> Self {
        Self::with_generation(cache, Arc::new(AtomicU64::new(0)))
    }

    /// One of several read-through caches whose evictions share one generation (entries of one
    /// may be computed from another's data).
    pub fn with_generation(cache: SharedCache, generation: Arc<AtomicU64>) -> Self {
        Self {
            cache,
            generation,
            loading: Arc::default(),
        }
    }

    /// Moved on by every eviction of this instance.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::SeqCst)
    }

    /// One value by key, loaded and stored on a miss.
    pub async fn get_or_load<T, E, F, Fut>(&self, key: &str, ttl: Duration, load: F) -> Result<T, E>
    where
        T: Cacheable,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let (cache, generation) = (self.cache.as_ref(), &self.generation);
        get_or_load(cache, generation, &self.loading, key, ttl, load).await
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
        T: Cacheable,
        F: FnOnce(Vec<K>) -> Fut,
        Fut: Future<Output = Result<HashMap<K, T>, E>>,
    {
        let mut found = HashMap::with_capacity(ids.len());
        let mut misses = self.read_many_into(ids, &key_of, &fresh, &mut found).await;
        if misses.is_empty() {
            metrics().read_cache(found.len(), 0);
            return Ok(found);
        }
        // As in `get_or_load`: a miss another request is loading waits for that load and
        // reads what it stored.
        let _lease = if self.cache.keeps() {
            let keys: Vec<String> = misses.iter().map(&key_of).collect();
            let lease = self.loading.hold(&keys).await;
            misses = self
                .read_many_into(&misses, &key_of, &fresh, &mut found)
                .await;
            Some(lease)
        } else {
            None
        };
        metrics().read_cache(found.len(), misses.len());
        if misses.is_empty() {
            return Ok(found);
        }
        let generation = self.generation();
        let loaded = load(misses).await?;
        let mut stored = Vec::with_capacity(loaded.len());
        for (id, value) in &loaded {
            let key = key_of(id);
            if write(self.cache.as_ref(), &key, value, ttl).await {
                stored.push(key);
            }
        }
        if self.generation() != generation {
            self.cache.delete(&stored).await;
        }
        found.extend(loaded);
        Ok(found)
    }

    /// The cached values of `ids` that `fresh` accepts, into `found`; the other ids returned.
    async fn read_many_into<K, T>(
        &self,
        ids: &[K],
        key_of: impl Fn(&K) -> String,
        fresh: impl Fn(&T) -> bool,
        found: &mut HashMap<K, T>,
    ) -> Vec<K>
    where
        K: Eq + Hash + Clone,
        T: Cacheable,
    {
        let keys: Vec<String> = ids.iter().map(&key_of).collect();
        let cached = read_many::<T>(self.cache.as_ref(), &keys).await;
        let mut misses = Vec::new();
        for (id, value) in ids.iter().zip(cached) {
            match value.filter(|value| fresh(value)) {
                Some(value) => {
                    found.insert(id.clone(), value);
                }
                None => misses.push(id.clone()),
            }
        }
        misses
    }

    /// Forgets `keys` on this instance (and, on Redis, for every instance): call after the
    /// commit that made them stale, and from the cache consumer for every instance's events.
    /// The generation moves before the deletes (loads in flight keep nothing) and again after
    /// them (nothing keyed by the generation, such as a subgraph's response cache, keeps what
    /// was read from the entries while they were being deleted).
    pub async fn evict(&self, keys: &[String]) {
        self.generation.fetch_add(1, Ordering::SeqCst);
        for chunk in keys.chunks(1000) {
            self.cache.delete(chunk).await;
        }
        self.generation.fetch_add(1, Ordering::SeqCst);
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

    fn keeps(&self) -> bool {
        false
    }
}

type Entry = (Arc<dyn Any + Send + Sync>, Duration);

/// In-process cache with a per-entry time to live. Entries are values of any type: bytes
/// through [`Cache`], typed values through the module's typed reads and writes.
pub struct MemoryCache {
    entries: moka::future::Cache<String, Entry>,
}

struct PerEntryTtl;

impl moka::Expiry<String, Entry> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &String,
        value: &Entry,
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

    /// A clone of the entry at `key` when it holds a `T`.
    pub async fn get_value<T: Clone + 'static>(&self, key: &str) -> Option<T> {
        let (value, _) = self.entries.get(key).await?;
        value.downcast_ref::<T>().cloned()
    }

    pub async fn set_value<T: Send + Sync + 'static>(&self, key: &str, value: T, ttl: Duration) {
        self.entries
            .insert(key.to_owned(), (Arc::new(value), ttl))
            .await;
    }
}

#[async_trait]
impl Cache for MemoryCache {
    async fn get(&self, key: &str) -> Option<Vec<u8>> {
        self.get_value(key).await
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        self.set_value(key, value, ttl).await;
    }

    async fn delete(&self, keys: &[String]) {
        for key in keys {
            self.entries.invalidate(key).await;
        }
    }

    fn local(&self) -> Option<&MemoryCache> {
        Some(self)
    }
}

/// Redis-backed cache; keys are prefixed with the namespace (usually the domain). Connected on
/// first use: while Redis is unreachable every read misses and writes are skipped.
pub struct RedisCache {
    redis: LazyRedis,
    prefix: String,
}

/// How long a cache call may take before the request goes on without it.
const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

impl RedisCache {
    /// Fails only on an invalid URL; Redis itself is reached when first used.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        Ok(Self {
            redis: LazyRedis::open(url, "cache", REDIS_TIMEOUT, 1)?,
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
        let mut connection = self.redis.connection().await?;
        match connection.get::<_, Option<Vec<u8>>>(self.key(key)).await {
            Ok(value) => value,
            Err(error) => {
                tracing::warn!(%key, %error, "redis get failed; treating as a miss");
                None
            }
        }
    }

    async fn set(&self, key: &str, value: Vec<u8>, ttl: Duration) {
        let Some(mut connection) = self.redis.connection().await else {
            return;
        };
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
        let Some(mut connection) = self.redis.connection().await else {
            return vec![None; keys.len()];
        };
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

    /// Entries that Redis, being down, did not delete stay until their TTL: the time to live
    /// bounds how stale a cache can be after an outage.
    async fn delete(&self, keys: &[String]) {
        if keys.is_empty() {
            return;
        }
        let Some(mut connection) = self.redis.connection().await else {
            tracing::debug!(
                count = keys.len(),
                "Redis unreachable; evicted entries expire by their TTL"
            );
            return;
        };
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
            let value: Result<String, ()> = get_or_load(
                &cache,
                &AtomicU64::new(0),
                &Loading::default(),
                "k",
                Duration::from_secs(60),
                || {
                    calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async { Ok("v".to_owned()) }
                },
            )
            .await;
            assert_eq!(value, Ok("v".to_owned()));
        }
        assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 1);
        cache.delete(&["k".to_owned()]).await;
        assert_eq!(cache.get("k").await, None);
    }

    /// Misses of one key at once run one load; the others wait for it and read what it
    /// stored. Another key loads alongside, and a later miss (the entry gone) loads again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_misses_of_one_key_run_one_load() {
        let cache = ReadThrough::new(Arc::new(MemoryCache::new(10)));
        let loads = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let read = |key: &'static str| {
            let (cache, loads) = (cache.clone(), loads.clone());
            tokio::spawn(async move {
                let load = || async {
                    loads.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    Ok::<_, ()>(format!("{key}-value"))
                };
                cache.get_or_load(key, Duration::from_secs(60), load).await
            })
        };
        let reads: Vec<_> = (0..50)
            .map(|n| read(if n % 10 == 0 { "b" } else { "a" }))
            .collect();
        for (n, read) in reads.into_iter().enumerate() {
            let expected = if n % 10 == 0 { "b-value" } else { "a-value" };
            assert_eq!(read.await.expect("joins"), Ok(expected.to_owned()));
        }
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 2);
        assert!(
            cache.loading.0.lock().expect("lock").is_empty(),
            "slots are released"
        );
        cache.evict(&["a".to_owned()]).await;
        read("a").await.expect("joins").expect("loads");
        assert_eq!(loads.load(std::sync::atomic::Ordering::SeqCst), 3);
    }

    /// Batches missing the same ids at once load each id once, whichever batch gets it first;
    /// batches overlapping in different orders do not wait on each other for ever.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_batches_missing_the_same_ids_load_each_once() {
        let cache = ReadThrough::new(Arc::new(MemoryCache::new(100)));
        let loaded = Arc::new(Mutex::new(Vec::new()));
        let read = |ids: Vec<u32>| {
            let (cache, loaded) = (cache.clone(), loaded.clone());
            tokio::spawn(async move {
                let load = |misses: Vec<u32>| async move {
                    loaded.lock().expect("lock").extend(misses.iter().copied());
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok::<_, ()>(misses.into_iter().map(|id| (id, id * 10)).collect())
                };
                let key_of = |id: &u32| format!("n:{id}");
                let ttl = Duration::from_secs(60);
                cache
                    .get_many_or_load(&ids, key_of, ttl, |_| true, load)
                    .await
            })
        };
        let batches = [vec![1, 2, 3], vec![3, 2, 4], vec![4, 1], vec![5, 3, 1]];
        let reads: Vec<_> = (0..40).map(|n| read(batches[n % 4].clone())).collect();
        for (n, read) in reads.into_iter().enumerate() {
            let values = read.await.expect("joins").expect("loads");
            for id in &batches[n % 4] {
                assert_eq!(values.get(id), Some(&(id * 10)));
            }
        }
        let mut loaded = loaded.lock().expect("lock").clone();
        loaded.sort_unstable();
        assert_eq!(loaded, [1, 2, 3, 4, 5], "each id loaded once");
        assert!(
            cache.loading.0.lock().expect("lock").is_empty(),
            "slots are released"
        );
    }

    /// Counts how often it is encoded.
    #[derive(Clone, serde::Deserialize)]
    struct Encodings(#[serde(skip)] Arc<std::sync::atomic::AtomicU32>);

    impl Serialize for Encodings {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            serializer.serialize_unit()
        }
    }

    #[tokio::test]
    async fn a_cache_that_keeps_nothing_never_encodes() {
        let count = Arc::new(std::sync::atomic::AtomicU32::new(0));
        let value = Encodings(count.clone());
        let loaded: Result<Encodings, ()> = get_or_load(
            &NoCache,
            &AtomicU64::new(0),
            &Loading::default(),
            "k",
            Duration::from_secs(60),
            || async { Ok(value) },
        )
        .await;
        assert!(loaded.is_ok());
        assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 0);
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
