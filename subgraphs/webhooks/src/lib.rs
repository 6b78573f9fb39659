//! The webhooks subgraph: staff register HTTP endpoints with the event types they want; every
//! matching event of every domain is delivered to them signed (Standard Webhooks), retried with
//! backoff for about a day, then dead-lettered; each endpoint has a delivery log, deliveries
//! can be replayed, and an endpoint that keeps failing is disabled with its reason.
//!
//! Layers: `domain` (values, rules, signing) → `store` (SQL) → `service` (use cases, the
//! fan-in consumers, the delivery worker) → `graphql` (the staff API). It owns no federated
//! entity: its API is root fields under `webhooks:manage`.

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

pub use graphql::WebhooksSchema;
pub use service::{Settings, WebhooksService};

pub const DEFAULT_PORT: u16 = 4009;
const DOMAIN: &str = "webhooks";

/// Everything a running webhooks subgraph holds: the service wraps the database.
#[derive(Clone)]
pub struct AppState {
    pub service: WebhooksService,
}

/// Connects to (and migrates) the webhooks database.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::webhooks::Migrator>(config, DOMAIN).await?;
    Ok(AppState {
        service: WebhooksService::new(db, Settings::from_config(&config.webhooks)),
    })
}

pub fn schema(state: AppState) -> WebhooksSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/webhooks.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.service.db().clone();
    server::graphql_app(schema(state), db, auth)
}

/// Starts the fan-in (one consumer of each domain's stream that has event types endpoints
/// can subscribe to) and the delivery worker, until `shutdown`. On the in-process bus the
/// consumers must start before the domains' relays publish.
pub fn spawn_events(
    state: &AppState,
    transport: &Transport,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    for domain in domain::event_domains() {
        let fan_in = Arc::new(service::FanIn::new(domain, state.service.clone()));
        spawn_consumer(
            transport,
            fan_in,
            ConsumerOptions::default(),
            shutdown.clone(),
        );
    }
    service::spawn_worker(state.service.clone(), shutdown)?;
    Ok(())
}

/// Runs the webhooks subgraph as its own process, with its consumers and worker.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let transport = Transport::from_config(&config).await?;
            spawn_events(&state, &transport, shutdown)?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
