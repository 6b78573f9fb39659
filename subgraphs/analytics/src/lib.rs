//! The analytics subgraph: the staff dashboard's numbers (sales per day and currency, order
//! count and average order value, top products and categories, new, returning and registered
//! customers, refunds, low stock), kept as daily rollups fed by other domains' events, never by
//! reading their tables.
//!
//! Consumers of the `orders`, `catalog`, `payments`, `inventory` and `customers` streams apply
//! each event once, in one transaction with its log row and its rollup changes;
//! `rebuildAnalytics` replays that log (the outboxes keep published events for a day only) into
//! fresh rollups.
//!
//! Federation: owns no entity; its rankings reference the catalog's `Product` and
//! `ProductVariant` by id, so the router fetches names from the catalog.

pub mod domain;
mod graphql;
pub mod service;
mod store;

use std::sync::Arc;

use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::events::{ConsumerOptions, Transport, spawn_consumer};
use commerce_kernel::{db, server, subgraph};
use tokio_util::sync::CancellationToken;

pub use graphql::{ANALYTICS_READ, ANALYTICS_WRITE, AnalyticsSchema};
pub use service::AnalyticsService;

pub const DEFAULT_PORT: u16 = 4010;
const DOMAIN: &str = "analytics";

/// Everything a running analytics subgraph holds: the service wraps the database.
#[derive(Clone)]
pub struct AppState {
    pub service: AnalyticsService,
}

impl AppState {
    /// On an open connection (tests attach statement counters first).
    pub fn new(db: sea_orm::DatabaseConnection) -> Self {
        Self {
            service: AnalyticsService::new(db),
        }
    }
}

/// Connects to (and migrates) the analytics database.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::analytics::Migrator>(config, DOMAIN).await?;
    Ok(AppState::new(db))
}

pub fn schema(state: AppState) -> AnalyticsSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/analytics.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.service.db().clone();
    server::graphql_app(schema(state), db, auth)
}

/// Starts the consumers that feed the rollups until `shutdown`. On the in-process bus they
/// have joined when this returns, so start them before the relays whose events they read.
pub fn spawn_events(state: &AppState, transport: &Transport, shutdown: CancellationToken) {
    for (group, domain) in service::FEEDS {
        let feed = service::EventFeed::new(state.service.clone(), group, domain);
        spawn_consumer(
            transport,
            Arc::new(feed),
            ConsumerOptions::default(),
            shutdown.clone(),
        );
    }
}

/// Runs the analytics subgraph as its own process, with its consumers.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let transport = Transport::from_config(&config).await?;
            spawn_events(&state, &transport, shutdown);
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
