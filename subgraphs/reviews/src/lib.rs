//! The reviews subgraph: customers' reviews of products, their moderation, and each product's
//! rating, kept as a stored aggregate that moderation updates in the same transaction.
//!
//! Federation: owns `Review @key(fields: "id")`, and adds `reviews` and `rating` to the
//! catalog's `Product @key(fields: "id")`. Authors are `Customer` references it cannot resolve.

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
use tokio_util::sync::CancellationToken;

pub use graphql::ReviewsSchema;
pub use service::ReviewsService;

pub const DEFAULT_PORT: u16 = 4003;
const DOMAIN: &str = "reviews";

/// Everything a running reviews subgraph holds: the service wraps the database and cache.
#[derive(Clone)]
pub struct AppState {
    pub service: ReviewsService,
}

/// Connects to (and migrates) the reviews database and builds the cache.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::reviews::Migrator>(config, DOMAIN).await?;
    let cache: cache::SharedCache = if config.read_cache {
        cache::from_config(config, DOMAIN).await?
    } else {
        std::sync::Arc::new(cache::NoCache)
    };
    Ok(AppState {
        service: ReviewsService::new(db, cache),
    })
}

pub fn schema(state: AppState) -> ReviewsSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/reviews.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.service.db().clone();
    server::graphql_app(schema(state), db, auth)
}

/// Starts the reviews event relay (on a pool of its own) until `shutdown`. Whoever serves
/// the subgraph (`run`, or the all-in-one binary) starts it once.
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

/// Starts the consumer that evicts this instance's cached ratings on every instance's
/// moderations (all instances get every event), until `shutdown`. Whoever serves the subgraph
/// starts it once per state, before the relay.
pub fn spawn_cache_consumer(
    state: &AppState,
    transport: &Transport,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    spawn_consumer(
        transport,
        service::RatingCache::new(state.service.clone()),
        ConsumerOptions::default(),
        shutdown,
    )
}

/// Runs the reviews subgraph as its own process, with its event relay and rating cache.
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
