//! Authentication (bearer JWTs) and authorization (the supergraph's access directives).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthenticationConfig {
    /// Bearer JWTs; without it every request is unauthenticated.
    pub jwt: Option<JwtConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthorizationConfig {
    /// Enforce the supergraph's `@authenticated`, `@requiresScopes` and `@policy`.
    pub directives: bool,
    pub unauthorized: UnauthorizedMode,
    /// Refuse (401) requests without a valid token.
    pub require_authentication: bool,
}

impl Default for AuthorizationConfig {
    fn default() -> Self {
        Self {
            directives: true,
            unauthorized: UnauthorizedMode::Filter,
            require_authentication: false,
        }
    }
}

/// What happens to an operation that selects fields the caller may not see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnauthorizedMode {
    /// Run the rest; those fields read as null, each with an error.
    Filter,
    /// Refuse the whole operation.
    Reject,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JwtConfig {
    pub jwks_files: Vec<PathBuf>,
    pub jwks_urls: Vec<String>,
    pub jwks_refresh_secs: u64,
    /// Accepted `iss` values; empty accepts any.
    pub issuers: Vec<String>,
    /// Accepted `aud` values; empty accepts any.
    pub audiences: Vec<String>,
    pub header_name: String,
    /// What precedes the token in the header (`Bearer`); empty for the bare token.
    pub header_prefix: String,
    /// Seconds a token stays accepted past its `exp` (clock skew with the issuer).
    pub leeway_secs: u64,
    /// The claims whose values are the token's scopes for `@requiresScopes`: dotted paths to
    /// an array of strings or a space-separated string, all read (Keycloak's roles are
    /// `realm_access.roles`, Auth0's RBAC permissions `permissions`).
    pub scope_claims: Vec<String>,
    /// Where the deny list of revoked tokens is shared (the subgraphs' `redis_url`); unset,
    /// the router checks this process's list (the all-in-one stack's, which its customers
    /// subgraph writes to).
    pub revocation_redis_url: Option<String>,
    /// The shop's namespace in that Redis (the subgraphs' `events_namespace`).
    pub revocation_namespace: String,
}

impl Default for JwtConfig {
    fn default() -> Self {
        Self {
            jwks_files: Vec::new(),
            jwks_urls: Vec::new(),
            jwks_refresh_secs: 300,
            issuers: Vec::new(),
            audiences: Vec::new(),
            header_name: "authorization".into(),
            header_prefix: "Bearer".into(),
            leeway_secs: 60,
            scope_claims: vec!["scope".into()],
            revocation_redis_url: None,
            revocation_namespace: "events".into(),
        }
    }
}
