//! Router configuration, layered with figment as the kernel's is: defaults, then the optional
//! YAML file, then `COMMERCE_ROUTER_*` environment variables (`env.rs`), then flags. Unknown
//! keys and variables are refused. One file per area; every config type lives here.

mod auth;
mod demand_control;
mod env;
mod limits;
mod persisted_queries;
mod rate_limit;
mod response_cache;
mod server;
mod subgraphs;
mod subscriptions;
mod telemetry;
mod traffic;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use figment::Figment;
use figment::providers::{Format, Serialized, Yaml};
use serde::{Deserialize, Serialize};

pub use auth::{AuthenticationConfig, AuthorizationConfig, JwtConfig, UnauthorizedMode};
pub use demand_control::DemandControlConfig;
pub use limits::OperationLimits;
pub use persisted_queries::PersistedQueriesConfig;
pub use rate_limit::{RateLimitConfig, TierRate};
pub use response_cache::{EntityCacheConfig, ResponseCacheConfig};
pub use server::{BatchingConfig, CorsConfig, ServerConfig};
pub use subgraphs::{DedupeConfig, SubgraphConfig};
pub use subscriptions::SubscriptionsConfig;
pub use telemetry::TelemetryConfig;
pub use traffic::{CircuitBreakerConfig, RetryConfig, TrafficConfig};

/// Command line of the `commerce-router` binary.
#[derive(Debug, Parser)]
#[command(
    name = "commerce-router",
    about = "A Federation v2 GraphQL router",
    version
)]
pub struct Cli {
    /// Path to the supergraph SDL (reloaded when it changes).
    #[arg(long, env = "COMMERCE_ROUTER_SUPERGRAPH")]
    pub supergraph: Option<PathBuf>,
    /// Address to listen on.
    #[arg(long, env = "COMMERCE_ROUTER_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Optional YAML configuration file.
    #[arg(long, env = "COMMERCE_ROUTER_CONFIG")]
    pub config: Option<PathBuf>,
    /// Share one execution among identical concurrent queries.
    #[arg(long, env = "COMMERCE_ROUTER_INBOUND_DEDUPE")]
    pub inbound_dedupe: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    pub supergraph: Option<PathBuf>,
    /// Per-subgraph settings keyed by the subgraph name in the supergraph.
    pub subgraphs: HashMap<String, SubgraphConfig>,
    /// Default timeout for one subgraph request, in milliseconds.
    pub subgraph_timeout_ms: u64,
    /// Circuit breaking and retries of subgraph fetches (per subgraph under `subgraphs`).
    pub traffic: TrafficConfig,
    pub planning_timeout_ms: u64,
    /// Deadline for executing a planned operation (every subgraph fetch, merge and the
    /// response), in milliseconds; 0 switches it off.
    pub execution_timeout_ms: u64,
    /// Fetch an entity's fan-out once per distinct entity instead of under each of its
    /// positions (one more subgraph round trip; see the router README).
    pub fetch_nested_entities_by_key: bool,
    /// Maximum request body size in bytes.
    pub body_limit: usize,
    /// Client connections: timeouts and caps against slow and flooding clients.
    pub server: ServerConfig,
    pub cors: CorsConfig,
    pub dedupe: DedupeConfig,
    pub persisted_queries: PersistedQueriesConfig,
    pub limits: OperationLimits,
    pub graphiql: bool,
    pub introspection: bool,
    /// Watch the supergraph file and swap in valid new versions.
    pub hot_reload: bool,
    pub reload_poll_ms: u64,
    /// How many of the most used operations a reload prepares for the new supergraph
    /// before it serves (0: none; they are planned again on their next request).
    pub reload_warm_operations: usize,
    /// Progressive `@override` labels that are switched on for every request.
    pub override_flags: Vec<String>,
    /// Client request headers passed on to subgraphs (case-insensitive names).
    pub forward_headers: Vec<String>,
    /// PEM certificates trusted for `https://` subgraphs besides the public roots (a private CA).
    pub subgraph_ca_file: Option<PathBuf>,
    pub authentication: AuthenticationConfig,
    pub authorization: AuthorizationConfig,
    pub telemetry: TelemetryConfig,
    pub rate_limit: RateLimitConfig,
    pub batching: BatchingConfig,
    pub subscriptions: SubscriptionsConfig,
    pub response_cache: ResponseCacheConfig,
    pub entity_cache: EntityCacheConfig,
    pub demand_control: DemandControlConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            supergraph: None,
            subgraphs: HashMap::new(),
            subgraph_timeout_ms: 30_000,
            traffic: TrafficConfig::default(),
            planning_timeout_ms: 10_000,
            execution_timeout_ms: 60_000,
            fetch_nested_entities_by_key: true,
            body_limit: 2 * 1024 * 1024,
            server: ServerConfig::default(),
            cors: CorsConfig::default(),
            dedupe: DedupeConfig::default(),
            persisted_queries: PersistedQueriesConfig::default(),
            limits: Default::default(),
            graphiql: true,
            introspection: true,
            hot_reload: true,
            reload_poll_ms: 1_000,
            reload_warm_operations: 256,
            override_flags: Vec::new(),
            // Subgraphs verify the viewer's token themselves and rate-limit by client address.
            forward_headers: vec!["authorization".to_string(), "x-forwarded-for".to_string()],
            subgraph_ca_file: None,
            authentication: AuthenticationConfig::default(),
            authorization: AuthorizationConfig::default(),
            telemetry: TelemetryConfig::default(),
            rate_limit: Default::default(),
            batching: BatchingConfig::default(),
            subscriptions: SubscriptionsConfig::default(),
            response_cache: ResponseCacheConfig::default(),
            entity_cache: EntityCacheConfig::default(),
            demand_control: DemandControlConfig::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("unknown environment variable {name}; the router reads {known}")]
    UnknownVariable { name: String, known: String },
    #[error("{name} must be {expected}, got {value:?}")]
    InvalidVariable {
        name: String,
        expected: &'static str,
        value: String,
    },
    #[error("invalid configuration: {0}")]
    Invalid(Box<figment::Error>),
}

impl From<figment::Error> for ConfigError {
    fn from(error: figment::Error) -> Self {
        Self::Invalid(Box::new(error))
    }
}

impl Config {
    /// Loads the configuration the binary runs with, from the process environment.
    pub fn load(cli: Cli) -> Result<Self, ConfigError> {
        Self::load_from(cli, std::env::vars())
    }

    /// Defaults, then the YAML file (if any), then the router's variables among `vars`, then
    /// flags; `REDIS_URL` (among `vars`) is the Redis of whatever names none.
    pub fn load_from(
        cli: Cli,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Self, ConfigError> {
        let vars: Vec<(String, String)> = vars.into_iter().collect();
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        if let Some(path) = &cli.config {
            figment = figment.merge(Yaml::file_exact(path));
        }
        for (key, value) in env::overrides(vars.iter().cloned())? {
            figment = figment.merge(Serialized::default(&key, value));
        }
        if let Some(path) = cli.supergraph {
            figment = figment.merge(Serialized::default("supergraph", path));
        }
        if let Some(listen) = cli.listen {
            figment = figment.merge(Serialized::default("listen", listen));
        }
        if let Some(inbound) = cli.inbound_dedupe {
            figment = figment.merge(Serialized::default("dedupe.inbound", inbound));
        }
        let mut config: Self = figment.extract()?;
        // The project-wide switch for Redis, as the subgraphs read it.
        let redis_url = vars
            .into_iter()
            .find_map(|(name, value)| (name == "REDIS_URL").then_some(value));
        if config.persisted_queries.redis_url.is_none() {
            config.persisted_queries.redis_url.clone_from(&redis_url);
        }
        if config.response_cache.redis_url.is_none() {
            config.response_cache.redis_url.clone_from(&redis_url);
        }
        if config.rate_limit.redis_url.is_none() {
            config.rate_limit.redis_url = redis_url;
        }
        Ok(config)
    }

    /// Defaults under a YAML file.
    pub fn from_yaml_file(path: &Path) -> Result<Self, ConfigError> {
        Ok(Figment::from(Serialized::defaults(Self::default()))
            .merge(Yaml::file_exact(path))
            .extract()?)
    }

    /// Sets a subgraph's URL, replacing the one in the supergraph.
    pub fn with_subgraph_url(mut self, subgraph: &str, url: impl Into<String>) -> Self {
        self.subgraphs.entry(subgraph.to_string()).or_default().url = Some(url.into());
        self
    }

    pub fn url_overrides(&self) -> HashMap<String, String> {
        self.subgraphs
            .iter()
            .filter_map(|(name, s)| s.url.clone().map(|url| (name.clone(), url)))
            .collect()
    }

    /// The certificates of `subgraph_ca_file`, if one is configured.
    pub fn subgraph_roots(
        &self,
    ) -> anyhow::Result<Vec<rustls::pki_types::CertificateDer<'static>>> {
        use rustls::pki_types::pem::PemObject;
        let Some(path) = &self.subgraph_ca_file else {
            return Ok(Vec::new());
        };
        rustls::pki_types::CertificateDer::pem_file_iter(path)
            .and_then(|certificates| certificates.collect::<Result<Vec<_>, _>>())
            .with_context(|| format!("reading subgraph CA certificates from {}", path.display()))
    }

    pub fn subgraph_timeouts(&self) -> HashMap<String, Duration> {
        self.subgraphs
            .iter()
            .filter_map(|(name, s)| {
                s.timeout_ms
                    .map(|ms| (name.clone(), Duration::from_millis(ms)))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn cli(config: Option<&Path>) -> Cli {
        Cli {
            supergraph: None,
            listen: None,
            config: config.map(Path::to_path_buf),
            inbound_dedupe: None,
        }
    }

    fn yaml_file(text: &str) -> tempfile::NamedTempFile {
        let mut file = tempfile::Builder::new()
            .suffix(".yaml")
            .tempfile()
            .expect("temp file");
        file.write_all(text.as_bytes()).expect("write config");
        file
    }

    fn vars<const N: usize>(pairs: [(&str, &str); N]) -> Vec<(String, String)> {
        pairs
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect()
    }

    #[test]
    fn yaml_overrides_defaults_and_env_overrides_yaml() {
        let file = yaml_file(
            "listen: 0.0.0.0:5000\nsubgraphs:\n  products:\n    url: http://p:1/graphql\n    timeout_ms: 50\ndedupe:\n  inbound: true\npersisted_queries:\n  redis_ttl_secs: 60\n",
        );
        let config = Config::load_from(
            cli(Some(file.path())),
            vars([
                ("COMMERCE_ROUTER_SUBGRAPH_URL_REVIEWS", "http://r/graphql"),
                ("COMMERCE_ROUTER_BODY_LIMIT", "10"),
                ("COMMERCE_ROUTER_BODY_READ_TIMEOUT_MS", "0"),
                ("COMMERCE_ROUTER_MAX_CONNECTIONS", "300"),
                (
                    "COMMERCE_ROUTER_PERSISTED_QUERIES_REDIS_URL",
                    "redis://cache:6379",
                ),
                (
                    "COMMERCE_ROUTER_JWKS_URLS",
                    "https://a/jwks.json, https://b/jwks.json",
                ),
                ("COMMERCE_ROUTER_RATE_LIMIT_RPS", "50"),
                ("COMMERCE_ROUTER_SAFELIST", "true"),
                ("COMMERCE_ROUTER_FETCH_NESTED_ENTITIES_BY_KEY", "false"),
            ]),
        )
        .expect("valid config");
        assert_eq!(config.listen.port(), 5000);
        assert_eq!(config.persisted_queries.redis_ttl_secs, 60);
        assert!(config.dedupe.inbound);
        assert!(config.dedupe.subgraph, "unset keys keep their default");
        assert!(!config.fetch_nested_entities_by_key);
        assert_eq!(
            config
                .authentication
                .jwt
                .as_ref()
                .map(|j| j.jwks_urls.len()),
            Some(2)
        );
        assert_eq!(config.rate_limit.requests_per_second, 50);
        assert!(config.persisted_queries.safelist);
        assert_eq!(config.body_limit, 10);
        assert_eq!(config.server.body_read_timeout(), None);
        assert_eq!(config.server.max_connections, 300);
        assert_eq!(
            config.server.header_read_timeout(),
            Some(Duration::from_secs(10)),
            "unset keys keep their default"
        );
        assert_eq!(
            config.persisted_queries.redis_url.as_deref(),
            Some("redis://cache:6379")
        );
        let overrides = config.url_overrides();
        assert_eq!(overrides["reviews"], "http://r/graphql");
        assert_eq!(overrides["products"], "http://p:1/graphql");
        assert_eq!(
            config.subgraph_timeouts()["products"],
            Duration::from_millis(50)
        );
    }

    #[test]
    fn flags_override_the_environment_which_overrides_the_file() {
        let file = yaml_file(
            "listen: 127.0.0.1:5000\nsupergraph: file.graphql\nauthentication:\n  jwt:\n    issuers: [https://idp.example]\n",
        );
        let mut flags = cli(Some(file.path()));
        flags.listen = Some(SocketAddr::from(([127, 0, 0, 1], 7000)));
        let config = Config::load_from(
            flags,
            vars([
                ("COMMERCE_ROUTER_LISTEN", "127.0.0.1:6000"),
                ("COMMERCE_ROUTER_SUPERGRAPH", "env.graphql"),
                ("COMMERCE_ROUTER_JWKS_URLS", "https://idp.example/jwks.json"),
            ]),
        )
        .expect("valid config");
        assert_eq!(config.listen.port(), 7000);
        assert_eq!(config.supergraph, Some(PathBuf::from("env.graphql")));
        let jwt = config.authentication.jwt.expect("jwt");
        assert_eq!(jwt.issuers, ["https://idp.example"], "the file's keys stay");
        assert_eq!(jwt.jwks_urls, ["https://idp.example/jwks.json"]);
    }

    #[test]
    fn redis_url_is_the_redis_of_whatever_names_none() {
        let config = Config::load_from(
            cli(None),
            vars([
                ("REDIS_URL", "redis://shared:6379"),
                (
                    "COMMERCE_ROUTER_PERSISTED_QUERIES_REDIS_URL",
                    "redis://apq:6379",
                ),
            ]),
        )
        .expect("valid config");
        assert_eq!(
            config.persisted_queries.redis_url.as_deref(),
            Some("redis://apq:6379")
        );
        assert_eq!(
            config.rate_limit.redis_url.as_deref(),
            Some("redis://shared:6379")
        );
        let config = Config::load_from(cli(None), vars([])).expect("defaults");
        assert_eq!(config.rate_limit.redis_url, None);
    }

    /// The README's configuration example is a valid configuration (unknown keys are
    /// rejected), so it cannot drift from the code.
    #[test]
    fn the_readme_example_parses() {
        let readme = include_str!("../../README.md");
        let start = readme.find("```yaml\n").expect("a YAML block") + "```yaml\n".len();
        let end = start + readme[start..].find("```").expect("the end of the block");
        let config: Config = serde_yaml::from_str(&readme[start..end]).expect("valid example");
        assert_eq!(config.rate_limit.key_header.as_deref(), Some("x-api-key"));
        assert!(config.authentication.jwt.is_some());
        let file = yaml_file(&readme[start..end]);
        let loaded = Config::from_yaml_file(file.path()).expect("the loader reads it too");
        assert_eq!(loaded.rate_limit, config.rate_limit);
        assert_eq!(loaded.authentication, config.authentication);
    }

    #[test]
    fn reads_authentication_and_authorization() {
        let config: Config = serde_yaml::from_str(
            "authentication:\n  jwt:\n    jwks_urls: [https://idp.example/.well-known/jwks.json]\n    issuers: [https://idp.example]\nauthorization:\n  unauthorized: reject\n  require_authentication: true\n",
        )
        .expect("valid yaml");
        let jwt = config.authentication.jwt.expect("jwt");
        assert_eq!(jwt.issuers, ["https://idp.example"]);
        assert_eq!(jwt.header_prefix, "Bearer", "unset keys keep their default");
        assert_eq!(config.authorization.unauthorized, UnauthorizedMode::Reject);
        assert!(config.authorization.require_authentication);
        assert!(config.authorization.directives);
        assert!(
            serde_yaml::from_str::<Config>("authorization:\n  unauthorized: ignore\n").is_err()
        );
    }

    #[test]
    fn rejects_unknown_yaml_keys_and_bad_env_values() {
        assert!(serde_yaml::from_str::<Config>("listne: 1").is_err());
        let file = yaml_file("listne: 1\n");
        let error = Config::from_yaml_file(file.path()).expect_err("unknown key");
        assert!(error.to_string().contains("listne"), "{error}");
        assert!(
            Config::load_from(cli(None), vars([("COMMERCE_ROUTER_HOT_RELOAD", "maybe")])).is_err()
        );
    }

    #[test]
    fn rejects_a_missing_config_file() {
        let error = Config::load_from(cli(Some(Path::new("/nonexistent/router.yaml"))), vars([]))
            .expect_err("missing file");
        assert!(
            error.to_string().contains("/nonexistent/router.yaml"),
            "{error}"
        );
    }
}
