//! The catalog subgraph: products with variants, a category tree, collections, full-text
//! search and facets. Layers: `domain` (values and rules) → `store` (SQL) → `service` (use
//! cases, cache) → `graphql` (the Federation v2 API).

pub mod demo;
pub mod domain;
mod graphql;
pub mod service;
mod store;

use std::sync::Arc;

use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::events::{ConsumerOptions, Relay, Transport, spawn_consumer};
use commerce_kernel::{cache, db, server, subgraph};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

pub use graphql::CatalogSchema;
use service::{CacheInvalidation, CatalogService};

pub const DEFAULT_PORT: u16 = 4001;
const DOMAIN: &str = "catalog";

/// Everything the catalog needs to serve: its database and cache, wrapped by the service.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub catalog: CatalogService,
}

impl AppState {
    /// State over an open, migrated connection (tests attach statement counters first).
    pub fn new(db: DatabaseConnection, cache: cache::SharedCache) -> Self {
        Self {
            catalog: CatalogService::new(db.clone(), cache),
            db,
        }
    }
}

/// Connects (migrating the schema) and builds the cache the configuration asks for.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::catalog::Migrator>(config, DOMAIN).await?;
    let cache = cache::from_config(config, DOMAIN).await?;
    let mut state = AppState::new(db, cache);
    if let Some(reads) = db::read_pipeline(config, DOMAIN) {
        state.catalog = state.catalog.with_read_pipeline(reads);
    }
    if !config.read_cache {
        state.catalog = state.catalog.without_read_cache();
    }
    if !config.subgraph_response_cache {
        state.catalog = state.catalog.without_response_cache();
    }
    Ok(state)
}

pub fn schema(state: AppState) -> CatalogSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/catalog.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.db.clone();
    server::graphql_app(schema(state), db, auth)
}

/// Starts the catalog's event relay (on a pool of its own) and the consumer that keeps this
/// instance's caches in step with every instance's writes, until `shutdown`. Whoever serves
/// the subgraph (`run`, or the all-in-one binary) starts them once per state.
pub async fn spawn_events(
    state: &AppState,
    config: &Config,
    transport: &Transport,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    spawn_cache_consumer(state, transport, shutdown.clone());
    Relay::connect(config, DOMAIN, transport.clone())
        .await?
        .spawn(shutdown);
    Ok(())
}

/// Starts only the consumer that evicts this instance's caches on every catalog event (an
/// instance whose relay runs elsewhere).
pub fn spawn_cache_consumer(
    state: &AppState,
    transport: &Transport,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    let invalidation = Arc::new(CacheInvalidation::new(state.catalog.clone()));
    spawn_consumer(
        transport,
        invalidation,
        ConsumerOptions::default(),
        shutdown,
    )
}

/// Runs the catalog as its own process, with its events.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let transport = Transport::from_config(&config).await?;
            spawn_events(&state, &config, &transport, shutdown).await?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
