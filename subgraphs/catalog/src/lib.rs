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
use commerce_kernel::{cache, db, server, subgraph};
use sea_orm::DatabaseConnection;

pub use graphql::CatalogSchema;
use service::CatalogService;

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
    Ok(AppState::new(db, cache))
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

/// Runs the catalog as its own process.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run(config, DOMAIN, DEFAULT_PORT, |config| async move {
        Ok(router(
            state(&config).await?,
            Arc::new(Verifier::from_config(&config)?),
        ))
    })
    .await
}
