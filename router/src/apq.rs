//! Automatic persisted queries (Apollo's APQ protocol). A client sends only the SHA-256 of its
//! document in `extensions.persistedQuery`; the router runs the document it stored under that
//! hash, or answers `PERSISTED_QUERY_NOT_FOUND`, and the client retries with hash and document,
//! which the router checks and stores. Clients stop resending large documents, and queries can
//! go over GET (and through HTTP caches) with short URLs.

use std::sync::Arc;

use moka::sync::Cache;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::{GraphQLError, codes};

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

/// The store of persisted documents, bounded by their total size.
pub struct PersistedQueries {
    store: Option<Cache<String, Arc<str>>>,
}

impl PersistedQueries {
    /// `max_bytes` bounds the stored documents; `enabled: false` refuses APQ requests.
    pub fn new(enabled: bool, max_bytes: u64) -> Self {
        let store = enabled.then(|| {
            Cache::builder()
                .weigher(|hash: &String, query: &Arc<str>| {
                    u32::try_from(hash.len() + query.len()).unwrap_or(u32::MAX)
                })
                .max_capacity(max_bytes)
                .build()
        });
        Self { store }
    }

    /// The document to run: `query` when it matches the hash (and is then remembered), else the
    /// one remembered under the hash.
    pub fn resolve(
        &self,
        persisted: &PersistedQuery,
        query: Option<String>,
    ) -> Result<String, Box<GraphQLError>> {
        let Some(store) = &self.store else {
            return Err(Box::new(GraphQLError::with_code(
                "PersistedQueryNotSupported",
                codes::PERSISTED_QUERY_NOT_SUPPORTED,
            )));
        };
        match query {
            Some(query) => {
                if hex::encode(Sha256::digest(query.as_bytes())) != persisted.sha256_hash {
                    return Err(Box::new(GraphQLError::with_code(
                        "provided sha does not match query",
                        codes::PERSISTED_QUERY_HASH_MISMATCH,
                    )));
                }
                store.insert(persisted.sha256_hash.clone(), Arc::from(query.as_str()));
                Ok(query)
            }
            None => store
                .get(&persisted.sha256_hash)
                .map(|query| query.to_string())
                .ok_or_else(|| {
                    // The message is what Apollo clients look for before retrying with the query.
                    Box::new(GraphQLError::with_code(
                        "PersistedQueryNotFound",
                        codes::PERSISTED_QUERY_NOT_FOUND,
                    ))
                }),
        }
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn registers_a_matching_document_then_serves_it_by_hash() {
        let apq = PersistedQueries::new(true, 1 << 20);
        let err = apq.resolve(&hash(QUERY), None).unwrap_err();
        assert_eq!(code(&err), Some(codes::PERSISTED_QUERY_NOT_FOUND));
        assert_eq!(
            apq.resolve(&hash(QUERY), Some(QUERY.into())).unwrap(),
            QUERY
        );
        assert_eq!(apq.resolve(&hash(QUERY), None).unwrap(), QUERY);
    }

    #[test]
    fn refuses_a_document_that_does_not_match_its_hash() {
        let apq = PersistedQueries::new(true, 1 << 20);
        let err = apq
            .resolve(&hash("{ other }"), Some(QUERY.into()))
            .unwrap_err();
        assert_eq!(code(&err), Some(codes::PERSISTED_QUERY_HASH_MISMATCH));
        let err = apq.resolve(&hash("{ other }"), None).unwrap_err();
        assert_eq!(code(&err), Some(codes::PERSISTED_QUERY_NOT_FOUND));
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

    #[test]
    fn refuses_apq_when_switched_off() {
        let apq = PersistedQueries::new(false, 0);
        let err = apq.resolve(&hash(QUERY), Some(QUERY.into())).unwrap_err();
        assert_eq!(code(&err), Some(codes::PERSISTED_QUERY_NOT_SUPPORTED));
    }
}
