//! The inventory subgraph: warehouses, stock levels per variant and warehouse, a movement log,
//! and reservations for checkout. Extends the catalog's `ProductVariant` with its stock and
//! `Product` with whether any of its variants is in stock.

pub mod demo;
pub mod domain;
mod graphql;
pub mod service;
mod store;

use std::time::Duration;

use anyhow::Context;
use commerce_kernel::cache::SharedCache;
use commerce_kernel::config::Config;
use sea_orm::DatabaseConnection;

pub use graphql::{InventorySchema, schema, sdl};
use service::{Clock, Inventory};

/// Port the subgraph listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4002;
/// How often lapsed reservations are swept. Readers already ignore them; the sweep releases
/// their units in the tables and the movement log.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Everything a request needs.
///
/// The kernel cache is deliberately not used for availability: a reservation lapsing changes
/// availability without any write, so no invalidation could be exact, and reads are one
/// indexed query per batch anyway. The cache is kept here for future hot reads.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub cache: SharedCache,
    pub inventory: Inventory,
}

impl AppState {
    /// Builds the state from an open, migrated connection (tests attach statement counters
    /// before handing it over).
    pub fn new(db: DatabaseConnection, cache: SharedCache, clock: Clock) -> Self {
        let inventory = Inventory::new(db.clone(), clock);
        Self {
            db,
            cache,
            inventory,
        }
    }
}

/// Connects to the inventory database (migrating it) and builds the cache.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db = commerce_kernel::db::connect_and_migrate::<commerce_migrations::inventory::Migrator>(
        config,
        "inventory",
    )
    .await?;
    let cache = commerce_kernel::cache::from_config(config, "inventory").await?;
    Ok(AppState::new(db, cache, Clock::system()))
}

/// The subgraph's HTTP routes (no socket bound).
pub fn router(state: AppState) -> axum::Router {
    let db = state.db.clone();
    commerce_kernel::server::graphql_app(schema(state), db)
}

/// Releases lapsed reservations every [`SWEEP_INTERVAL`] until the runtime stops. Whoever
/// serves the subgraph (`run`, or the all-in-one binary) starts one per process.
pub fn spawn_expiry_sweeper(state: &AppState) -> tokio::task::JoinHandle<()> {
    let inventory = state.inventory.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
        loop {
            ticks.tick().await;
            match inventory.expire_lapsed().await {
                Ok(0) => {}
                Ok(expired) => tracing::debug!(expired, "released lapsed reservations"),
                Err(error) => tracing::warn!(%error, "sweeping lapsed reservations failed"),
            }
        }
    })
}

/// Serves the subgraph until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    commerce_kernel::telemetry::init(&config);
    let state = state(&config).await?;
    let sweeper = spawn_expiry_sweeper(&state);
    let address = config.listen_or(DEFAULT_PORT);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!("inventory subgraph: GraphiQL at http://{local}/graphql");
    let served = commerce_kernel::server::serve(listener, router(state)).await;
    sweeper.abort();
    served
}
