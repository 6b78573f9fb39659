//! The orders subgraph: orders placed by the checkout saga (lines, addresses and amounts
//! copied at order time), their state machine and timeline, fulfillments, and the staff
//! search.
//!
//! Federation: owns `Order @key(fields: "id")`, and adds `orders` to the customers subgraph's
//! `Customer @key(fields: "id")` (which gives `me { orders }` through the router).
//!
//! State machine (`domain::OrderStatus`): PLACED → PAID → PARTIALLY_FULFILLED → FULFILLED →
//! SHIPPED → DELIVERED; CANCELLED from PLACED or PAID; PARTIALLY_REFUNDED / REFUNDED from PAID
//! onward; RETURNED after DELIVERED. Refused transitions are data (`InvalidOrderTransition`).

pub mod demo;
pub mod domain;
mod graphql;
pub mod service;
mod store;

use std::sync::Arc;

use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::events::{ConsumerOptions, LiveEvents, Relay, Transport, spawn_consumer};
use commerce_kernel::internal::InternalClient;
use commerce_kernel::{db, server, subgraph};
use tokio_util::sync::CancellationToken;

pub use graphql::OrdersSchema;
pub use service::{OrderConfirmations, OrdersService, Remote};

pub const DEFAULT_PORT: u16 = 4007;
const DOMAIN: &str = "orders";

/// Everything a running orders subgraph holds: the service wraps the database; `live` feeds
/// the subscriptions (started with `live.spawn` where the events start).
#[derive(Clone)]
pub struct AppState {
    pub service: OrdersService,
    pub live: LiveEvents,
}

/// Connects to (and migrates) the orders database; payments and inventory are called where
/// `config.services` says.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::orders::Migrator>(config, DOMAIN).await?;
    let remote = Remote::new(InternalClient::from_config(config, DOMAIN)?);
    Ok(AppState {
        service: OrdersService::new(db, remote),
        live: LiveEvents::new(DOMAIN),
    })
}

pub fn schema(state: AppState) -> OrdersSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/orders.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.service.db().clone();
    server::graphql_app(schema(state), db, auth)
}

/// Starts the orders event relay (on a pool of its own) and the order confirmation mails
/// (through the configured mailer) until `shutdown`. Whoever serves the subgraph (`run`, or
/// the all-in-one binary) starts them once.
pub async fn spawn_events(
    state: &AppState,
    config: &Config,
    transport: &Transport,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let mailer = commerce_kernel::mail::from_config(config)?;
    let confirmations = OrderConfirmations::new(state.service.clone(), mailer);
    spawn_consumer(
        transport,
        confirmations,
        ConsumerOptions::default(),
        shutdown.clone(),
    );
    Relay::connect(config, DOMAIN, transport.clone())
        .await?
        .spawn(shutdown);
    Ok(())
}

/// Runs the orders subgraph as its own process, with its event relay and consumers.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let transport = Transport::from_config(&config).await?;
            state.live.spawn(&transport, shutdown.clone());
            spawn_events(&state, &config, &transport, shutdown).await?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
