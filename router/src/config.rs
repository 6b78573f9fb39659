//! Router configuration: CLI flags and `COMMERCE_ROUTER_*` environment variables over an
//! optional YAML file over defaults.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use serde::Deserialize;

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

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub listen: SocketAddr,
    pub supergraph: Option<PathBuf>,
    /// Per-subgraph settings keyed by the subgraph name in the supergraph.
    pub subgraphs: HashMap<String, SubgraphConfig>,
    /// Default timeout for one subgraph request, in milliseconds.
    pub subgraph_timeout_ms: u64,
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
    pub limits: crate::pipeline::limits::OperationLimits,
    pub graphiql: bool,
    pub introspection: bool,
    /// Watch the supergraph file and swap in valid new versions.
    pub hot_reload: bool,
    pub reload_poll_ms: u64,
    /// Progressive `@override` labels that are switched on for every request.
    pub override_flags: Vec<String>,
    /// Client request headers passed on to subgraphs (case-insensitive names).
    pub forward_headers: Vec<String>,
    /// PEM certificates trusted for `https://` subgraphs besides the public roots (a private CA).
    pub subgraph_ca_file: Option<PathBuf>,
    pub authentication: AuthenticationConfig,
    pub authorization: AuthorizationConfig,
    pub telemetry: TelemetryConfig,
    pub rate_limit: crate::rate_limit::RateLimitConfig,
    pub batching: BatchingConfig,
}

/// What the router lets one client connection or request hold. Timeouts and caps of 0 are off.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Time for a request's headers to arrive. hyper starts the clock when it starts waiting
    /// for a request, so this is also how long a keep-alive connection may sit idle.
    pub header_read_timeout_ms: u64,
    /// Time for a request's whole body to arrive, from the end of its headers (then 408).
    pub body_read_timeout_ms: u64,
    /// Open client connections; a connection past it is answered 503 and closed.
    pub max_connections: usize,
    /// Requests being processed once their body is in; past it 503 with `Retry-After`.
    pub max_concurrent_requests: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            // Apollo Router's default; behind a load balancer whose idle timeout is longer,
            // raise it above that one so the balancer never reuses a connection being closed.
            header_read_timeout_ms: 10_000,
            // A 2 MB body at 70 KB/s; real operations are a few KB.
            body_read_timeout_ms: 30_000,
            max_connections: 10_000,
            max_concurrent_requests: 1_024,
        }
    }
}

impl ServerConfig {
    pub fn header_read_timeout(&self) -> Option<Duration> {
        millis(self.header_read_timeout_ms)
    }

    pub fn body_read_timeout(&self) -> Option<Duration> {
        millis(self.body_read_timeout_ms)
    }
}

fn millis(ms: u64) -> Option<Duration> {
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// Several operations in one POST (a JSON array), as Apollo Client's `BatchHttpLink` sends.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BatchingConfig {
    pub enabled: bool,
    pub max_size: usize,
}

impl Default for BatchingConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            max_size: 32,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Serve Prometheus metrics at `metrics_path` on the router's own address.
    pub metrics: bool,
    pub metrics_path: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            metrics: true,
            metrics_path: "/metrics".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthenticationConfig {
    /// Bearer JWTs; without it every request is unauthenticated.
    pub jwt: Option<crate::auth::jwt::JwtConfig>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnauthorizedMode {
    /// Run the rest; those fields read as null, each with an error.
    Filter,
    /// Refuse the whole operation.
    Reject,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SubgraphConfig {
    pub url: Option<String>,
    pub timeout_ms: Option<u64>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorsConfig {
    pub enabled: bool,
    /// `["*"]` allows any origin (without credentials).
    pub allow_origins: Vec<String>,
    pub allow_credentials: bool,
    pub max_age_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DedupeConfig {
    /// Identical in-flight subgraph query fetches share one request.
    pub subgraph: bool,
    /// Identical in-flight client queries share one execution (off by default).
    pub inbound: bool,
}

#[derive(Debug, Clone, Deserialize)]
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

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 4000)),
            supergraph: None,
            subgraphs: HashMap::new(),
            subgraph_timeout_ms: 30_000,
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
            override_flags: Vec::new(),
            // Subgraphs verify the viewer's token themselves and rate-limit by client address.
            forward_headers: vec!["authorization".to_string(), "x-forwarded-for".to_string()],
            subgraph_ca_file: None,
            authentication: AuthenticationConfig::default(),
            authorization: AuthorizationConfig::default(),
            telemetry: TelemetryConfig::default(),
            rate_limit: Default::default(),
            batching: BatchingConfig::default(),
        }
    }
}

impl Default for CorsConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            allow_origins: vec!["*".to_string()],
            allow_credentials: false,
            max_age_secs: 600,
        }
    }
}

impl Default for DedupeConfig {
    fn default() -> Self {
        Self {
            subgraph: true,
            inbound: false,
        }
    }
}

impl Config {
    /// Loads the configuration the binary runs with: YAML file (if any), then environment
    /// variables, then flags.
    pub fn load(cli: Cli) -> anyhow::Result<Self> {
        let mut config = match &cli.config {
            Some(path) => Self::from_yaml_file(path)?,
            None => Self::default(),
        };
        config.apply_env(std::env::vars())?;
        // The project-wide switch for Redis, as the subgraphs read it.
        let redis_url = std::env::var("REDIS_URL").ok();
        if config.persisted_queries.redis_url.is_none() {
            config.persisted_queries.redis_url.clone_from(&redis_url);
        }
        if config.rate_limit.redis_url.is_none() {
            config.rate_limit.redis_url = redis_url;
        }
        if let Some(path) = cli.supergraph {
            config.supergraph = Some(path);
        }
        if let Some(listen) = cli.listen {
            config.listen = listen;
        }
        if let Some(inbound) = cli.inbound_dedupe {
            config.dedupe.inbound = inbound;
        }
        Ok(config)
    }

    pub fn from_yaml_file(path: &std::path::Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config file {}", path.display()))?;
        serde_yaml::from_str(&text)
            .with_context(|| format!("parsing config file {}", path.display()))
    }

    /// Settings without a flag: `COMMERCE_ROUTER_SUBGRAPH_URL_<NAME>`, timeouts, body limit.
    pub fn apply_env(
        &mut self,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> anyhow::Result<()> {
        for (key, value) in vars {
            let Some(name) = key.strip_prefix("COMMERCE_ROUTER_") else {
                continue;
            };
            let parse_u64 = || {
                value
                    .parse::<u64>()
                    .with_context(|| format!("{key} must be a number"))
            };
            match name {
                "SUBGRAPH_TIMEOUT_MS" => self.subgraph_timeout_ms = parse_u64()?,
                "PLANNING_TIMEOUT_MS" => self.planning_timeout_ms = parse_u64()?,
                "EXECUTION_TIMEOUT_MS" => self.execution_timeout_ms = parse_u64()?,
                "LIMITS_MAX_DEPTH" => self.limits.max_depth = parse_u64()?,
                "LIMITS_MAX_ALIASES" => self.limits.max_aliases = parse_u64()?,
                "LIMITS_MAX_ROOT_FIELDS" => self.limits.max_root_fields = parse_u64()?,
                "LIMITS_MAX_TOKENS" => self.limits.max_tokens = parse_u64()?,
                "LIMITS_MAX_EXPANDED_FIELDS" => self.limits.max_expanded_fields = parse_u64()?,
                "LIMITS_MAX_FRAGMENTS" => self.limits.max_fragments = parse_u64()?,
                "LIMITS_MAX_DIRECTIVES" => self.limits.max_directives = parse_u64()?,
                "LIMITS_MAX_ARGUMENTS" => self.limits.max_arguments = parse_u64()?,
                "FETCH_NESTED_ENTITIES_BY_KEY" => {
                    self.fetch_nested_entities_by_key = parse_bool(&key, &value)?;
                }
                "BODY_LIMIT" => {
                    self.body_limit =
                        usize::try_from(parse_u64()?).context("body limit too large")?
                }
                "HEADER_READ_TIMEOUT_MS" => self.server.header_read_timeout_ms = parse_u64()?,
                "BODY_READ_TIMEOUT_MS" => self.server.body_read_timeout_ms = parse_u64()?,
                "MAX_CONNECTIONS" => {
                    self.server.max_connections =
                        usize::try_from(parse_u64()?).context("connection cap too large")?;
                }
                "MAX_CONCURRENT_REQUESTS" => {
                    self.server.max_concurrent_requests =
                        usize::try_from(parse_u64()?).context("request cap too large")?;
                }
                "SUBGRAPH_DEDUPE" => self.dedupe.subgraph = parse_bool(&key, &value)?,
                "INTROSPECTION" => self.introspection = parse_bool(&key, &value)?,
                "GRAPHIQL" => self.graphiql = parse_bool(&key, &value)?,
                "PERSISTED_QUERIES" => {
                    self.persisted_queries.enabled = parse_bool(&key, &value)?;
                }
                "PERSISTED_QUERIES_REDIS_URL" => {
                    self.persisted_queries.redis_url = Some(value.clone());
                }
                "HOT_RELOAD" => self.hot_reload = parse_bool(&key, &value)?,
                "PERSISTED_QUERIES_MANIFEST" => {
                    self.persisted_queries.manifest = Some(PathBuf::from(&value));
                }
                "SAFELIST" => self.persisted_queries.safelist = parse_bool(&key, &value)?,
                "JWKS_URLS" => {
                    let urls = value.split(',').map(str::trim).filter(|u| !u.is_empty());
                    self.authentication
                        .jwt
                        .get_or_insert_with(Default::default)
                        .jwks_urls = urls.map(String::from).collect();
                }
                "REQUIRE_AUTHENTICATION" => {
                    self.authorization.require_authentication = parse_bool(&key, &value)?;
                }
                "RATE_LIMIT_RPS" => {
                    self.rate_limit.requests_per_second =
                        u32::try_from(parse_u64()?).context("rate limit too large")?;
                }
                "RATE_LIMIT_BURST" => {
                    self.rate_limit.burst =
                        u32::try_from(parse_u64()?).context("burst too large")?;
                }
                "METRICS" => self.telemetry.metrics = parse_bool(&key, &value)?,
                "BATCHING" => self.batching.enabled = parse_bool(&key, &value)?,
                other => {
                    if let Some(subgraph) = other.strip_prefix("SUBGRAPH_URL_") {
                        self.subgraphs
                            .entry(subgraph.to_lowercase())
                            .or_default()
                            .url = Some(value.clone());
                    }
                }
            }
        }
        Ok(())
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

fn parse_bool(key: &str, value: &str) -> anyhow::Result<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => anyhow::bail!("{key} must be true or false"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_overrides_defaults_and_env_overrides_yaml() {
        let mut config: Config = serde_yaml::from_str(
            "listen: 0.0.0.0:5000\nsubgraphs:\n  products:\n    url: http://p:1/graphql\n    timeout_ms: 50\ndedupe:\n  inbound: true\npersisted_queries:\n  redis_ttl_secs: 60\n",
        )
        .expect("valid yaml");
        assert_eq!(config.listen.port(), 5000);
        assert_eq!(config.persisted_queries.redis_ttl_secs, 60);
        assert!(config.dedupe.inbound);
        assert!(config.dedupe.subgraph, "unset keys keep their default");
        config
            .apply_env([
                (
                    "COMMERCE_ROUTER_SUBGRAPH_URL_REVIEWS".to_string(),
                    "http://r/graphql".to_string(),
                ),
                ("COMMERCE_ROUTER_BODY_LIMIT".to_string(), "10".to_string()),
                (
                    "COMMERCE_ROUTER_BODY_READ_TIMEOUT_MS".to_string(),
                    "0".to_string(),
                ),
                (
                    "COMMERCE_ROUTER_MAX_CONNECTIONS".to_string(),
                    "300".to_string(),
                ),
                (
                    "COMMERCE_ROUTER_PERSISTED_QUERIES_REDIS_URL".to_string(),
                    "redis://cache:6379".to_string(),
                ),
                (
                    "COMMERCE_ROUTER_JWKS_URLS".to_string(),
                    "https://a/jwks.json, https://b/jwks.json".to_string(),
                ),
                (
                    "COMMERCE_ROUTER_RATE_LIMIT_RPS".to_string(),
                    "50".to_string(),
                ),
                ("COMMERCE_ROUTER_SAFELIST".to_string(), "true".to_string()),
                (
                    "COMMERCE_ROUTER_FETCH_NESTED_ENTITIES_BY_KEY".to_string(),
                    "false".to_string(),
                ),
            ])
            .expect("valid env");
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

    /// The README's configuration example is a valid configuration (unknown keys are
    /// rejected), so it cannot drift from the code.
    #[test]
    fn the_readme_example_parses() {
        let readme = include_str!("../README.md");
        let start = readme.find("```yaml\n").expect("a YAML block") + "```yaml\n".len();
        let end = start + readme[start..].find("```").expect("the end of the block");
        let config: Config = serde_yaml::from_str(&readme[start..end]).expect("valid example");
        assert_eq!(config.rate_limit.key_header.as_deref(), Some("x-api-key"));
        assert!(config.authentication.jwt.is_some());
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
        let mut config = Config::default();
        assert!(
            config
                .apply_env([(
                    "COMMERCE_ROUTER_HOT_RELOAD".to_string(),
                    "maybe".to_string()
                )])
                .is_err()
        );
    }
}
