//! `commerce-router`: a general Apollo Federation v2 router. It loads any `join__`/`link`
//! supergraph, plans operations with `hive-router-query-planner`, executes the plans against
//! the subgraphs and answers over GraphQL-over-HTTP.

pub mod apq;
pub mod ast;
pub mod auth;
pub mod cache_store;
pub mod config;
pub mod defer;
pub mod entity_cache;
pub mod error;
pub mod executor;
pub mod http;
pub mod inflight;
pub mod introspection;
pub mod json;
pub mod pipeline;
pub mod plan;
pub mod rate_limit;
pub mod reload;
pub mod response_cache;
pub mod schema;
pub mod subscriptions;
pub mod supergraph;
pub mod telemetry;
pub mod value;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use arc_swap::ArcSwap;
use bytes::Bytes;
use serde_json::{Map, Value};
use tokio::net::TcpListener;
use tracing::info;

pub use config::Config;
pub use http::app;
pub use telemetry::init_tracing;

use error::{ErrorCode, GraphQLError, errors_body};
use executor::client::SubgraphClient;
use pipeline::{Pipeline, PlanningOptions};
use supergraph::SchemaState;

/// How long one call to a shared Redis (persisted queries, rate limits, the cache) may take
/// before the router goes on without it.
pub(crate) const REDIS_TIMEOUT: Duration = Duration::from_millis(500);

/// Everything a running router shares across requests. The schema is swapped atomically on
/// reload; requests keep the `Arc` they started with.
pub struct RouterState {
    schema: ArcSwap<SchemaState>,
    client: SubgraphClient,
    config: Config,
    pipeline: Pipeline,
    inbound: inflight::InFlight<(Outcome, Option<Arc<response_cache::Captured>>)>,
    /// Whole answers to queries (`response_cache`); `None` when off.
    response_cache: Option<Arc<response_cache::ResponseCache>>,
    /// Entities of `_entities` answers (`entity_cache`); `None` when off.
    entity_cache: Option<Arc<entity_cache::EntityCache>>,
    /// What both caches keep their entries in; `None` when both are off.
    cache_store: Option<Arc<cache_store::CacheStore>>,
    persisted: apq::PersistedQueries,
    authenticator: Option<Arc<auth::jwt::Authenticator>>,
    metrics: Arc<telemetry::Metrics>,
    rate_limiter: Option<rate_limit::RateLimiter>,
    /// One permit per request being processed (`server.max_concurrent_requests`).
    requests: tokio::sync::Semaphore,
    subscriptions: Arc<subscriptions::Subscriptions>,
}

/// One GraphQL request, transport-independent.
#[derive(Debug, Clone, Default)]
pub struct GraphQLRequest {
    pub query: String,
    pub operation_name: Option<String>,
    pub variables: Map<String, Value>,
    /// Client headers to pass on to subgraphs (see `Config::forward_headers`).
    pub forward_headers: Vec<(::http::HeaderName, ::http::HeaderValue)>,
    /// `extensions.persistedQuery`: `query` may then be empty (see [`apq`]).
    pub persisted_query: Option<apq::PersistedQuery>,
    /// Who is asking (see [`RouterState::authenticate`]).
    pub auth: auth::AuthContext,
}

/// The result of handling a request, which the HTTP layer maps to a status code.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Executed (possibly with field errors): always 200.
    Executed(Bytes),
    /// The document or variables were rejected: 400 with graphql-response+json.
    RequestError(Bytes),
    /// A mutation over GET.
    MethodNotAllowed(Bytes),
    /// The router failed to plan: 500.
    ServerError(Bytes),
    /// The request's token did not verify, or one is required: 401.
    Unauthenticated(Bytes),
    /// Execution passed its deadline and was stopped: 504.
    Timeout(Bytes),
}

impl Outcome {
    /// The response body, whatever the status.
    pub fn into_body(self) -> Bytes {
        match self {
            Outcome::Executed(body)
            | Outcome::RequestError(body)
            | Outcome::MethodNotAllowed(body)
            | Outcome::ServerError(body)
            | Outcome::Unauthenticated(body)
            | Outcome::Timeout(body) => body,
        }
    }
}

impl RouterState {
    /// Builds the state for a supergraph SDL; subgraph URLs in `config.subgraphs` win over
    /// those in the supergraph.
    pub fn from_sdl(sdl: &str, config: Config) -> anyhow::Result<Arc<Self>> {
        let schema = SchemaState::from_sdl(sdl, &config.url_overrides())?;
        Ok(Arc::new(Self::new(schema, config)?))
    }

    fn new(schema: SchemaState, config: Config) -> anyhow::Result<Self> {
        let metrics = Arc::new(telemetry::Metrics::new());
        let client = SubgraphClient::new(&config, config.subgraph_roots()?, metrics.clone())?;
        let planning = PlanningOptions {
            timeout: Duration::from_millis(config.planning_timeout_ms),
            override_flags: config
                .override_flags
                .iter()
                .cloned()
                .collect::<HashSet<_>>(),
            limits: config.limits,
            fetch_nested_entities_by_key: config.fetch_nested_entities_by_key,
        };
        let apq = &config.persisted_queries;
        let mut persisted = apq::PersistedQueries::new(apq.enabled, apq.max_bytes);
        if let Some(url) = apq.redis_url.as_deref().filter(|_| apq.enabled) {
            persisted = persisted.with_redis(url, Duration::from_secs(apq.redis_ttl_secs))?;
        }
        match &apq.manifest {
            Some(path) => {
                let trusted = apq::TrustedDocuments::load(path, apq.safelist)?;
                info!(
                    documents = trusted.len(),
                    safelist = apq.safelist,
                    "persisted query manifest loaded"
                );
                persisted = persisted.with_trusted(trusted);
            }
            None => anyhow::ensure!(
                !apq.safelist,
                "persisted_queries.safelist needs persisted_queries.manifest"
            ),
        }
        let authenticator = match &config.authentication.jwt {
            Some(jwt) => Some(auth::jwt::Authenticator::new(jwt.clone(), client.http())?),
            None => None,
        };
        let pipeline = Pipeline::new(planning).with_metrics(metrics.clone());
        let cache_store = if config.response_cache.enabled || config.entity_cache.enabled {
            let store = cache_store::CacheStore::new(&config.response_cache, metrics.clone())?;
            Some(Arc::new(store))
        } else {
            None
        };
        if let Some(store) = &cache_store
            && tokio::runtime::Handle::try_current().is_ok()
        {
            store.listen();
        }
        let response_cache = cache_store.as_ref().and_then(|store| {
            response_cache::ResponseCache::new(&config.response_cache, store, metrics.clone())
        });
        let entity_cache = cache_store
            .as_ref()
            .and_then(|store| entity_cache::EntityCache::new(&config, store, metrics.clone()));
        let requests = match config.server.max_concurrent_requests {
            0 => tokio::sync::Semaphore::MAX_PERMITS,
            cap => cap,
        };
        Ok(Self {
            rate_limiter: rate_limit::RateLimiter::new(&config.rate_limit)?,
            requests: tokio::sync::Semaphore::new(requests),
            subscriptions: subscriptions::Subscriptions::new(config.subscriptions.clone()),
            authenticator,
            metrics,
            schema: ArcSwap::from_pointee(schema),
            client,
            pipeline,
            inbound: inflight::InFlight::default(),
            response_cache,
            entity_cache,
            cache_store,
            persisted,
            config,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn metrics(&self) -> &telemetry::Metrics {
        &self.metrics
    }

    /// The response cache, when on.
    pub fn response_cache(&self) -> Option<&Arc<response_cache::ResponseCache>> {
        self.response_cache.as_ref()
    }

    /// The entity cache, when on.
    pub fn entity_cache(&self) -> Option<&Arc<entity_cache::EntityCache>> {
        self.entity_cache.as_ref()
    }

    /// The storage of the response and entity caches, when either is on.
    pub fn cache_store(&self) -> Option<&Arc<cache_store::CacheStore>> {
        self.cache_store.as_ref()
    }

    /// Drops every cached answer and entity that holds one of these entities or types, in
    /// every instance sharing the cache's Redis; `source` labels the metric. Returns how many
    /// shared entries were dropped.
    pub async fn invalidate(&self, entries: &[response_cache::Invalidation], source: &str) -> u64 {
        match &self.cache_store {
            Some(store) => {
                store
                    .invalidate(&response_cache::tags(entries), source)
                    .await
            }
            None => 0,
        }
    }

    /// The open subscriptions and their limits.
    pub fn subscriptions(&self) -> &Arc<subscriptions::Subscriptions> {
        &self.subscriptions
    }

    pub fn rate_limiter(&self) -> Option<&rate_limit::RateLimiter> {
        self.rate_limiter.as_ref()
    }

    /// A place among the requests being processed, held until the response is built; `None`
    /// when `server.max_concurrent_requests` are, and the request should be shed.
    pub fn admit(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        self.requests.try_acquire().ok()
    }

    /// The schema currently served.
    pub fn schema(&self) -> Arc<SchemaState> {
        self.schema.load_full()
    }

    /// Replaces the served supergraph; in-flight requests finish on the old one.
    pub fn reload_sdl(&self, sdl: &str) -> anyhow::Result<()> {
        let schema = SchemaState::from_sdl(sdl, &self.config.url_overrides())?;
        self.schema.store(Arc::new(schema));
        self.pipeline.clear();
        Ok(())
    }

    /// Replaces the served supergraph after preparing the most used operations for it
    /// (`reload_warm_operations` of them), off the request path: requests keep the old
    /// schema, with its plans, until the new one has its plans too. Returns how many were
    /// prepared.
    pub async fn reload(self: &Arc<Self>, sdl: String) -> anyhow::Result<usize> {
        let overrides = self.config.url_overrides();
        let schema = tokio::task::spawn_blocking(move || SchemaState::from_sdl(&sdl, &overrides))
            .await
            .context("building the new schema")??;
        let schema = Arc::new(schema);
        let warmed = self
            .pipeline
            .warm(&schema, self.config.reload_warm_operations)
            .await;
        let version = schema.version;
        self.schema.store(schema);
        self.pipeline.retain_version(version);
        Ok(warmed)
    }

    /// Who the request's headers say is asking, or the 401 outcome for a token that does not
    /// verify (or a missing one, when authentication is required).
    pub async fn authenticate(
        &self,
        headers: &::http::HeaderMap,
    ) -> Result<auth::AuthContext, Outcome> {
        let unauthenticated = |message: String| {
            Outcome::Unauthenticated(Bytes::from(errors_body(&[GraphQLError::with_code(
                message,
                ErrorCode::Unauthenticated,
            )])))
        };
        let context = match &self.authenticator {
            Some(authenticator) => authenticator
                .authenticate(headers)
                .await
                .map_err(|reason| unauthenticated(format!("Unauthenticated: {reason}")))?,
            None => auth::AuthContext::default(),
        };
        if self.config.authorization.require_authentication && !context.authenticated {
            return Err(unauthenticated(
                "Unauthenticated: this router requires a valid token".into(),
            ));
        }
        Ok(context)
    }
}

/// Serves the router on an already-bound listener until `shutdown` resolves. This is what an
/// all-in-one binary uses (bind port 0, read the address, then call this). Shutting down
/// completes every subscription, then lets requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    state: Arc<RouterState>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let server = state.config().server.clone();
    let subscriptions = state.subscriptions.clone();
    let shutdown = async move {
        shutdown.await;
        // Open streams would otherwise hold the graceful shutdown forever.
        subscriptions.shut_down(Duration::from_secs(5)).await;
    };
    http::server::serve(listener, app(state), &server, shutdown).await;
    Ok(())
}

/// Runs the router as the binary does: load the supergraph, watch it, serve until Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let path = config
        .supergraph
        .clone()
        .context("no supergraph: pass --supergraph PATH or set COMMERCE_ROUTER_SUPERGRAPH")?;
    let sdl = std::fs::read_to_string(&path)
        .with_context(|| format!("reading supergraph {}", path.display()))?;
    let state = RouterState::from_sdl(&sdl, config.clone())
        .with_context(|| format!("loading supergraph {}", path.display()))?;
    if config.hot_reload {
        reload::watch(
            state.clone(),
            path.clone(),
            Duration::from_millis(config.reload_poll_ms),
        );
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    info!(
        subgraphs = ?state.schema().subgraph_names(),
        "router listening; GraphiQL at http://{addr}/graphql"
    );
    serve(listener, state, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}
