//! The `COMMERCE_ROUTER_*` environment variables: each one's configuration key, parsed into a
//! figment layer. A variable the router does not know is refused, so a typo never silently
//! leaves a default in place.

use figment::value::Value;

use super::ConfigError;

pub const PREFIX: &str = "COMMERCE_ROUTER_";

/// `COMMERCE_ROUTER_SUBGRAPH_URL_<NAME>` sets `subgraphs.<name>.url` (the name lowercased).
const SUBGRAPH_URL: &str = "SUBGRAPH_URL_";

#[derive(Debug, Clone, Copy)]
enum Kind {
    Number,
    /// A decimal number (`0.25`).
    Fraction,
    Bool,
    Text,
    /// Comma-separated, blanks dropped.
    List,
}

/// Each variable (without the prefix), the key it sets and how its value reads. `None`: read
/// by the command line parser (the file's path), not a configuration key.
const VARIABLES: &[(&str, Option<&str>, Kind)] = &[
    ("SUPERGRAPH", Some("supergraph"), Kind::Text),
    ("LISTEN", Some("listen"), Kind::Text),
    ("CONFIG", None, Kind::Text),
    ("INBOUND_DEDUPE", Some("dedupe.inbound"), Kind::Bool),
    (
        "SUBGRAPH_TIMEOUT_MS",
        Some("subgraph_timeout_ms"),
        Kind::Number,
    ),
    (
        "PLANNING_TIMEOUT_MS",
        Some("planning_timeout_ms"),
        Kind::Number,
    ),
    (
        "EXECUTION_TIMEOUT_MS",
        Some("execution_timeout_ms"),
        Kind::Number,
    ),
    ("LIMITS_MAX_DEPTH", Some("limits.max_depth"), Kind::Number),
    (
        "LIMITS_MAX_ALIASES",
        Some("limits.max_aliases"),
        Kind::Number,
    ),
    (
        "LIMITS_MAX_ROOT_FIELDS",
        Some("limits.max_root_fields"),
        Kind::Number,
    ),
    ("LIMITS_MAX_TOKENS", Some("limits.max_tokens"), Kind::Number),
    (
        "LIMITS_MAX_EXPANDED_FIELDS",
        Some("limits.max_expanded_fields"),
        Kind::Number,
    ),
    (
        "LIMITS_MAX_FRAGMENTS",
        Some("limits.max_fragments"),
        Kind::Number,
    ),
    (
        "LIMITS_MAX_DIRECTIVES",
        Some("limits.max_directives"),
        Kind::Number,
    ),
    (
        "LIMITS_MAX_ARGUMENTS",
        Some("limits.max_arguments"),
        Kind::Number,
    ),
    (
        "FETCH_NESTED_ENTITIES_BY_KEY",
        Some("fetch_nested_entities_by_key"),
        Kind::Bool,
    ),
    ("BODY_LIMIT", Some("body_limit"), Kind::Number),
    (
        "HEADER_READ_TIMEOUT_MS",
        Some("server.header_read_timeout_ms"),
        Kind::Number,
    ),
    (
        "BODY_READ_TIMEOUT_MS",
        Some("server.body_read_timeout_ms"),
        Kind::Number,
    ),
    (
        "MAX_CONNECTIONS",
        Some("server.max_connections"),
        Kind::Number,
    ),
    (
        "MAX_CONCURRENT_REQUESTS",
        Some("server.max_concurrent_requests"),
        Kind::Number,
    ),
    ("SUBGRAPH_DEDUPE", Some("dedupe.subgraph"), Kind::Bool),
    ("INTROSPECTION", Some("introspection"), Kind::Bool),
    ("GRAPHIQL", Some("graphiql"), Kind::Bool),
    ("HOT_RELOAD", Some("hot_reload"), Kind::Bool),
    (
        "PERSISTED_QUERIES",
        Some("persisted_queries.enabled"),
        Kind::Bool,
    ),
    (
        "PERSISTED_QUERIES_REDIS_URL",
        Some("persisted_queries.redis_url"),
        Kind::Text,
    ),
    (
        "PERSISTED_QUERIES_MANIFEST",
        Some("persisted_queries.manifest"),
        Kind::Text,
    ),
    ("SAFELIST", Some("persisted_queries.safelist"), Kind::Bool),
    (
        "JWKS_URLS",
        Some("authentication.jwt.jwks_urls"),
        Kind::List,
    ),
    (
        "REQUIRE_AUTHENTICATION",
        Some("authorization.require_authentication"),
        Kind::Bool,
    ),
    (
        "RATE_LIMIT_RPS",
        Some("rate_limit.requests_per_second"),
        Kind::Number,
    ),
    ("RATE_LIMIT_BURST", Some("rate_limit.burst"), Kind::Number),
    (
        "RATE_LIMIT_TIER_CLAIM",
        Some("rate_limit.tier_claim"),
        Kind::Text,
    ),
    ("METRICS", Some("telemetry.metrics"), Kind::Bool),
    ("OTLP_ENDPOINT", Some("telemetry.otlp_endpoint"), Kind::Text),
    (
        "OTLP_SAMPLE_RATIO",
        Some("telemetry.otlp_sample_ratio"),
        Kind::Fraction,
    ),
    ("BATCHING", Some("batching.enabled"), Kind::Bool),
    ("SUBSCRIPTIONS", Some("subscriptions.enabled"), Kind::Bool),
    (
        "MAX_SUBSCRIPTIONS",
        Some("subscriptions.max_total"),
        Kind::Number,
    ),
    ("RESPONSE_CACHE", Some("response_cache.enabled"), Kind::Bool),
    ("ENTITY_CACHE", Some("entity_cache.enabled"), Kind::Bool),
    (
        "ENTITY_CACHE_TTL_SECS",
        Some("entity_cache.default_ttl_secs"),
        Kind::Number,
    ),
    (
        "RESPONSE_CACHE_TTL_SECS",
        Some("response_cache.default_ttl_secs"),
        Kind::Number,
    ),
    (
        "RESPONSE_CACHE_REDIS_URL",
        Some("response_cache.redis_url"),
        Kind::Text,
    ),
    (
        "INVALIDATION_TOKEN",
        Some("response_cache.invalidation_token"),
        Kind::Text,
    ),
    ("MAX_COST", Some("demand_control.max_cost"), Kind::Number),
    (
        "EXPOSE_COST",
        Some("demand_control.expose_estimate"),
        Kind::Bool,
    ),
];

/// The configuration keys (dotted paths) and values that `vars` set; variables without the
/// prefix are not the router's and are skipped.
pub fn overrides(
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(String, Value)>, ConfigError> {
    let mut overrides = Vec::new();
    for (name, value) in vars {
        let Some(suffix) = name.strip_prefix(PREFIX) else {
            continue;
        };
        if let Some(subgraph) = suffix.strip_prefix(SUBGRAPH_URL).filter(|s| !s.is_empty()) {
            let key = format!("subgraphs.{}.url", subgraph.to_lowercase());
            overrides.push((key, Value::from(value)));
            continue;
        }
        let Some((_, key, kind)) = VARIABLES.iter().find(|(known, ..)| *known == suffix) else {
            return Err(ConfigError::UnknownVariable {
                name,
                known: known_names(),
            });
        };
        if let Some(key) = key {
            let value = parse(*kind, &name, &value)?;
            overrides.push(((*key).to_owned(), value));
        }
    }
    Ok(overrides)
}

/// Every variable the router reads, for the message that refuses an unknown one.
fn known_names() -> String {
    let mut names: Vec<String> = VARIABLES
        .iter()
        .map(|(name, ..)| format!("{PREFIX}{name}"))
        .collect();
    names.push(format!("{PREFIX}{SUBGRAPH_URL}<NAME>"));
    names.join(", ")
}

fn parse(kind: Kind, name: &str, value: &str) -> Result<Value, ConfigError> {
    let invalid = |expected| ConfigError::InvalidVariable {
        name: name.to_owned(),
        expected,
        value: value.to_owned(),
    };
    Ok(match kind {
        Kind::Number => Value::from(value.parse::<u64>().map_err(|_| invalid("a number"))?),
        Kind::Fraction => Value::from(
            value
                .parse::<f64>()
                .map_err(|_| invalid("a decimal number"))?,
        ),
        Kind::Bool => Value::from(parse_bool(value).ok_or_else(|| invalid("true or false"))?),
        Kind::Text => Value::from(value.to_owned()),
        Kind::List => Value::from(
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(String::from)
                .collect::<Vec<_>>(),
        ),
    })
}

fn parse_bool(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;
    use std::path::PathBuf;

    use super::super::{Cli, Config};
    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let cli = Cli {
            supergraph: None,
            listen: None,
            config: None,
            inbound_dedupe: None,
        };
        let vars = pairs
            .iter()
            .map(|(name, value)| (format!("{PREFIX}{name}"), (*value).to_owned()));
        Config::load_from(cli, vars)
    }

    /// Every documented variable, each set to a value other than its default.
    #[test]
    fn every_documented_variable_sets_its_key() {
        let config = load(&[
            ("CONFIG", "ignored-here.yaml"),
            ("SUPERGRAPH", "supergraph.graphql"),
            ("LISTEN", "0.0.0.0:4100"),
            ("INBOUND_DEDUPE", "true"),
            ("SUBGRAPH_URL_CATALOG", "http://catalog/graphql"),
            ("SUBGRAPH_URL_Order_History", "http://orders/graphql"),
            ("SUBGRAPH_TIMEOUT_MS", "1001"),
            ("PLANNING_TIMEOUT_MS", "1002"),
            ("EXECUTION_TIMEOUT_MS", "1003"),
            ("LIMITS_MAX_DEPTH", "1"),
            ("LIMITS_MAX_ALIASES", "2"),
            ("LIMITS_MAX_ROOT_FIELDS", "3"),
            ("LIMITS_MAX_TOKENS", "4"),
            ("LIMITS_MAX_EXPANDED_FIELDS", "5"),
            ("LIMITS_MAX_FRAGMENTS", "6"),
            ("LIMITS_MAX_DIRECTIVES", "7"),
            ("LIMITS_MAX_ARGUMENTS", "8"),
            ("FETCH_NESTED_ENTITIES_BY_KEY", "off"),
            ("BODY_LIMIT", "1004"),
            ("HEADER_READ_TIMEOUT_MS", "1005"),
            ("BODY_READ_TIMEOUT_MS", "1006"),
            ("MAX_CONNECTIONS", "1007"),
            ("MAX_CONCURRENT_REQUESTS", "1008"),
            ("SUBGRAPH_DEDUPE", "no"),
            ("INTROSPECTION", "0"),
            ("GRAPHIQL", "FALSE"),
            ("HOT_RELOAD", "false"),
            ("PERSISTED_QUERIES", "false"),
            ("PERSISTED_QUERIES_REDIS_URL", "redis://apq:6379"),
            ("PERSISTED_QUERIES_MANIFEST", "manifest.json"),
            ("SAFELIST", "yes"),
            ("JWKS_URLS", " https://a/jwks.json,,https://b/jwks.json "),
            ("REQUIRE_AUTHENTICATION", "1"),
            ("RATE_LIMIT_RPS", "1009"),
            ("RATE_LIMIT_BURST", "1010"),
            ("RATE_LIMIT_TIER_CLAIM", "kind"),
            ("METRICS", "false"),
            ("OTLP_ENDPOINT", "http://collector:4318"),
            ("OTLP_SAMPLE_RATIO", "0.25"),
            ("BATCHING", "true"),
            ("SUBSCRIPTIONS", "false"),
            ("MAX_SUBSCRIPTIONS", "1011"),
            ("MAX_COST", "1012"),
            ("EXPOSE_COST", "off"),
        ])
        .expect("every documented variable is accepted");

        assert_eq!(config.supergraph, Some(PathBuf::from("supergraph.graphql")));
        assert_eq!(config.listen, SocketAddr::from(([0, 0, 0, 0], 4100)));
        assert!(config.dedupe.inbound);
        let urls = config.url_overrides();
        assert_eq!(urls["catalog"], "http://catalog/graphql");
        assert_eq!(urls["order_history"], "http://orders/graphql");
        assert_eq!(config.subgraph_timeout_ms, 1001);
        assert_eq!(config.planning_timeout_ms, 1002);
        assert_eq!(config.execution_timeout_ms, 1003);
        let limits = config.limits;
        assert_eq!(
            [
                limits.max_depth,
                limits.max_aliases,
                limits.max_root_fields,
                limits.max_tokens,
                limits.max_expanded_fields,
                limits.max_fragments,
                limits.max_directives,
                limits.max_arguments,
            ],
            [1, 2, 3, 4, 5, 6, 7, 8]
        );
        assert!(!config.fetch_nested_entities_by_key);
        assert_eq!(config.body_limit, 1004);
        assert_eq!(config.server.header_read_timeout_ms, 1005);
        assert_eq!(config.server.body_read_timeout_ms, 1006);
        assert_eq!(config.server.max_connections, 1007);
        assert_eq!(config.server.max_concurrent_requests, 1008);
        assert!(!config.dedupe.subgraph);
        assert!(!config.introspection);
        assert!(!config.graphiql);
        assert!(!config.hot_reload);
        assert!(!config.persisted_queries.enabled);
        assert_eq!(
            config.persisted_queries.redis_url.as_deref(),
            Some("redis://apq:6379")
        );
        assert_eq!(
            config.persisted_queries.manifest,
            Some(PathBuf::from("manifest.json"))
        );
        assert!(config.persisted_queries.safelist);
        let jwt = config.authentication.jwt.expect("JWKS URLs switch JWTs on");
        assert_eq!(
            jwt.jwks_urls,
            ["https://a/jwks.json", "https://b/jwks.json"]
        );
        assert_eq!(jwt.header_prefix, "Bearer", "the rest keeps its defaults");
        assert!(config.authorization.require_authentication);
        assert_eq!(config.rate_limit.requests_per_second, 1009);
        assert_eq!(config.rate_limit.burst, 1010);
        assert_eq!(config.rate_limit.tier_claim.as_deref(), Some("kind"));
        assert!(!config.telemetry.metrics);
        assert_eq!(
            config.telemetry.otlp_endpoint.as_deref(),
            Some("http://collector:4318")
        );
        assert_eq!(config.telemetry.otlp_sample_ratio, 0.25);
        assert!(config.batching.enabled);
        assert!(!config.subscriptions.enabled);
        assert_eq!(config.subscriptions.max_total, 1011);
        assert_eq!(config.demand_control.max_cost, 1012);
        assert!(!config.demand_control.expose_estimate);
    }

    /// The README's table of variables is this module's, row for row, so neither drifts.
    #[test]
    fn the_readme_documents_every_variable_and_its_key() {
        let readme = include_str!("../../README.md");
        let documented: Vec<(String, String)> = readme
            .lines()
            .filter_map(|line| line.strip_prefix("| `COMMERCE_ROUTER_"))
            .filter_map(|row| {
                let (name, rest) = row.split_once("` |")?;
                let key = rest.split('|').next()?.trim().trim_matches('`');
                Some((name.to_owned(), key.to_owned()))
            })
            .collect();
        let mut expected: Vec<(String, String)> = VARIABLES
            .iter()
            .map(|(name, key, _)| ((*name).to_owned(), key.unwrap_or_default().to_owned()))
            .collect();
        expected.insert(
            4,
            (
                format!("{SUBGRAPH_URL}<NAME>"),
                "subgraphs.<name>.url".to_owned(),
            ),
        );
        assert_eq!(documented, expected);
    }

    #[test]
    fn rejects_an_unknown_variable_naming_it_and_the_known_ones() {
        let error = load(&[("RATE_LIMIT_RSP", "10")]).expect_err("a typo is refused");
        let message = error.to_string();
        assert!(
            message.starts_with("unknown environment variable COMMERCE_ROUTER_RATE_LIMIT_RSP;"),
            "{message}"
        );
        assert!(
            message.contains("COMMERCE_ROUTER_RATE_LIMIT_RPS"),
            "{message}"
        );
        assert!(
            message.contains("COMMERCE_ROUTER_SUBGRAPH_URL_<NAME>"),
            "{message}"
        );
        assert!(load(&[("SUBGRAPH_URL_", "http://x")]).is_err());
    }

    #[test]
    fn rejects_a_bad_value_naming_the_variable() {
        let error = load(&[("MAX_CONNECTIONS", "many")]).expect_err("not a number");
        assert_eq!(
            error.to_string(),
            "COMMERCE_ROUTER_MAX_CONNECTIONS must be a number, got \"many\""
        );
        let error = load(&[("RATE_LIMIT_RPS", "5000000000")]).expect_err("too large for u32");
        assert!(error.to_string().contains("requests_per_second"), "{error}");
    }

    #[test]
    fn leaves_other_variables_alone() {
        let config = load(&[]).expect("defaults");
        let other = Config::load_from(
            Cli {
                supergraph: None,
                listen: None,
                config: None,
                inbound_dedupe: None,
            },
            [
                ("COMMERCE_LOG_FILTER".to_owned(), "debug".to_owned()),
                ("PATH".to_owned(), "/bin".to_owned()),
            ],
        )
        .expect("not the router's");
        assert_eq!(other.listen, config.listen);
    }
}
