//! The response cache: whole answers to queries, kept for the shortest time-to-live of what
//! they touched, tagged with the entities they contain and dropped when one of them changes.
//! The entity cache: each entity a subgraph's `_entities` answered, in the same storage.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResponseCacheConfig {
    /// Off by default: a router in front of subgraphs that give no hints caches nothing
    /// unless told for how long (`default_ttl_secs`, `types`).
    pub enabled: bool,
    /// Time-to-live of an answer when neither its subgraphs (`Cache-Control: max-age`) nor
    /// `types` state one; 0: such answers are not cached.
    pub default_ttl_secs: u64,
    /// Time-to-live per type: an answer that holds an object of one of these types is kept
    /// at most this long.
    pub types: HashMap<String, u64>,
    /// No answer is kept longer, whatever the hints (also how long Redis keeps tag sets).
    pub max_ttl_secs: u64,
    /// Memory for answers in this process (bodies and keys), when not in Redis.
    pub max_bytes: u64,
    /// Answers in this Redis, shared by every router instance; invalidations also go out on
    /// `invalidation_channel` there. Unset: in this process only.
    pub redis_url: Option<String>,
    /// Prefix of the Redis keys (several graphs may share one Redis).
    pub redis_prefix: String,
    /// The Redis pub/sub channel every instance listens on for invalidations (the JSON of
    /// `POST /invalidation`); anything may publish to it.
    pub invalidation_channel: String,
    /// Bearer token of `POST <invalidation_path>`; unset: no invalidation endpoint.
    pub invalidation_token: Option<String>,
    pub invalidation_path: String,
    /// Forwarded headers whose presence makes the request the viewer's own: answers marked
    /// `private` (or touching `@authenticated`/`@requiresScopes` fields) are cached only for
    /// such requests, keyed by these headers' values, and never for anonymous ones.
    pub private_id_headers: Vec<String>,
    /// Forwarded headers that do not change answers and stay out of the key (every value of
    /// the others is part of it).
    pub vary_ignore_headers: Vec<String>,
}

impl Default for ResponseCacheConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            default_ttl_secs: 0,
            types: HashMap::new(),
            max_ttl_secs: 24 * 60 * 60,
            max_bytes: 64 * 1024 * 1024,
            redis_url: None,
            redis_prefix: "router:rc:".to_string(),
            invalidation_channel: "router:invalidation".to_string(),
            invalidation_token: None,
            invalidation_path: "/invalidation".to_string(),
            private_id_headers: vec!["authorization".to_string(), "cookie".to_string()],
            vary_ignore_headers: vec!["x-forwarded-for".to_string()],
        }
    }
}

/// The entity cache keeps each entity of an `_entities` answer, in the response cache's
/// storage (`response_cache.redis_url`, `max_bytes`, ...) and with its rules for time-to-live
/// (`default_ttl_secs`, `types`, `max_ttl_secs`), keys (`private_id_headers`,
/// `vary_ignore_headers`) and invalidation, whether or not whole answers are cached too.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EntityCacheConfig {
    pub enabled: bool,
    /// The entities' own `default_ttl_secs`, when they should live apart from whole answers
    /// (unset: `response_cache.default_ttl_secs`).
    pub default_ttl_secs: Option<u64>,
    /// The entities' own `types` (unset: `response_cache.types`): with `default_ttl_secs: 0`,
    /// only entities of these types are kept.
    pub types: Option<HashMap<String, u64>>,
    /// Only requests without one of `private_id_headers` read and fill the entity cache: a
    /// signed-in viewer (staff adjusting stock, a customer who just ordered) always reads what
    /// the subgraphs hold, their own writes included, while events are still on their way.
    pub anonymous_only: bool,
}
