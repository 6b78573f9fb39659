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
use commerce_kernel::events::{Relay, Transport};
use commerce_kernel::{db, server, subgraph};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

pub use graphql::PricingSchema;
use service::PricingService;

/// Port the subgraph listens on unless configured otherwise.
pub const DEFAULT_PORT: u16 = 4004;
const DOMAIN: &str = "pricing";

/// Everything a request needs.
///
/// No cache yet: a batch of prices is six indexed queries, and price lists and promotions
/// change by staff edits that would each need exact invalidation.
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

/// Connects to the pricing database (migrating it).
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::pricing::Migrator>(config, DOMAIN).await?;
    Ok(AppState::new(db))
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

/// Runs the pricing subgraph as its own process, with its event relay.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let transport = Transport::from_config(&config).await?;
            spawn_events(&config, &transport, shutdown).await?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
