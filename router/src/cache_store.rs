//! The storage the response cache and the entity cache share: entries by a 128-bit key, each
//! with its time-to-live and tags, in this process (moka, bounded by bytes) or in Redis,
//! shared by every instance. Invalidation by tag drops entries of both caches at once, here
//! and in Redis, and goes out on the Redis channel so that every instance drops what a
//! message names, whoever published it.
//!
//! Tags are `e:Type:field=value` (an entity, by one of its flat `@key`s) and `t:Type` (every
//! object of a type). Each invalidation bumps a generation: a fill that started before it
//! is not stored (it may have read what the invalidation is about).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use commerce_redis_link::LazyRedis;
use futures::StreamExt;

use crate::REDIS_TIMEOUT;
use crate::config::ResponseCacheConfig;
use crate::response_cache::Invalidation;
use crate::telemetry::Metrics;

struct Entry {
    body: Bytes,
    tags: Box<[String]>,
    ttl: Duration,
}

/// One entry to store: its key, body, tags and time-to-live.
pub struct Fill {
    pub key: u128,
    pub body: Bytes,
    pub tags: Box<[String]>,
    pub ttl: Duration,
}

pub struct CacheStore {
    local: moka::sync::Cache<u128, Arc<Entry>>,
    redis: Option<Redis>,
    redis_prefix: String,
    channel: String,
    /// How long Redis keeps a tag set (no entry lives longer).
    max_ttl_secs: u64,
    /// Bumped by every invalidation this instance applies or hears of.
    generation: AtomicU64,
    metrics: Arc<Metrics>,
}

struct Redis {
    shared: LazyRedis,
    client: redis::Client,
    invalidate: redis::Script,
}

/// Drops every entry of the given tag sets (KEYS) and the sets; returns how many entries.
const INVALIDATE: &str = r"
local dropped = 0
for _, tag in ipairs(KEYS) do
  local members = redis.call('SMEMBERS', tag)
  for _, member in ipairs(members) do
    dropped = dropped + redis.call('DEL', member)
  end
  redis.call('DEL', tag)
end
return dropped
";

impl CacheStore {
    /// Where `config` says: in Redis with `redis_url`, else in this process.
    pub fn new(config: &ResponseCacheConfig, metrics: Arc<Metrics>) -> anyhow::Result<Self> {
        let local = moka::sync::Cache::builder()
            .weigher(|_, entry: &Arc<Entry>| {
                let tags: usize = entry.tags.iter().map(|t| t.len() + 24).sum();
                u32::try_from(entry.body.len() + tags + 64).unwrap_or(u32::MAX)
            })
            .max_capacity(config.max_bytes)
            .expire_after(PerEntryTtl)
            .support_invalidation_closures()
            .build();
        let redis = match &config.redis_url {
            Some(url) => Some(Redis {
                shared: LazyRedis::open(url, "router cache", REDIS_TIMEOUT, 0)?,
                client: redis::Client::open(url.as_str())?,
                invalidate: redis::Script::new(INVALIDATE),
            }),
            None => None,
        };
        Ok(Self {
            local,
            redis,
            redis_prefix: config.redis_prefix.clone(),
            channel: config.invalidation_channel.clone(),
            max_ttl_secs: config.max_ttl_secs,
            generation: AtomicU64::new(0),
            metrics,
        })
    }

    /// The generation a fill starts at (see [`CacheStore::put`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub async fn get(&self, key: u128) -> Option<Bytes> {
        self.get_many(&[key]).await.pop().flatten()
    }

    /// Every key's entry, in order, in one round trip (`MGET` in Redis).
    pub async fn get_many(&self, keys: &[u128]) -> Vec<Option<Bytes>> {
        let Some(redis) = &self.redis else {
            return keys
                .iter()
                .map(|key| self.local.get(key).map(|entry| entry.body.clone()))
                .collect();
        };
        let missed = || vec![None; keys.len()];
        let Some(mut connection) = redis.shared.connection().await else {
            return missed();
        };
        let mut command = redis::cmd("MGET");
        for key in keys {
            command.arg(self.entry_key(*key));
        }
        match command
            .query_async::<Vec<Option<Vec<u8>>>>(&mut connection)
            .await
        {
            Ok(found) if found.len() == keys.len() => {
                found.into_iter().map(|f| f.map(Bytes::from)).collect()
            }
            Ok(_) => missed(),
            Err(error) => {
                tracing::debug!(%error, "router cache: reading from Redis failed");
                missed()
            }
        }
    }

    /// Keeps entries (one pipeline in Redis), unless an invalidation happened since
    /// `generation`.
    pub async fn put(&self, fills: Vec<Fill>, generation: u64) {
        if fills.is_empty() || self.generation() != generation {
            return;
        }
        let Some(redis) = &self.redis else {
            for fill in fills {
                let entry = Entry {
                    body: fill.body,
                    tags: fill.tags,
                    ttl: fill.ttl,
                };
                self.local.insert(fill.key, Arc::new(entry));
            }
            return;
        };
        let Some(mut connection) = redis.shared.connection().await else {
            return;
        };
        let mut pipe = redis::pipe();
        for fill in &fills {
            let entry_key = self.entry_key(fill.key);
            pipe.cmd("SET")
                .arg(&entry_key)
                .arg(fill.body.as_ref())
                .arg("EX")
                .arg(fill.ttl.as_secs())
                .ignore();
            for tag in fill.tags.iter() {
                let tag_key = format!("{}t:{tag}", self.redis_prefix);
                pipe.cmd("SADD").arg(&tag_key).arg(&entry_key).ignore();
                pipe.cmd("EXPIRE")
                    .arg(&tag_key)
                    .arg(self.max_ttl_secs)
                    .ignore();
            }
        }
        if let Err(error) = pipe.query_async::<()>(&mut connection).await {
            tracing::debug!(%error, "router cache: storing in Redis failed");
        }
    }

    fn entry_key(&self, key: u128) -> String {
        format!("{}e:{key:032x}", self.redis_prefix)
    }

    /// Drops every entry tagged with one of `tags` here (and in Redis), and tells every other
    /// instance through the channel. Returns how many Redis entries were dropped (0 in
    /// process: moka drops them lazily).
    pub async fn invalidate(&self, tags: &[String], source: &str) -> u64 {
        if tags.is_empty() {
            return 0;
        }
        self.metrics.invalidated(source, tags.len());
        let dropped = self.invalidate_here(tags).await;
        if let Some(redis) = &self.redis
            && let Some(mut connection) = redis.shared.connection().await
        {
            let message = serde_json::to_string(tags).unwrap_or_default();
            let published: redis::RedisResult<()> = redis::cmd("PUBLISH")
                .arg(&self.channel)
                .arg(format!("tags:{message}"))
                .query_async(&mut connection)
                .await;
            if let Err(error) = published {
                tracing::warn!(%error, "router cache: publishing an invalidation failed");
            }
        }
        dropped
    }

    async fn invalidate_here(&self, tags: &[String]) -> u64 {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let set: HashSet<String> = tags.iter().cloned().collect();
        let _ = self
            .local
            .invalidate_entries_if(move |_, entry| entry.tags.iter().any(|t| set.contains(t)));
        let Some(redis) = &self.redis else {
            return 0;
        };
        let Some(mut connection) = redis.shared.connection().await else {
            return 0;
        };
        let mut invocation = redis.invalidate.prepare_invoke();
        for tag in tags {
            invocation.key(format!("{}t:{tag}", self.redis_prefix));
        }
        match invocation.invoke_async::<u64>(&mut connection).await {
            Ok(dropped) => dropped,
            Err(error) => {
                tracing::warn!(%error, "router cache: invalidating in Redis failed");
                0
            }
        }
    }

    /// Listens on the invalidation channel until the store is dropped, reconnecting after
    /// failures. A message is either the JSON array `POST /invalidation` takes, or `tags:`
    /// and a JSON array of tags (what instances publish to each other).
    pub fn listen(self: &Arc<Self>) {
        let Some(redis) = &self.redis else { return };
        let client = redis.client.clone();
        let channel = self.channel.clone();
        let store = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(&channel).await.is_ok() {
                            let mut messages = pubsub.on_message();
                            while let Some(message) = messages.next().await {
                                let Some(store) = store.upgrade() else { return };
                                let Ok(payload) = message.get_payload::<String>() else {
                                    continue;
                                };
                                let tags = match payload.strip_prefix("tags:") {
                                    Some(tags) => serde_json::from_str::<Vec<String>>(tags)
                                        .unwrap_or_default(),
                                    None => serde_json::from_str::<Vec<Invalidation>>(&payload)
                                        .map(|entries| crate::response_cache::tags(&entries))
                                        .unwrap_or_default(),
                                };
                                store.metrics.invalidated("channel", tags.len());
                                store.invalidate_here(&tags).await;
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "router cache: invalidation channel unreachable");
                    }
                }
                if store.strong_count() == 0 {
                    return;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// Each entry lives for the time-to-live it was stored with.
struct PerEntryTtl;

impl moka::Expiry<u128, Arc<Entry>> for PerEntryTtl {
    fn expire_after_create(
        &self,
        _key: &u128,
        entry: &Arc<Entry>,
        _created_at: std::time::Instant,
    ) -> Option<Duration> {
        Some(entry.ttl)
    }
}
