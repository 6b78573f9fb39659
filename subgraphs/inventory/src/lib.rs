//! The inventory subgraph: warehouses, stock levels per variant and warehouse, a movement log,
//! and reservations for checkout. Extends the catalog's `ProductVariant` with its stock and
//! `Product` with whether any of its variants is in stock.

pub mod demo;
pub mod domain;
mod graphql;
pub mod service;
mod store;

use std::time::Duration;

use std::sync::Arc;

use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::events::{ConsumerOptions, LiveEvents, Relay, Transport, spawn_consumer};
use commerce_kernel::{cache, db, server, subgraph};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

pub use graphql::InventorySchema;
use service::{Clock, InventoryService, StockAlerts, StockCache};

/// Port the subgraph listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4002;
const DOMAIN: &str = "inventory";
/// How often lapsed reservations are swept. Readers already ignore them; the sweep releases
/// their units in the tables and the movement log.
pub const SWEEP_INTERVAL: Duration = Duration::from_secs(5);

/// Everything a request needs. `state` reads stock levels through a cache (in-process, or
/// Redis with `redis_url`): see `service::cache` for how it stays exact.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub inventory: InventoryService,
    /// Feeds the subscriptions (started with `live.spawn` where the events start).
    pub live: LiveEvents,
}

impl AppState {
    /// Builds the state from an open, migrated connection (tests attach statement counters
    /// before handing it over).
    pub fn new(db: DatabaseConnection, clock: Clock) -> Self {
        let inventory = InventoryService::new(db.clone(), clock);
        Self {
            db,
            inventory,
            live: LiveEvents::new(DOMAIN),
        }
    }
}

/// Connects to the inventory database (migrating it) and builds the stock cache the
/// configuration asks for.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::inventory::Migrator>(config, DOMAIN).await?;
    let mut state = AppState::new(db, Clock::system());
    state.inventory = state
        .inventory
        .with_low_stock_threshold(config.low_stock_threshold);
    if config.read_cache {
        let cache = cache::from_config(config, DOMAIN).await?;
        state.inventory = state.inventory.with_cache(cache);
    }
    Ok(state)
}

pub fn schema(state: AppState) -> InventorySchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/inventory.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.db.clone();
    server::graphql_app(schema(state), db, auth)
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

/// Starts inventory's event relay (on a pool of its own), the consumer that keeps this
/// instance's stock cache in step with every instance's writes, and the stock alert mails (to
/// `staff_alert_email`, through the configured mailer) until `shutdown`. Whoever serves the
/// subgraph (`run`, or the all-in-one binary) starts them once.
pub async fn spawn_events(
    state: &AppState,
    config: &Config,
    transport: &Transport,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mailer = commerce_kernel::mail::from_config(config)?;
    let alerts = StockAlerts::new(state.db.clone(), mailer, config.staff_alert_email.clone());
    spawn_consumer(
        transport,
        StockCache::new(state.inventory.clone()),
        ConsumerOptions::default(),
        shutdown.clone(),
    );
    spawn_consumer(
        transport,
        alerts,
        ConsumerOptions::default(),
        shutdown.clone(),
    );
    Relay::connect(config, DOMAIN, transport.clone())
        .await?
        .spawn(shutdown);
    Ok(())
}

/// Runs the inventory subgraph as its own process, with its sweeper, event relay and stock
/// alerts.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let sweeper = spawn_expiry_sweeper(&state);
            tokio::spawn({
                let shutdown = shutdown.clone();
                async move {
                    shutdown.cancelled().await;
                    sweeper.abort();
                }
            });
            let transport = Transport::from_config(&config).await?;
            state.live.spawn(&transport, shutdown.clone());
            spawn_events(&state, &config, &transport, shutdown).await?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
