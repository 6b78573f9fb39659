//! The entity cache: each entity a subgraph's `_entities` answered, kept on its own, so that
//! another operation needing the same entity from the same fetch gets it without asking the
//! subgraph (as Apollo Router's entity caching does).
//!
//! - **Key**: the subgraph, the fetch's operation (its selection set) and the variables it
//!   uses, the representation sent (`__typename`, key fields and any `@requires` fields, in
//!   one canonical order) and the request's forwarded headers bar `vary_ignore_headers`
//!   ([`Vary`], the response cache's rule): two viewers whose subgraphs could tell them apart
//!   never share an entity.
//! - **One round trip**: a fetch's N representations are looked up at once (moka, or one
//!   Redis `MGET`); only the misses go to the subgraph, in one `_entities` call, and cached
//!   and fetched answers are merged in the representations' order.
//! - **Time-to-live**: the shorter of the subgraph response's `Cache-Control` and
//!   `entity_cache.types` (else `response_cache.types`) of the entity's type (and of the typed
//!   objects inside it),
//!   `entity_cache.default_ttl_secs` (else `response_cache.default_ttl_secs`) when neither
//!   says, at most `max_ttl_secs`. An entry carries its expiry and `private` ([`stored`]): the
//!   response cache keeps an answer built from cached entities no longer than they have left.
//! - **Not kept**: a response marked `no-store`/`no-cache`; an entity with an error or no
//!   object; a response marked `private` for a request without the viewer's identity
//!   (`private_id_headers`); anything of an anonymous request for an operation that selects
//!   `@authenticated`/`@requiresScopes`/`@policy` fields, which is neither looked up nor kept;
//!   with `anonymous_only`, anything of a request with the viewer's identity.
//! - **Tags**: the entity's key tags (and those of the entities inside it, or inside its
//!   representation's `@requires` fields) and its types, so the response cache's invalidations
//!   (mutation answers, `POST /invalidation`, the Redis channel) drop entities too: both live
//!   in one [`CacheStore`].
//!
//! A batch fetch (several entity selections to one subgraph in one request, as aliases) is
//! looked up alias by alias, its keys naming the alias; when every entity of every alias is
//! cached nothing is sent, else the whole batch is sent and its answers kept (none when it
//! has errors). Root-field fetches are not cached here (the response cache keeps whole
//! answers).

use std::collections::HashSet;
use std::hash::Hash;
use std::sync::Arc;

use bytes::Bytes;
use serde_json::Map;

use crate::cache_store::{CacheStore, Fill};
use crate::config::{Config, ResponseCacheConfig};
use crate::json::Value;
use crate::response_cache::{CacheHint, EntityKeys, Vary, ttl_within};
use crate::telemetry::Metrics;

pub struct EntityCache {
    /// The rules and storage it shares with the response cache.
    config: ResponseCacheConfig,
    anonymous_only: bool,
    store: Arc<CacheStore>,
    metrics: Arc<Metrics>,
}

/// What a request adds to its entities' keys (see [`EntityCache::scope`]).
#[derive(Debug, Clone, Copy)]
pub struct Scope {
    vary: Vary,
}

impl EntityCache {
    /// `None` when the cache is off.
    pub fn new(
        config: &Config,
        store: &Arc<CacheStore>,
        metrics: Arc<Metrics>,
    ) -> Option<Arc<Self>> {
        config.entity_cache.enabled.then(|| {
            let mut rules = config.response_cache.clone();
            if let Some(ttl) = config.entity_cache.default_ttl_secs {
                rules.default_ttl_secs = ttl;
            }
            if let Some(types) = &config.entity_cache.types {
                rules.types = types.clone();
            }
            Arc::new(Self {
                config: rules,
                anonymous_only: config.entity_cache.anonymous_only,
                store: store.clone(),
                metrics,
            })
        })
    }

    /// The scope of a query's entities; `None` when nothing of it may be cached: an anonymous
    /// request for an operation that selects fields behind authorization directives, or, with
    /// `anonymous_only`, a request with the viewer's identity.
    pub fn scope(
        &self,
        headers: &[(http::HeaderName, http::HeaderValue)],
        guarded: bool,
    ) -> Option<Scope> {
        let vary = Vary::of(&self.config, headers);
        cacheable(vary.identified, guarded, self.anonymous_only).then_some(Scope { vary })
    }

    /// The key of each representation of one `_entities` selection: `field` is `_entities`,
    /// or the alias of one selection in a batch fetch's operation.
    pub fn keys(
        &self,
        scope: Scope,
        subgraph: &str,
        operation: &str,
        field: &str,
        variables: &Map<String, serde_json::Value>,
        representations: &[Vec<u8>],
    ) -> Vec<u128> {
        let mut fetch = xxhash_rust::xxh3::Xxh3::new();
        // Apart from the response cache's keys, which share the store.
        "entity".hash(&mut fetch);
        subgraph.hash(&mut fetch);
        operation.hash(&mut fetch);
        field.hash(&mut fetch);
        serde_json::to_string(variables)
            .unwrap_or_default()
            .hash(&mut fetch);
        scope.vary.hash.hash(&mut fetch);
        let fetch = fetch.digest();
        representations
            .iter()
            .map(|representation| {
                let mut hasher = xxhash_rust::xxh3::Xxh3::new();
                fetch.hash(&mut hasher);
                representation.hash(&mut hasher);
                hasher.digest128()
            })
            .collect()
    }

    /// The generation a fetch starts at: its fills are dropped if an invalidation came since.
    pub fn generation(&self) -> u64 {
        self.store.generation()
    }

    /// Every key's cached entity (its JSON), in one round trip.
    pub async fn lookup(&self, subgraph: &str, keys: &[u128]) -> Vec<Option<Bytes>> {
        let found = self.store.get_many(keys).await;
        let hits = found.iter().filter(|f| f.is_some()).count();
        self.metrics
            .entity_cache(subgraph, hits, found.len() - hits);
        found
    }

    /// Whether a subgraph response with this hint may fill the cache for this scope.
    pub fn admits(&self, scope: Scope, hint: CacheHint) -> bool {
        !hint.no_store && (scope.vary.identified || !hint.private)
    }

    /// The entry of one fetched entity: its answer, the tags of its representation's keys
    /// (and of the typed objects inside it) and its time-to-live; `None` when it has no
    /// time-to-live or is no object.
    pub fn fill(
        &self,
        key: u128,
        hint: CacheHint,
        keys: &EntityKeys,
        representation: &[u8],
        answer: &Value<'_>,
    ) -> Option<Fill> {
        let object = answer.resolve().as_object()?;
        let representation: Value<'_> = serde_json::from_slice(representation).ok()?;
        let representation = representation.as_object()?;
        let typename = representation.get("__typename").and_then(Value::as_str)?;
        let mut tags = HashSet::new();
        let mut types = HashSet::from([typename.to_string()]);
        keys.tags_of_representation(typename, representation, &mut tags);
        typed_objects(answer, &mut |typename, object| {
            keys.tags_of(typename, object, &mut tags);
            if !types.contains(typename) {
                types.insert(typename.to_string());
            }
        });
        let typed = types
            .iter()
            .filter_map(|t| self.config.types.get(t).copied())
            .min();
        let ttl = ttl_within(&self.config, hint.max_age, typed)?;
        let mut body = Vec::with_capacity(64 * object.len() + HEADER);
        let expires = unix_millis().saturating_add(ttl.as_secs() * 1000);
        body.extend_from_slice(&expires.to_be_bytes());
        body.push(u8::from(hint.private));
        answer.write_json(&mut body);
        let tags = tags
            .into_iter()
            .chain(types.iter().map(|t| format!("t:{t}")))
            .collect();
        Some(Fill {
            key,
            body: Bytes::from(body),
            tags,
            ttl,
        })
    }

    /// Keeps a fetch's entities, unless an invalidation came since `generation`.
    pub async fn store(&self, fills: Vec<Fill>, generation: u64) {
        self.store.put(fills, generation).await;
    }
}

/// Whether a request's entities may be read and kept: an anonymous request's unless its
/// operation selects fields behind authorization directives (whose answers depend on who
/// asks), an identified one's unless `anonymous_only`.
fn cacheable(identified: bool, guarded: bool, anonymous_only: bool) -> bool {
    if identified {
        !anonymous_only
    } else {
        !guarded
    }
}

/// A stored entity starts with when it expires (Unix milliseconds, big-endian) and whether its
/// response was `private`: an answer built from cached entities tells the response cache
/// what their subgraph responses did.
const HEADER: usize = 9;

fn unix_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// A stored entity's JSON, and what its subgraph response's `Cache-Control` still allows.
pub fn stored(entry: &[u8]) -> Option<(CacheHint, &[u8])> {
    let (header, json) = entry.split_at_checked(HEADER)?;
    let expires = u64::from_be_bytes(header[..8].try_into().ok()?);
    let hint = CacheHint {
        // Whole seconds left, rounded down: what is built from it never outlives it.
        max_age: Some(expires.saturating_sub(unix_millis()) / 1000),
        private: header[8] == 1,
        no_store: false,
    };
    Some((hint, json))
}

/// Calls `f` with every object below `value` (itself included) that names its `__typename`.
fn typed_objects<'a>(value: &Value<'a>, f: &mut dyn FnMut(&str, &crate::json::Object<'a>)) {
    match value.resolve() {
        Value::Object(object) => {
            if let Some(typename) = object.get("__typename").and_then(Value::as_str) {
                f(typename, object);
            }
            for (_, child) in object.entries() {
                typed_objects(child, f);
            }
        }
        Value::Array(items) => {
            for item in items {
                typed_objects(item, f);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::cacheable;

    #[test]
    fn identified_requests_skip_the_cache_when_it_is_for_anonymous_ones_only() {
        // (identified, guarded, anonymous_only) -> cached
        for (identified, guarded, anonymous_only, cached) in [
            (false, false, false, true),
            (false, true, false, false),
            (true, false, false, true),
            (true, true, false, true),
            (false, false, true, true),
            (false, true, true, false),
            (true, false, true, false),
            (true, true, true, false),
        ] {
            assert_eq!(
                cacheable(identified, guarded, anonymous_only),
                cached,
                "identified {identified}, guarded {guarded}, anonymous_only {anonymous_only}"
            );
        }
    }
}
