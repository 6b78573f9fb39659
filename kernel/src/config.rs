//! Typed configuration, layered: defaults, then an optional TOML file, then environment
//! variables. Unknown keys are rejected so a typo never silently falls back to a default.
//!
//! - file: `commerce.toml` in the working directory, or the path in `COMMERCE_CONFIG`
//! - environment: `COMMERCE_<KEY>` (e.g. `COMMERCE_LOG_FORMAT=json`), plus the conventional
//!   `DATABASE_URL` and `REDIS_URL`; `COMMERCE_ROUTER_*` and `COMMERCE_STACK_*` belong to the
//!   router and the all-in-one binary, which read them themselves

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// PostgreSQL URL; when unset each domain uses a SQLite file under `data_dir`.
    pub database_url: Option<String>,
    /// Where the embedded SQLite files live.
    pub data_dir: PathBuf,
    /// Redis URL; when unset caches are in-process.
    pub redis_url: Option<String>,
    /// The subgraphs' read-through caches of hot entities and listing pages (catalog,
    /// inventory, pricing, reviews); `false` reads the database every time (to measure the
    /// uncached path). Counts, facets and the category tree stay cached either way.
    pub read_cache: bool,
    /// The catalog keeps whole answers to anonymous queries until any catalog change (with
    /// `read_cache` on); `false` executes every query (to measure the entity caches alone).
    pub subgraph_response_cache: bool,
    /// Address to listen on; each service falls back to its own default port.
    pub listen: Option<SocketAddr>,
    pub log_format: LogFormat,
    /// A `tracing` filter such as `info,commerce_catalog=debug`.
    pub log_filter: String,
    /// OpenTelemetry traces are exported to this OTLP/HTTP base URL (`http://collector:4318`);
    /// none (the default, unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set): no tracing at all.
    pub otlp_endpoint: Option<String>,
    /// The share of traces this service starts that are sampled; those a caller started keep
    /// the caller's decision.
    pub otlp_sample_ratio: f64,
    /// Largest database pool per domain.
    pub db_max_connections: u32,
    /// PostgreSQL connections that a domain's hottest reads (the catalog's listings) share,
    /// pipelined (`commerce_kernel::read_pipeline`); 0 sends them through the pool instead.
    pub db_read_connections: u32,
    /// `iss` of access tokens: the customers service signs with it, every service checks it.
    pub jwt_issuer: String,
    /// `aud` of access tokens, checked like the issuer.
    pub jwt_audience: String,
    /// Where services fetch the token-signing public keys (the customers service's
    /// `/.well-known/jwks.json`); wins over the key files below.
    pub jwks_url: Option<String>,
    /// A PEM Ed25519 public key (SPKI) to verify access tokens with, instead of a JWKS.
    pub jwt_public_key_path: Option<PathBuf>,
    /// The PEM Ed25519 private key (PKCS#8) that signs access tokens. When unset, a
    /// development key is generated under `data_dir` on first run.
    pub jwt_private_key_path: Option<PathBuf>,
    /// The key that signed access tokens before `jwt_private_key_path` was rotated: a PEM
    /// Ed25519 public key (SPKI) or private key (PKCS#8). The issuer keeps publishing it in its
    /// JWKS and verifiers with key files keep accepting it; remove it once the longest-lived
    /// token it signed has expired (`docs/identity.md`).
    pub jwt_previous_key_path: Option<PathBuf>,
    /// The longest lifetime of an access token from any accepted issuer: revoking a subject's
    /// tokens keeps its deny-list entry this long (24 h covers Auth0's default).
    pub access_token_max_lifetime_secs: u64,
    /// Access tokens of an external OpenID Connect provider, accepted beside our own
    /// (`COMMERCE_OIDC__ISSUER`, ...); see `docs/identity.md`.
    pub oidc: Option<OidcConfig>,
    /// The PEM Ed25519 private key (PKCS#8) that every subgraph signs and checks service tokens
    /// with, for calls between subgraphs. When unset, a development key under `data_dir`.
    pub service_key_path: Option<PathBuf>,
    /// Where other subgraphs are, by domain (`payments = "http://payments:4008/graphql"`, or
    /// `COMMERCE_SERVICES__PAYMENTS`); a domain not listed is on 127.0.0.1 at its default port.
    pub services: BTreeMap<String, String>,
    /// How long a call to another subgraph may take before it counts as unavailable.
    pub internal_timeout_ms: u64,
    /// Checkouts one checkout process runs at once; more wait for their turn in arrival order.
    pub max_concurrent_checkouts: usize,
    /// Prefix of the Redis Streams events go through (`<events_namespace>:<domain>`): every
    /// instance of one shop uses the same; shops (or test runs) sharing a Redis differ.
    pub events_namespace: String,
    /// A variant's stock is low when fewer units than this are available (inventory emits
    /// `inventory.stock_low` as it drops below).
    pub low_stock_threshold: i64,
    /// Outbound webhooks (the webhooks subgraph): `COMMERCE_WEBHOOKS__TIMEOUT_MS`, ...
    pub webhooks: WebhooksConfig,
    /// Where mail goes out: `smtp://user:pass@host:587?tls=required`, `smtps://...:465`, or
    /// plain `smtp://host:25`. When unset, mail is only logged (development).
    pub smtp_url: Option<String>,
    /// The sender of every mail (`Shop <shop@example.com>`).
    pub mail_from: String,
    /// Who gets staff alerts (stock running low); when unset they are only logged.
    pub staff_alert_email: Option<String>,
    /// The all-in-one stack's router keeps answers to queries this long (0: no response
    /// cache); the catalog's, pricing's and inventory's events drop what they change.
    pub response_cache_ttl_secs: u64,
    /// The all-in-one stack's router keeps each product and variant of subgraphs' `_entities`
    /// answers to anonymous requests (prices, stock, ratings of the products a page lists)
    /// this long (0: no entity cache), so pages listing products seen before skip those subgraphs; the domains' events
    /// drop them, and pricing's answers expire when a promotion's window moves.
    pub entity_cache_ttl_secs: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: None,
            data_dir: PathBuf::from("data"),
            redis_url: None,
            read_cache: true,
            subgraph_response_cache: true,
            listen: None,
            log_format: LogFormat::Plain,
            log_filter: "info".to_owned(),
            otlp_endpoint: None,
            otlp_sample_ratio: 1.0,
            db_max_connections: 10,
            db_read_connections: 2,
            jwt_issuer: "commerce".to_owned(),
            jwt_audience: "commerce".to_owned(),
            jwks_url: None,
            jwt_public_key_path: None,
            jwt_private_key_path: None,
            jwt_previous_key_path: None,
            access_token_max_lifetime_secs: 24 * 3600,
            oidc: None,
            service_key_path: None,
            services: BTreeMap::new(),
            internal_timeout_ms: 5_000,
            max_concurrent_checkouts: 32,
            events_namespace: "events".to_owned(),
            low_stock_threshold: 5,
            webhooks: WebhooksConfig::default(),
            smtp_url: None,
            mail_from: "Commerce <no-reply@localhost>".to_owned(),
            staff_alert_email: None,
            response_cache_ttl_secs: 0,
            entity_cache_ttl_secs: 300,
        }
    }
}

/// An external OpenID Connect provider (Keycloak, Auth0, ...) whose access tokens the
/// subgraphs accept beside their own. A token is the provider's when its `iss` is `issuer`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OidcConfig {
    /// The provider's `iss` (`https://idp.example/realms/shop`), checked exactly.
    pub issuer: String,
    /// The `aud` its tokens must carry for us; unset checks none (Keycloak's access tokens
    /// often name only `account` unless an audience mapper adds ours).
    pub audience: Option<String>,
    /// The provider's keys (Keycloak: `<issuer>/protocol/openid-connect/certs`, Auth0:
    /// `<issuer>.well-known/jwks.json`), fetched on the first token and again when a token names
    /// a key not seen yet, at most once per `jwks_min_refresh_secs`.
    pub jwks_url: String,
    pub jwks_min_refresh_secs: u64,
    /// The signature algorithms accepted: `RS256`, `RS384`, `RS512`, `PS256`, `ES256`, `ES384`.
    pub algorithms: Vec<String>,
    /// Dotted paths to the claims holding roles, groups and scopes (each an array of strings or
    /// a space-separated string): Keycloak `realm_access.roles`, `groups`, `scope`; Auth0
    /// `permissions`, a namespaced roles claim, `scope`. Unset paths are not read.
    pub roles_claim: Option<String>,
    pub groups_claim: Option<String>,
    pub scopes_claim: Option<String>,
    /// Role, group or scope → the staff permissions it grants (`shop-admin = ["catalog:write",
    /// "orders:read"]`). A token granted any permission is a staff member `oidc:<sub>`.
    pub permissions: BTreeMap<String, Vec<String>>,
    /// A dotted path to a claim holding the global id of one of our customers (set by a
    /// provider mapper after the accounts were linked). A token granted no permission that
    /// carries it is that customer, its groups (`groups_claim`) their customer groups; one
    /// that carries neither is anonymous.
    pub customer_id_claim: Option<String>,
}

impl Default for OidcConfig {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: None,
            jwks_url: String::new(),
            jwks_min_refresh_secs: 10,
            algorithms: vec!["RS256".to_owned(), "ES256".to_owned()],
            roles_claim: None,
            groups_claim: None,
            scopes_claim: Some("scope".to_owned()),
            permissions: BTreeMap::new(),
            customer_id_claim: None,
        }
    }
}

/// How the webhooks subgraph delivers: timeouts, concurrency, the retry schedule, secret
/// rotation and when a failing endpoint is disabled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// How long a receiver may take to answer one delivery before the attempt fails.
    pub timeout_ms: u64,
    /// Deliveries one instance sends at once.
    pub concurrency: usize,
    /// The waits before each retry (each drawn between half and all of its step, for jitter);
    /// a delivery still failing after the last one is dead-lettered. The default spans about
    /// a day: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
    pub retry_schedule_ms: Vec<u64>,
    /// How long the previous secret still signs (beside the new one) after a rotation.
    pub secret_overlap_ms: u64,
    /// An endpoint is disabled after this many consecutive failed attempts, once it has also
    /// failed for `disable_after_ms` or had a delivery dead-lettered in that run.
    pub disable_after_failures: u32,
    /// See `disable_after_failures`: 5 days by default.
    pub disable_after_ms: u64,
    /// How often an instance looks for due deliveries that no local event announced (retries,
    /// other instances' events); its own events wake it at once.
    pub poll_ms: u64,
    /// Let endpoints target loopback, private and link-local addresses. Off, an endpoint
    /// whose host is or resolves to one is refused at registration and at each delivery
    /// (SSRF); tests and the local demo stack, whose receivers run on localhost, switch it on.
    pub allow_private_targets: bool,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        const MINUTE: u64 = 60_000;
        const HOUR: u64 = 60 * MINUTE;
        Self {
            timeout_ms: 10_000,
            concurrency: 32,
            retry_schedule_ms: vec![
                5_000,
                5 * MINUTE,
                30 * MINUTE,
                2 * HOUR,
                5 * HOUR,
                10 * HOUR,
                10 * HOUR,
            ],
            secret_overlap_ms: 24 * HOUR,
            disable_after_failures: 20,
            disable_after_ms: 5 * 24 * HOUR,
            poll_ms: 250,
            allow_private_targets: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(String);

/// Loads the configuration from `commerce.toml` (or `COMMERCE_CONFIG`) and the environment.
pub fn load() -> Result<Config, ConfigError> {
    let file = std::env::var_os("COMMERCE_CONFIG")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("commerce.toml"));
    load_from(&file)
}

/// Namespaces under `COMMERCE_` that other loaders own: without skipping them, a shell that
/// configures the router or the stack would make every service reject its own configuration.
const FOREIGN_NAMESPACES: [&str; 2] = ["router_", "stack_"];

/// Loads with an explicit file path (which may not exist) layered under the environment.
pub fn load_from(file: &Path) -> Result<Config, ConfigError> {
    let own_keys = Env::prefixed("COMMERCE_")
        .ignore(&["config"])
        .split("__")
        .filter(|key| !FOREIGN_NAMESPACES.iter().any(|ns| key.starts_with(ns)));
    Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::file(file))
        .merge(own_keys)
        .merge(Env::raw().only(&["database_url", "redis_url"]))
        .extract()
        .map_err(|error| ConfigError(error.to_string()))
}

impl Config {
    /// The address to bind, given the service's default port.
    pub fn listen_or(&self, default_port: u16) -> SocketAddr {
        self.listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], default_port)))
    }
}

#[cfg(test)]
mod tests {
    use figment::Jail;

    use super::*;

    #[test]
    // figment's `Jail` API fixes the closure's (large) error type.
    #[allow(clippy::result_large_err)]
    fn layers_file_then_environment_and_rejects_unknown_keys() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "commerce.toml",
                "log_format = \"json\"\ndata_dir = \"/srv/data\"",
            )?;
            jail.set_env("COMMERCE_DATA_DIR", "/tmp/elsewhere");
            jail.set_env("DATABASE_URL", "postgres://localhost/shop");
            let config = load_from(Path::new("commerce.toml")).expect("valid config");
            assert_eq!(config.log_format, LogFormat::Json);
            assert_eq!(config.data_dir, PathBuf::from("/tmp/elsewhere"));
            assert_eq!(
                config.database_url.as_deref(),
                Some("postgres://localhost/shop")
            );

            jail.set_env(
                "COMMERCE_SERVICES__PAYMENTS",
                "http://payments:4008/graphql",
            );
            let config = load_from(Path::new("commerce.toml")).expect("valid config");
            assert_eq!(
                config.services.get("payments").map(String::as_str),
                Some("http://payments:4008/graphql")
            );

            jail.set_env("COMMERCE_DATABSE_URL", "typo");
            let error = load_from(Path::new("commerce.toml")).expect_err("unknown key");
            assert!(error.to_string().contains("databse_url"), "{error}");
            Ok(())
        });
    }

    #[test]
    // As above: `Jail` fixes the closure's error type.
    #[allow(clippy::result_large_err)]
    fn leaves_the_router_and_stack_variables_to_their_own_loaders() {
        Jail::expect_with(|jail| {
            jail.set_env("COMMERCE_ROUTER_LISTEN", "127.0.0.1:4100");
            jail.set_env("COMMERCE_STACK_DEMO_DATA", "none");
            jail.set_env("COMMERCE_LOG_FILTER", "warn");
            let config = load_from(Path::new("commerce.toml")).expect("valid config");
            assert_eq!(config.log_filter, "warn");
            Ok(())
        });
    }
}
