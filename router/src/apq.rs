//! Automatic persisted queries (Apollo's APQ protocol). A client sends only the SHA-256 of its
//! document in `extensions.persistedQuery`; the router runs the document it stored under that
//! hash, or answers `PERSISTED_QUERY_NOT_FOUND`, and the client retries with hash and document,
//! which the router checks and stores. Clients stop resending large documents, and queries can
//! go over GET (and through HTTP caches) with short URLs. With Redis configured, documents are
//! also shared between router instances: a document registered through one is served by hash
//! through every other.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;

use commerce_redis_link::LazyRedis;
use moka::sync::Cache;
use redis::AsyncCommands;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::REDIS_TIMEOUT;
use crate::error::{ErrorCode, GraphQLError};

/// The `persistedQuery` request extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersistedQuery {
    /// Lower-case hex SHA-256 of the document.
    pub sha256_hash: String,
}

impl PersistedQuery {
    /// Reads `extensions.persistedQuery`; `Ok(None)` when the request does not use APQ.
    pub fn from_extensions(extensions: &Value) -> Result<Option<Self>, String> {
        let Some(persisted) = extensions.get("persistedQuery") else {
            return Ok(None);
        };
        if persisted.get("version").and_then(Value::as_i64) != Some(1) {
            return Err("Unsupported persisted query version: only version 1 exists".into());
        }
        match persisted.get("sha256Hash").and_then(Value::as_str) {
            Some(hash) if hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Ok(Some(Self {
                    sha256_hash: hash.to_ascii_lowercase(),
                }))
            }
            _ => Err("Invalid persisted query: `sha256Hash` must be 64 hex digits".into()),
        }
    }
}

/// The store of persisted documents: in memory, bounded by their total size, in front of an
/// optional Redis shared by every router instance; and the trusted documents of a manifest.
pub struct PersistedQueries {
    store: Option<Cache<String, Arc<str>>>,
    shared: Option<SharedStore>,
    trusted: TrustedDocuments,
}

/// The operations the clients ship with, from a persisted query manifest: served by their id
/// (sent as `sha256Hash`), and with `safelist` the only documents that may run.
#[derive(Default)]
pub struct TrustedDocuments {
    by_id: HashMap<String, Arc<str>>,
    /// SHA-256 of each document, for documents sent in full.
    hashes: HashSet<String>,
    safelist: bool,
}

/// Apollo's `apollo-persisted-query-manifest` (what `generate-persisted-query-manifest` writes).
#[derive(Deserialize)]
struct ApolloManifest {
    format: String,
    operations: Vec<ManifestOperation>,
}

#[derive(Deserialize)]
struct ManifestOperation {
    id: String,
    body: String,
}

impl TrustedDocuments {
    pub fn load(path: &Path, safelist: bool) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the persisted query manifest {}", path.display()))?;
        let invalid = || format!("{} is not a persisted query manifest", path.display());
        let value: serde_json::Value = serde_json::from_str(&text).with_context(invalid)?;
        // Apollo's format says so; anything else must be `{ "<id>": "<document>" }`, as
        // GraphQL Codegen and Relay write them.
        let operations: Vec<(String, String)> = if value.get("format").is_some() {
            let manifest: ApolloManifest = serde_json::from_value(value).with_context(invalid)?;
            anyhow::ensure!(
                manifest.format == "apollo-persisted-query-manifest",
                "{}: unknown manifest format {:?}",
                path.display(),
                manifest.format
            );
            manifest
                .operations
                .into_iter()
                .map(|op| (op.id, op.body))
                .collect()
        } else {
            serde_json::from_value::<HashMap<String, String>>(value)
                .with_context(invalid)?
                .into_iter()
                .collect()
        };
        let mut trusted = Self {
            safelist,
            ..Self::default()
        };
        for (id, body) in operations {
            trusted.hashes.insert(sha256_hex(&body));
            trusted
                .by_id
                .insert(id.to_ascii_lowercase(), Arc::from(body));
        }
        Ok(trusted)
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

fn sha256_hex(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

fn not_in_list() -> Box<GraphQLError> {
    Box::new(GraphQLError::with_code(
        "This operation is not in the persisted query list",
        ErrorCode::PersistedQueryNotInList,
    ))
}

impl PersistedQueries {
    /// `max_bytes` bounds the documents kept in memory; `enabled: false` refuses APQ requests.
    pub fn new(enabled: bool, max_bytes: u64) -> Self {
        let store = enabled.then(|| {
            Cache::builder()
                .weigher(|hash: &String, query: &Arc<str>| {
                    u32::try_from(hash.len() + query.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .build()
        });
        Self {
            store,
            shared: None,
            trusted: TrustedDocuments::default(),
        }
    }

    /// Serves the documents of a manifest by id; with `safelist`, only they may run.
    pub fn with_trusted(mut self, trusted: TrustedDocuments) -> Self {
        self.trusted = trusted;
        self
    }

    /// Whether a document sent in full (without a persisted query hash) may run: always,
    /// unless a safelist is on and the document is not in it.
    pub fn admits(&self, query: &str) -> Result<(), Box<GraphQLError>> {
        if self.trusted.safelist && !self.trusted.hashes.contains(&sha256_hex(query)) {
            return Err(not_in_list());
        }
        Ok(())
    }

    /// Also keeps documents in the Redis at `url` for `ttl`, shared with other instances. The
    /// connection is made on first use, so a Redis that is down delays nothing at startup.
    pub fn with_redis(mut self, url: &str, ttl: Duration) -> anyhow::Result<Self> {
        self.shared = Some(SharedStore {
            redis: LazyRedis::open(url, "persisted query", REDIS_TIMEOUT, 0)?,
            ttl_secs: ttl.as_secs().max(1),
        });
        Ok(self)
    }

    /// The document to run: `query` when it matches the hash (and is then remembered), else the
    /// one remembered under the hash, here or in the shared store.
    pub async fn resolve(
        &self,
        persisted: &PersistedQuery,
        query: Option<String>,
    ) -> Result<String, Box<GraphQLError>> {
        if let Some(document) = self.trusted.by_id.get(&persisted.sha256_hash) {
            return Ok(document.to_string());
        }
        if self.trusted.safelist {
            // Registering new documents would defeat the list.
            return match query {
                Some(query) if self.trusted.hashes.contains(&sha256_hex(&query)) => Ok(query),
                _ => Err(not_in_list()),
            };
        }
        let Some(store) = &self.store else {
            return Err(Box::new(GraphQLError::with_code(
                "PersistedQueryNotSupported",
                ErrorCode::PersistedQueryNotSupported,
            )));
        };
        match query {
            Some(query) => {
                if hex::encode(Sha256::digest(query.as_bytes())) != persisted.sha256_hash {
                    return Err(Box::new(GraphQLError::with_code(
                        "provided sha does not match query",
                        ErrorCode::PersistedQueryHashMismatch,
                    )));
                }
                if store.get(&persisted.sha256_hash).is_none()
                    && let Some(shared) = &self.shared
                {
                    shared.set(&persisted.sha256_hash, &query).await;
                }
                store.insert(persisted.sha256_hash.clone(), Arc::from(query.as_str()));
                Ok(query)
            }
            None => {
                if let Some(query) = store.get(&persisted.sha256_hash) {
                    return Ok(query.to_string());
                }
                let shared = match &self.shared {
                    Some(shared) => shared.get(&persisted.sha256_hash).await,
                    None => None,
                };
                match shared {
                    Some(query) => {
                        store.insert(persisted.sha256_hash.clone(), Arc::from(query.as_str()));
                        Ok(query)
                    }
                    // The message is what Apollo clients look for before retrying with the query.
                    None => Err(Box::new(GraphQLError::with_code(
                        "PersistedQueryNotFound",
                        ErrorCode::PersistedQueryNotFound,
                    ))),
                }
            }
        }
    }
}

/// Persisted documents in Redis, under `commerce-router:apq:<sha256>`.
struct SharedStore {
    redis: LazyRedis,
    ttl_secs: u64,
}

impl SharedStore {
    fn key(hash: &str) -> String {
        format!("commerce-router:apq:{hash}")
    }

    async fn connection(&self) -> Option<redis::aio::ConnectionManager> {
        self.redis.connection().await
    }

    /// The document stored under `hash`, if it is there and matches the hash (anything else
    /// in a shared store is ignored rather than run under a hash it does not have).
    async fn get(&self, hash: &str) -> Option<String> {
        let mut connection = self.connection().await?;
        let query = match connection.get::<_, Option<String>>(Self::key(hash)).await {
            Ok(query) => query?,
            Err(error) => {
                tracing::warn!(%error, "persisted query Redis read failed");
                return None;
            }
        };
        if hex::encode(Sha256::digest(query.as_bytes())) != hash {
            tracing::warn!(%hash, "persisted query in Redis does not match its hash; ignored");
            return None;
        }
        Some(query)
    }

    async fn set(&self, hash: &str, query: &str) {
        let Some(mut connection) = self.connection().await else {
            return;
        };
        let written = connection
            .set_ex::<_, _, ()>(Self::key(hash), query, self.ttl_secs)
            .await;
        if let Err(error) = written {
            tracing::warn!(%error, "persisted query Redis write failed");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use super::*;

    const QUERY: &str = "{ __typename }";

    fn code(error: &GraphQLError) -> Option<&str> {
        error.extensions.get("code").and_then(Value::as_str)
    }

    fn hash(query: &str) -> PersistedQuery {
        PersistedQuery {
            sha256_hash: hex::encode(Sha256::digest(query.as_bytes())),
        }
    }

    #[tokio::test]
    async fn registers_a_matching_document_then_serves_it_by_hash() {
        let apq = PersistedQueries::new(true, 1 << 20);
        let err = apq.resolve(&hash(QUERY), None).await.unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::PersistedQueryNotFound.as_str()));
        assert_eq!(
            apq.resolve(&hash(QUERY), Some(QUERY.into())).await.unwrap(),
            QUERY
        );
        assert_eq!(apq.resolve(&hash(QUERY), None).await.unwrap(), QUERY);
    }

    #[tokio::test]
    async fn refuses_a_document_that_does_not_match_its_hash() {
        let apq = PersistedQueries::new(true, 1 << 20);
        let err = apq
            .resolve(&hash("{ other }"), Some(QUERY.into()))
            .await
            .unwrap_err();
        assert_eq!(
            code(&err),
            Some(ErrorCode::PersistedQueryHashMismatch.as_str())
        );
        let err = apq.resolve(&hash("{ other }"), None).await.unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::PersistedQueryNotFound.as_str()));
    }

    #[tokio::test]
    async fn works_alone_when_its_redis_is_down() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("redis://{}", listener.local_addr().unwrap());
        drop(listener);
        let apq = PersistedQueries::new(true, 1 << 20)
            .with_redis(&url, Duration::from_secs(60))
            .unwrap();
        let err = apq.resolve(&hash(QUERY), None).await.unwrap_err();
        assert_eq!(code(&err), Some(ErrorCode::PersistedQueryNotFound.as_str()));
        // Later requests skip the unreachable Redis for a while instead of each waiting on it.
        let shared = apq.shared.as_ref().unwrap();
        assert!(
            shared
                .redis
                .down_until()
                .is_some_and(|t| t > Instant::now())
        );
        assert_eq!(
            apq.resolve(&hash(QUERY), Some(QUERY.into())).await.unwrap(),
            QUERY
        );
        assert_eq!(apq.resolve(&hash(QUERY), None).await.unwrap(), QUERY);
    }

    #[tokio::test]
    async fn serves_a_manifests_documents_by_id_in_either_format() {
        let dir = tempfile::tempdir().unwrap();
        let id = "ab".repeat(32);
        let path = dir.path().join("map.json");
        std::fs::write(
            &path,
            serde_json::json!({ id.to_uppercase(): QUERY }).to_string(),
        )
        .unwrap();
        // Without a safelist, other documents still run and APQ still registers them.
        let apq = PersistedQueries::new(true, 1 << 20)
            .with_trusted(TrustedDocuments::load(&path, false).unwrap());
        let persisted = PersistedQuery { sha256_hash: id };
        assert_eq!(apq.resolve(&persisted, None).await.unwrap(), QUERY);
        assert!(apq.admits("{ other }").is_ok());
        assert_eq!(
            apq.resolve(&hash("{ other }"), Some("{ other }".into()))
                .await
                .unwrap(),
            "{ other }"
        );
        std::fs::write(&path, r#"{"format": "apollo-persisted-query-manifest"}"#).unwrap();
        assert!(TrustedDocuments::load(&path, true).is_err());
    }

    #[test]
    fn reads_only_version_1_extensions_with_a_sha256() {
        let ok =
            serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": "AB".repeat(32)}});
        assert_eq!(
            PersistedQuery::from_extensions(&ok)
                .unwrap()
                .unwrap()
                .sha256_hash,
            "ab".repeat(32)
        );
        assert_eq!(
            PersistedQuery::from_extensions(&serde_json::json!({})),
            Ok(None)
        );
        let v2 =
            serde_json::json!({"persistedQuery": {"version": 2, "sha256Hash": "ab".repeat(32)}});
        assert!(PersistedQuery::from_extensions(&v2).is_err());
        let short = serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": "abc"}});
        assert!(PersistedQuery::from_extensions(&short).is_err());
    }

    #[tokio::test]
    async fn refuses_apq_when_switched_off() {
        let apq = PersistedQueries::new(false, 0);
        let err = apq
            .resolve(&hash(QUERY), Some(QUERY.into()))
            .await
            .unwrap_err();
        assert_eq!(
            code(&err),
            Some(ErrorCode::PersistedQueryNotSupported.as_str())
        );
    }
}
