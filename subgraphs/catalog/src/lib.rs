//! The catalog subgraph: products with variants, a category tree, collections, full-text
//! search and facets. Layers: `domain` (values and rules) → `store` (SQL) → `service` (use
//! cases, cache) → `graphql` (the Federation v2 API).

pub mod demo;
pub mod domain;
pub mod graphql;
pub mod service;
pub mod store;

use async_graphql::SDLExportOptions;
use commerce_kernel::config::Config;
use commerce_kernel::{cache, db, server, telemetry};
use sea_orm::DatabaseConnection;

pub use graphql::CatalogSchema;
use service::Catalog;

pub const DEFAULT_PORT: u16 = 4001;
const DOMAIN: &str = "catalog";

/// Everything the catalog needs to serve: its database and cache, wrapped by the service.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub catalog: Catalog,
}

impl AppState {
    /// State over an open, migrated connection (tests attach statement counters first).
    pub fn new(db: DatabaseConnection, cache: cache::SharedCache) -> Self {
        Self {
            catalog: Catalog::new(db.clone(), cache),
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
    graphql::build_schema(state.catalog)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/catalog.graphql`.
pub fn sdl() -> String {
    // The schema's shape does not depend on data, so the SDL comes from a build without it.
    graphql::builder()
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState) -> axum::Router {
    let db = state.db.clone();
    server::graphql_app(schema(state), db)
}

/// Runs the catalog as its own process.
pub async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init(&config);
    let state = state(&config).await?;
    let address = config.listen_or(DEFAULT_PORT);
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(
        "catalog GraphiQL at http://{}/graphql",
        listener.local_addr()?
    );
    server::serve(listener, router(state)).await
}
