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

use commerce_kernel::config::Config;
use commerce_kernel::{server, telemetry};

pub use graphql::ReviewsSchema;
pub use service::ReviewService;

pub const DEFAULT_PORT: u16 = 4003;
const DOMAIN: &str = "reviews";

/// Everything a running reviews subgraph holds: the service wraps the database and cache.
#[derive(Clone)]
pub struct AppState {
    pub service: ReviewService,
}

/// Connects to (and migrates) the reviews database and builds the cache.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db = commerce_kernel::db::connect_and_migrate::<commerce_migrations::reviews::Migrator>(
        config, DOMAIN,
    )
    .await?;
    let cache = commerce_kernel::cache::from_config(config, DOMAIN).await?;
    Ok(AppState {
        service: ReviewService::new(db, cache),
    })
}

pub fn schema(state: AppState) -> ReviewsSchema {
    graphql::build(state.service)
}

/// The Federation v2 SDL of this subgraph, as committed in `schema/subgraphs/reviews.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The HTTP routes (`/graphql`, GraphiQL, `/health`, `/ready`); binds no socket.
pub fn router(state: AppState) -> axum::Router {
    let db = state.service.db().clone();
    server::graphql_app(schema(state), db)
}

/// Runs the reviews subgraph until SIGTERM or Ctrl-C.
pub async fn run(config: Config) -> anyhow::Result<()> {
    telemetry::init(&config);
    let state = state(&config).await?;
    let address = config.listen_or(DEFAULT_PORT);
    let listener = tokio::net::TcpListener::bind(address).await?;
    tracing::info!(
        "reviews GraphiQL: http://{}/graphql",
        listener.local_addr()?
    );
    server::serve(listener, router(state)).await
}
