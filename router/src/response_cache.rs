//! The response cache: whole answers to queries, served again without planning or fetching.
//!
//! - **Time-to-live**: the shortest of what the answer touched: each subgraph response's
//!   `Cache-Control` (`max-age`, `s-maxage`; `no-store`/`no-cache` keep it out) and the
//!   configured time of each type it holds (`response_cache.types`); `default_ttl_secs` when
//!   neither says anything. Answers with errors are never kept.
//! - **Private data**: an answer marked `private` by a subgraph, or one that selected
//!   `@authenticated`/`@requiresScopes`/`@policy` fields, is kept only for a request that
//!   carries the viewer's identity (`private_id_headers`, e.g. `Authorization`), under a key
//!   that holds it; an anonymous request for it is not cached. Every forwarded header's value
//!   is part of every key (bar `vary_ignore_headers`), so no two viewers share an answer
//!   their subgraphs could tell apart.
//! - **Tags**: each answer is tagged with the entities it holds (`Type:field=value` from the
//!   supergraph's `@key`s, found in the merged data) and the types of its objects. A
//!   mutation's answer invalidates its entities; `POST /invalidation` and the Redis channel
//!   take `[{"kind":"entity","type":"Product","key":{"id":"1"}}, {"kind":"type","type":"Product"}]`.
//! - **Where**: in this process (moka, bounded by bytes) or, with `redis_url`, in Redis,
//!   shared by every instance; each instance then listens on `invalidation_channel` and
//!   drops what a message names, whoever published it.
//! - **Fills racing invalidations**: an execution that overlapped any invalidation is not
//!   stored, so an answer read before a change cannot be kept after the change's invalidation.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use graphql_tools::parser::schema as schema_ast;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::config::ResponseCacheConfig;
use crate::json::{Object, Value as Data};
use crate::redis_link::SharedRedis;
use crate::telemetry::Metrics;

/// What a subgraph response's `Cache-Control` allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheHint {
    /// `s-maxage`, else `max-age`, in seconds; `None` when the response said neither.
    pub max_age: Option<u64>,
    pub private: bool,
    /// `no-store` or `no-cache`.
    pub no_store: bool,
}

impl CacheHint {
    pub fn from_headers(headers: &HeaderMap) -> Self {
        let mut hint = CacheHint::default();
        let mut s_maxage = None;
        for value in headers.get_all(http::header::CACHE_CONTROL) {
            let Ok(value) = value.to_str() else { continue };
            for directive in value.split(',') {
                let directive = directive.trim().to_ascii_lowercase();
                let (name, argument) = match directive.split_once('=') {
                    Some((name, argument)) => {
                        (name.trim(), Some(argument.trim().trim_matches('"')))
                    }
                    None => (directive.as_str(), None),
                };
                let seconds = argument.and_then(|a| a.parse::<u64>().ok());
                match name {
                    "max-age" => hint.max_age = seconds.or(Some(0)),
                    "s-maxage" => s_maxage = seconds.or(Some(0)),
                    "private" => hint.private = true,
                    "no-store" | "no-cache" => hint.no_store = true,
                    _ => {}
                }
            }
        }
        if s_maxage.is_some() {
            hint.max_age = s_maxage;
        }
        hint
    }
}

/// Whether an answer came from the cache (the `x-cache` response header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    Hit,
    Miss,
    /// Not cacheable: a mutation, or private data for an anonymous request.
    Bypass,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "HIT",
            CacheStatus::Miss => "MISS",
            CacheStatus::Bypass => "BYPASS",
        }
    }
}

/// The flat `@key`s of every entity type of a supergraph: type → key field sets, each sorted.
/// Nested keys (`product { id }`) are left out: no tag is made from them.
#[derive(Debug, Default, Clone)]
pub struct EntityKeys(HashMap<String, Vec<Vec<String>>>);

impl EntityKeys {
    pub fn from_supergraph(document: &schema_ast::Document<'static, String>) -> Self {
        let mut keys: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for definition in &document.definitions {
            let (name, directives) = match definition {
                schema_ast::Definition::TypeDefinition(schema_ast::TypeDefinition::Object(o)) => {
                    (&o.name, &o.directives)
                }
                schema_ast::Definition::TypeDefinition(schema_ast::TypeDefinition::Interface(
                    i,
                )) => (&i.name, &i.directives),
                _ => continue,
            };
            for directive in directives.iter().filter(|d| d.name == "join__type") {
                let Some((_, graphql_tools::parser::query::Value::String(fields))) =
                    directive.arguments.iter().find(|(name, _)| name == "key")
                else {
                    continue;
                };
                if fields.contains('{') {
                    continue;
                }
                let mut set: Vec<String> = fields.split_whitespace().map(str::to_string).collect();
                set.sort();
                let sets = keys.entry(name.clone()).or_default();
                if !set.is_empty() && !sets.contains(&set) {
                    sets.push(set);
                }
            }
        }
        EntityKeys(keys)
    }

    /// The tags of one object of type `typename`: one per key whose fields it holds.
    fn tags_of(&self, typename: &str, object: &Object<'_>, out: &mut HashSet<String>) {
        let Some(sets) = self.0.get(typename) else {
            return;
        };
        'sets: for set in sets {
            let mut tag = format!("e:{typename}:");
            for (i, field) in set.iter().enumerate() {
                let value = match object.get(field).map(Data::resolve) {
                    Some(Data::String(s)) => s.to_string(),
                    Some(Data::Number(n)) => n.to_string(),
                    Some(Data::Bool(b)) => b.to_string(),
                    _ => continue 'sets,
                };
                if i > 0 {
                    tag.push(',');
                }
                tag.push_str(field);
                tag.push('=');
                tag.push_str(&value);
            }
            out.insert(tag);
        }
    }
}

/// What an execution tells the cache about its answer.
#[derive(Debug, Default)]
pub struct Captured {
    /// The shortest `max-age` of the subgraph responses that gave one.
    pub max_age: Option<u64>,
    pub private: bool,
    pub no_store: bool,
    /// The answer holds errors (never kept).
    pub errors: bool,
    /// Entity tags (`e:Type:field=value`).
    pub entities: HashSet<String>,
    /// The object types the answer holds.
    pub types: HashSet<String>,
}

impl Captured {
    pub fn hint(&mut self, hint: CacheHint) {
        if let Some(age) = hint.max_age {
            self.max_age = Some(self.max_age.map_or(age, |m| m.min(age)));
        }
        self.private |= hint.private;
        self.no_store |= hint.no_store;
    }

    /// Records one object of the answer.
    pub fn object(&mut self, keys: &EntityKeys, typename: &str, object: &Object<'_>) {
        if !self.types.contains(typename) {
            self.types.insert(typename.to_string());
        }
        keys.tags_of(typename, object, &mut self.entities);
    }
}

/// One entry to invalidate, as `POST /invalidation` and the channel take it.
#[derive(Debug, Clone, Deserialize, serde::Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Invalidation {
    /// Every answer holding this entity (`key`: its `@key` fields' values).
    Entity {
        #[serde(rename = "type")]
        typename: String,
        key: Map<String, Value>,
    },
    /// Every answer holding an object of this type.
    Type {
        #[serde(rename = "type")]
        typename: String,
    },
}

impl Invalidation {
    /// The entity of `typename` whose one-field key `field` is `value`.
    pub fn entity(typename: &str, field: &str, value: &str) -> Self {
        let mut key = Map::new();
        key.insert(field.to_string(), Value::String(value.to_string()));
        Invalidation::Entity {
            typename: typename.to_string(),
            key,
        }
    }

    pub fn tag(&self) -> Option<String> {
        match self {
            Invalidation::Type { typename } => Some(format!("t:{typename}")),
            Invalidation::Entity { typename, key } => {
                let fields: BTreeMap<&str, &Value> =
                    key.iter().map(|(k, v)| (k.as_str(), v)).collect();
                let mut tag = format!("e:{typename}:");
                for (i, (field, value)) in fields.into_iter().enumerate() {
                    if i > 0 {
                        tag.push(',');
                    }
                    tag.push_str(field);
                    tag.push('=');
                    match value {
                        Value::String(s) => tag.push_str(s),
                        Value::Number(n) => tag.push_str(&n.to_string()),
                        Value::Bool(b) => tag.push_str(&b.to_string()),
                        _ => return None,
                    }
                }
                Some(tag)
            }
        }
    }
}

/// The tags that `entries` name; unusable entries are skipped.
pub fn tags(entries: &[Invalidation]) -> Vec<String> {
    entries.iter().filter_map(Invalidation::tag).collect()
}

struct Entry {
    body: Bytes,
    tags: Box<[String]>,
    ttl: Duration,
}

/// The key of an answer and whether the request carries the viewer's identity.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    hash: u128,
    identified: bool,
}

pub struct ResponseCache {
    config: ResponseCacheConfig,
    local: moka::sync::Cache<u128, Arc<Entry>>,
    redis: Option<Redis>,
    /// Bumped by every invalidation this instance applies or hears of.
    generation: AtomicU64,
    metrics: Arc<Metrics>,
}

struct Redis {
    shared: SharedRedis,
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

impl ResponseCache {
    /// `None` when the cache is off.
    pub fn new(
        config: &ResponseCacheConfig,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Option<Arc<Self>>> {
        if !config.enabled {
            return Ok(None);
        }
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
                shared: SharedRedis::open(url, "response cache")?,
                client: redis::Client::open(url.as_str())?,
                invalidate: redis::Script::new(INVALIDATE),
            }),
            None => None,
        };
        Ok(Some(Arc::new(Self {
            config: config.clone(),
            local,
            redis,
            generation: AtomicU64::new(0),
            metrics,
        })))
    }

    pub fn config(&self) -> &ResponseCacheConfig {
        &self.config
    }

    /// The key of a request's answer: the operation as prepared for the caller, its variables
    /// and the forwarded headers that can change the answer.
    pub fn key(
        &self,
        schema_version: u64,
        prepared_hash: u64,
        query: &str,
        operation_name: Option<&str>,
        variables: &Map<String, Value>,
        headers: &[(http::HeaderName, http::HeaderValue)],
    ) -> Key {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        schema_version.hash(&mut hasher);
        prepared_hash.hash(&mut hasher);
        query.hash(&mut hasher);
        operation_name.hash(&mut hasher);
        serde_json::to_string(variables)
            .unwrap_or_default()
            .hash(&mut hasher);
        let mut identified = false;
        for (name, value) in headers {
            let name = name.as_str();
            if self
                .config
                .vary_ignore_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
            {
                continue;
            }
            identified |= self
                .config
                .private_id_headers
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name));
            name.hash(&mut hasher);
            value.as_bytes().hash(&mut hasher);
        }
        Key {
            hash: hasher.digest128(),
            identified,
        }
    }

    /// The generation an execution starts at (see [`ResponseCache::store`]).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub async fn get(&self, key: Key) -> Option<Bytes> {
        let found = match &self.redis {
            None => self.local.get(&key.hash).map(|entry| entry.body.clone()),
            Some(redis) => {
                let mut connection = redis.shared.connection().await?;
                let got: Option<Vec<u8>> = redis::cmd("GET")
                    .arg(self.entry_key(key))
                    .query_async(&mut connection)
                    .await
                    .ok()?;
                got.map(Bytes::from)
            }
        };
        self.metrics.response_cache(if found.is_some() {
            CacheStatus::Hit
        } else {
            CacheStatus::Miss
        });
        found
    }

    /// Whether an answer with this capture may be kept for this key, and for how long.
    pub fn ttl(&self, key: Key, captured: &Captured, guarded: bool) -> Option<Duration> {
        if captured.errors
            || captured.no_store
            || ((captured.private || guarded) && !key.identified)
        {
            return None;
        }
        let typed = captured
            .types
            .iter()
            .filter_map(|t| self.config.types.get(t).copied())
            .min();
        let ttl = match (captured.max_age, typed) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) | (None, Some(a)) => a,
            (None, None) => self.config.default_ttl_secs,
        };
        let ttl = ttl.min(self.config.max_ttl_secs);
        (ttl > 0).then(|| Duration::from_secs(ttl))
    }

    /// Whether an anonymous request for this answer is refused a cached one (private data).
    pub fn bypass(&self, key: Key, guarded: bool) -> bool {
        guarded && !key.identified
    }

    /// Keeps an answer, unless an invalidation happened since `generation` (the execution
    /// may have read what it invalidated).
    pub async fn store(
        &self,
        key: Key,
        body: Bytes,
        captured: &Captured,
        ttl: Duration,
        generation: u64,
    ) {
        if self.generation() != generation {
            return;
        }
        let tags: Box<[String]> = captured
            .entities
            .iter()
            .cloned()
            .chain(captured.types.iter().map(|t| format!("t:{t}")))
            .collect();
        let Some(redis) = &self.redis else {
            self.local
                .insert(key.hash, Arc::new(Entry { body, tags, ttl }));
            return;
        };
        let Some(mut connection) = redis.shared.connection().await else {
            return;
        };
        let entry_key = self.entry_key(key);
        let mut pipe = redis::pipe();
        pipe.cmd("SET")
            .arg(&entry_key)
            .arg(body.as_ref())
            .arg("EX")
            .arg(ttl.as_secs())
            .ignore();
        for tag in tags.iter() {
            let tag_key = format!("{}t:{tag}", self.config.redis_prefix);
            pipe.cmd("SADD").arg(&tag_key).arg(&entry_key).ignore();
            pipe.cmd("EXPIRE")
                .arg(&tag_key)
                .arg(self.config.max_ttl_secs)
                .ignore();
        }
        if let Err(error) = pipe.query_async::<()>(&mut connection).await {
            tracing::debug!(%error, "response cache: storing in Redis failed");
        }
    }

    fn entry_key(&self, key: Key) -> String {
        format!("{}e:{:032x}", self.config.redis_prefix, key.hash)
    }

    /// Drops every answer tagged with one of `tags` here (and in Redis), and tells every
    /// other instance through the channel. Returns how many Redis entries were dropped (0 in
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
                .arg(&self.config.invalidation_channel)
                .arg(format!("tags:{message}"))
                .query_async(&mut connection)
                .await;
            if let Err(error) = published {
                tracing::warn!(%error, "response cache: publishing an invalidation failed");
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
            invocation.key(format!("{}t:{tag}", self.config.redis_prefix));
        }
        match invocation.invoke_async::<u64>(&mut connection).await {
            Ok(dropped) => dropped,
            Err(error) => {
                tracing::warn!(%error, "response cache: invalidating in Redis failed");
                0
            }
        }
    }

    /// Listens on the invalidation channel until the cache is dropped, reconnecting after
    /// failures. A message is either the JSON array `POST /invalidation` takes, or `tags:`
    /// and a JSON array of tags (what instances publish to each other).
    pub fn listen(self: &Arc<Self>) {
        let Some(redis) = &self.redis else { return };
        let client = redis.client.clone();
        let channel = self.config.invalidation_channel.clone();
        let cache = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                match client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(&channel).await.is_ok() {
                            let mut messages = pubsub.on_message();
                            while let Some(message) = messages.next().await {
                                let Some(cache) = cache.upgrade() else { return };
                                let Ok(payload) = message.get_payload::<String>() else {
                                    continue;
                                };
                                let tags = match payload.strip_prefix("tags:") {
                                    Some(tags) => serde_json::from_str::<Vec<String>>(tags)
                                        .unwrap_or_default(),
                                    None => serde_json::from_str::<Vec<Invalidation>>(&payload)
                                        .map(|entries| self::tags(&entries))
                                        .unwrap_or_default(),
                                };
                                cache.metrics.invalidated("channel", tags.len());
                                cache.invalidate_here(&tags).await;
                            }
                        }
                    }
                    Err(error) => {
                        tracing::warn!(%error, "response cache: invalidation channel unreachable");
                    }
                }
                if cache.strong_count() == 0 {
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
