//! Automatic persisted queries and the trusted-document manifest.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PersistedQueriesConfig {
    /// Automatic persisted queries (Apollo's APQ protocol).
    pub enabled: bool,
    /// Total size of the stored documents (in memory, per router instance).
    pub max_bytes: u64,
    /// A Redis that every router instance shares documents through (`REDIS_URL` by default).
    pub redis_url: Option<String>,
    /// How long a document stays in Redis after it was registered.
    pub redis_ttl_secs: u64,
    /// A persisted query manifest (Apollo's format, or an id → document map) whose documents
    /// are served by id.
    pub manifest: Option<PathBuf>,
    /// Run only the manifest's documents (by id, or sent in full); needs `manifest`.
    pub safelist: bool,
}

impl Default for PersistedQueriesConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_bytes: 32 * 1024 * 1024,
            redis_url: None,
            redis_ttl_secs: 7 * 24 * 60 * 60,
            manifest: None,
            safelist: false,
        }
    }
}
