//! The pricing subgraph: prices per variant and currency, B2B price lists with volume tiers,
//! catalogue and order promotions, coupons, taxes, and the pure cart pricing function that
//! checkout and storefronts share. Extends the catalog's `ProductVariant` with
//! `price(currency, quantity)` and `Product` with `priceRange(currency)`.

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

pub use graphql::PricingSchema;
use service::PricingService;

/// Port the subgraph listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4004;
const DOMAIN: &str = "pricing";

/// Everything a request needs. `state` reads variants' base prices through a cache
/// (in-process, or Redis with `redis_url`; see `service::cache`); price lists, promotions and
/// taxes publish no events yet, so they are read on every batch.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub service: PricingService,
}

impl AppState {
    /// Builds the state from an open, migrated connection (tests attach statement counters
    /// before handing it over).
    pub fn new(db: DatabaseConnection) -> Self {
        let service = PricingService::new(db.clone());
        Self { db, service }
    }
}

/// Connects to the pricing database (migrating it) and builds the price cache the
/// configuration asks for.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::pricing::Migrator>(config, DOMAIN).await?;
    let mut state = AppState::new(db);
    if config.read_cache {
        let cache = cache::from_config(config, DOMAIN).await?;
        state.service = state.service.with_cache(cache);
    }
    Ok(state)
}

pub fn schema(state: AppState) -> PricingSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/pricing.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.db.clone();
    server::graphql_app(schema(state), db, auth)
}

/// Starts pricing's event relay (on a pool of its own) until `shutdown`. Whoever serves the
/// subgraph (`run`, or the all-in-one binary) starts it once.
pub async fn spawn_events(
    config: &Config,
    transport: &Transport,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    Relay::connect(config, DOMAIN, transport.clone())
        .await?
        .spawn(shutdown);
    Ok(())
}

/// Starts the consumer that evicts this instance's cached prices on every instance's price
/// changes (all instances get every event), until `shutdown`. Whoever serves the subgraph
/// starts it once per state, before the relay.
pub fn spawn_cache_consumer(
    state: &AppState,
    transport: &Transport,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    spawn_consumer(
        transport,
        service::PriceCache::new(state.service.clone()),
        ConsumerOptions::default(),
        shutdown,
    )
}

/// Runs the pricing subgraph as its own process, with its event relay and price cache.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let transport = Transport::from_config(&config).await?;
            spawn_cache_consumer(&state, &transport, shutdown.clone());
            spawn_events(&config, &transport, shutdown).await?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
