//! The pricing subgraph: prices per variant and currency, B2B price lists with volume tiers,
//! catalogue and order promotions, coupons, taxes, and the pure cart pricing function that
//! checkout and storefronts share. Extends the catalog's `ProductVariant` with
//! `price(currency, quantity)` and `Product` with `priceRange(currency)`.

pub mod demo;
pub mod domain;
mod graphql;
pub mod service;
mod store;

use anyhow::Context;
use commerce_kernel::cache::SharedCache;
use commerce_kernel::config::Config;
use sea_orm::DatabaseConnection;

pub use graphql::{PricingSchema, schema, sdl};
use service::PricingService;

/// Port the subgraph listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4004;

/// Everything a request needs.
///
/// The kernel cache is not used yet: a batch of prices is six indexed queries, and price
/// lists and promotions change by staff edits that would each need exact invalidation.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: SharedCache,
    pub service: PricingService,
}

impl AppState {
    /// Builds the state from an open, migrated connection (tests attach statement counters
    /// before handing it over).
    pub fn new(db: DatabaseConnection, cache: SharedCache) -> Self {
        let service = PricingService::new(db.clone());
        Self { db, cache, service }
    }
}

/// Connects to the pricing database (migrating it) and builds the cache.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db = commerce_kernel::db::connect_and_migrate::<commerce_migrations::pricing::Migrator>(
        config, "pricing",
    )
    .await?;
    let cache = commerce_kernel::cache::from_config(config, "pricing").await?;
    Ok(AppState::new(db, cache))
}

/// The subgraph's HTTP routes (no socket bound).
pub fn router(state: AppState) -> axum::Router {
    let db = state.db.clone();
    commerce_kernel::server::graphql_app(schema(state), db)
}

/// Serves the subgraph until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    commerce_kernel::telemetry::init(&config);
    let state = state(&config).await?;
    let address = config.listen_or(DEFAULT_PORT);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!("pricing subgraph: GraphiQL at http://{local}/graphql");
    commerce_kernel::server::serve(listener, router(state)).await
}
