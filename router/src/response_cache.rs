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
//! - **Where**: the [`CacheStore`] the entity cache shares: in this process (moka, bounded by
//!   bytes) or, with `redis_url`, in Redis, shared by every instance; each instance then
//!   listens on `invalidation_channel` and drops what a message names, whoever published it.
//! - **Fills racing invalidations**: an execution that overlapped any invalidation is not
//!   stored, so an answer read before a change cannot be kept after the change's invalidation.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use graphql_tools::parser::schema as schema_ast;
use http::HeaderMap;
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::cache_store::{CacheStore, Fill};
use crate::config::ResponseCacheConfig;
use crate::json::{Object, Value as Data};
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
    /// Takes `other` in too: the shorter `max_age`, `private` or `no_store` if either is.
    pub fn captured(&mut self, other: CacheHint) {
        if let Some(age) = other.max_age {
            self.max_age = Some(self.max_age.map_or(age, |m| m.min(age)));
        }
        self.private |= other.private;
        self.no_store |= other.no_store;
    }

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
pub struct EntityKeys {
    keys: HashMap<String, Vec<Vec<String>>>,
    /// Type → field → the entity type the field holds (alone or in a list). A representation's
    /// `@requires` objects carry no `__typename`; this names them.
    entity_fields: HashMap<String, HashMap<String, String>>,
}

impl EntityKeys {
    pub fn from_supergraph(document: &schema_ast::Document<'static, String>) -> Self {
        // Object and interface types: their name, directives and fields.
        let types: Vec<_> = document
            .definitions
            .iter()
            .filter_map(|definition| match definition {
                schema_ast::Definition::TypeDefinition(schema_ast::TypeDefinition::Object(o)) => {
                    Some((&o.name, &o.directives, &o.fields))
                }
                schema_ast::Definition::TypeDefinition(schema_ast::TypeDefinition::Interface(
                    i,
                )) => Some((&i.name, &i.directives, &i.fields)),
                _ => None,
            })
            .collect();
        let mut keys: HashMap<String, Vec<Vec<String>>> = HashMap::new();
        for (name, directives, _) in &types {
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
                let sets = keys.entry((*name).clone()).or_default();
                if !set.is_empty() && !sets.contains(&set) {
                    sets.push(set);
                }
            }
        }
        let mut entity_fields: HashMap<String, HashMap<String, String>> = HashMap::new();
        for (name, _, fields) in &types {
            for field in fields.iter() {
                let mut field_type = &field.field_type;
                while let schema_ast::Type::ListType(inner) | schema_ast::Type::NonNullType(inner) =
                    field_type
                {
                    field_type = inner;
                }
                if let schema_ast::Type::NamedType(held) = field_type
                    && keys.contains_key(held)
                {
                    entity_fields
                        .entry((*name).clone())
                        .or_default()
                        .insert(field.name.clone(), held.clone());
                }
            }
        }
        EntityKeys {
            keys,
            entity_fields,
        }
    }

    /// The tags of an `_entities` representation: its own keys and those of the entities its
    /// `@requires` fields hold (`variants { id }`), since an answer computed from them changes
    /// with them.
    pub(crate) fn tags_of_representation(
        &self,
        typename: &str,
        object: &Object<'_>,
        out: &mut HashSet<String>,
    ) {
        self.tags_of(typename, object, out);
        let Some(fields) = self.entity_fields.get(typename) else {
            return;
        };
        for (field, value) in object.entries() {
            if let Some(held) = fields.get(field.as_ref()) {
                self.tags_of_held(held, value, out);
            }
        }
    }

    fn tags_of_held(&self, typename: &str, value: &Data<'_>, out: &mut HashSet<String>) {
        match value.resolve() {
            Data::Object(object) => self.tags_of_representation(typename, object, out),
            Data::Array(items) => {
                for item in items {
                    self.tags_of_held(typename, item, out);
                }
            }
            _ => {}
        }
    }

    /// The tags of one object of type `typename`: one per key whose fields it holds.
    pub(crate) fn tags_of(&self, typename: &str, object: &Object<'_>, out: &mut HashSet<String>) {
        let Some(sets) = self.keys.get(typename) else {
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

/// The key of an answer and whether the request carries the viewer's identity.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    hash: u128,
    identified: bool,
}

/// What a request's forwarded headers add to a cache key: every value bar
/// `vary_ignore_headers`, and whether one of them is the viewer's identity
/// (`private_id_headers`). The response cache and the entity cache key on it alike.
#[derive(Debug, Clone, Copy)]
pub struct Vary {
    pub hash: u64,
    pub identified: bool,
}

impl Vary {
    pub fn of(
        config: &ResponseCacheConfig,
        headers: &[(http::HeaderName, http::HeaderValue)],
    ) -> Self {
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut identified = false;
        for (name, value) in headers {
            let name = name.as_str();
            let listed = |list: &[String]| list.iter().any(|h| h.eq_ignore_ascii_case(name));
            if listed(&config.vary_ignore_headers) {
                continue;
            }
            identified |= listed(&config.private_id_headers);
            name.hash(&mut hasher);
            value.as_bytes().hash(&mut hasher);
        }
        Vary {
            hash: std::hash::Hasher::finish(&hasher),
            identified,
        }
    }
}

/// Whole answers, in the [`CacheStore`] the entity cache shares.
pub struct ResponseCache {
    config: ResponseCacheConfig,
    store: Arc<CacheStore>,
    metrics: Arc<Metrics>,
}

impl ResponseCache {
    /// `None` when the cache is off.
    pub fn new(
        config: &ResponseCacheConfig,
        store: &Arc<CacheStore>,
        metrics: Arc<Metrics>,
    ) -> Option<Arc<Self>> {
        config.enabled.then(|| {
            Arc::new(Self {
                config: config.clone(),
                store: store.clone(),
                metrics,
            })
        })
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
        // Apart from the entity cache's keys, which share the store.
        "response".hash(&mut hasher);
        schema_version.hash(&mut hasher);
        prepared_hash.hash(&mut hasher);
        query.hash(&mut hasher);
        operation_name.hash(&mut hasher);
        serde_json::to_string(variables)
            .unwrap_or_default()
            .hash(&mut hasher);
        let vary = Vary::of(&self.config, headers);
        vary.hash.hash(&mut hasher);
        Key {
            hash: hasher.digest128(),
            identified: vary.identified,
        }
    }

    /// The generation an execution starts at (see [`ResponseCache::store`]).
    pub fn generation(&self) -> u64 {
        self.store.generation()
    }

    pub async fn get(&self, key: Key) -> Option<Bytes> {
        let found = self.store.get(key.hash).await;
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
        ttl_within(&self.config, captured.max_age, typed)
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
        let tags: Box<[String]> = captured
            .entities
            .iter()
            .cloned()
            .chain(captured.types.iter().map(|t| format!("t:{t}")))
            .collect();
        let fill = Fill {
            key: key.hash,
            body,
            tags,
            ttl,
        };
        self.store.put(vec![fill], generation).await;
    }
}

/// The time-to-live of what a subgraph hint (`max_age`) and the configured types (`typed`)
/// allow: the shorter of the two, `default_ttl_secs` when neither says, never past
/// `max_ttl_secs`; `None` for zero (not kept).
pub fn ttl_within(
    config: &ResponseCacheConfig,
    max_age: Option<u64>,
    typed: Option<u64>,
) -> Option<Duration> {
    let ttl = match (max_age, typed) {
        (Some(a), Some(b)) => a.min(b),
        (Some(a), None) | (None, Some(a)) => a,
        (None, None) => config.default_ttl_secs,
    };
    let ttl = ttl.min(config.max_ttl_secs);
    (ttl > 0).then(|| Duration::from_secs(ttl))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_representation_is_tagged_with_the_entities_its_requires_fields_hold() {
        let sdl = r#"
            type Product @join__type(graph: A, key: "id") {
              id: ID!
              variants: [ProductVariant!]!
              category: Category
            }
            type ProductVariant @join__type(graph: A, key: "id") { id: ID! }
            type Category { name: String }
        "#;
        let document = schema_ast::parse_schema::<String>(sdl)
            .expect("SDL")
            .into_static();
        let keys = EntityKeys::from_supergraph(&document);
        let representation: Data = serde_json::from_str(
            r#"{"__typename":"Product","id":"p1","variants":[{"id":"v1"},{"id":"v2"}],
                "category":{"name":"Shirts"}}"#,
        )
        .expect("JSON");
        let mut tags = HashSet::new();
        keys.tags_of_representation(
            "Product",
            representation.as_object().expect("object"),
            &mut tags,
        );
        let expected = [
            "e:Product:id=p1",
            "e:ProductVariant:id=v1",
            "e:ProductVariant:id=v2",
        ];
        assert_eq!(tags, expected.map(String::from).into());
    }
}
