//! The checkout subgraph: carts for guests (a random token is the key) and customers, shipping
//! zones and methods, cart totals from pricing's rules, and the checkout saga that turns a
//! cart into an order (reserve stock, authorize payment, place the order, commit the stock),
//! compensating every step that came before a failure.
//!
//! Federation: owns `Cart` (reached by id or token, not an entity); lines point at the
//! catalog's `ProductVariant @key(fields: "id")`, which it cannot resolve. It calls the other
//! subgraphs directly with a service token, with the documents committed under
//! `schema/operations/internal/`.

pub mod demo;
pub mod domain;
mod graphql;
mod remote;
pub mod service;
mod store;

use std::sync::Arc;

use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::events::{Relay, Transport};
use commerce_kernel::internal::InternalClient;
use commerce_kernel::{db, server, subgraph};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

pub use graphql::{CheckoutSchema, SHIPPING_READ, SHIPPING_WRITE};
pub use service::CheckoutService;

pub const DEFAULT_PORT: u16 = 4006;
const DOMAIN: &str = "checkout";

/// Everything a running checkout subgraph holds: the service wraps the database and the
/// clients of the other subgraphs.
#[derive(Clone)]
pub struct AppState {
    pub service: CheckoutService,
}

impl AppState {
    /// On an open database (tests attach statement counters first), calling the other
    /// subgraphs where `config.services` says.
    pub fn new(db: DatabaseConnection, config: &Config) -> anyhow::Result<Self> {
        let client = InternalClient::from_config(config, DOMAIN)?;
        let lease = service::lease_duration(config.internal_timeout_ms);
        Ok(Self {
            service: CheckoutService::new(
                db,
                remote::Remote::new(client),
                lease,
                config.max_concurrent_checkouts,
            ),
        })
    }
}

/// Connects to (and migrates) the checkout database and builds the clients of the other
/// subgraphs from `config.services`.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::checkout::Migrator>(config, DOMAIN).await?;
    AppState::new(db, config)
}

pub fn schema(state: AppState) -> CheckoutSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/checkout.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.service.db().clone();
    server::graphql_app(schema(state), db, auth)
}

/// Starts the checkout event relay (on a pool of its own) until `shutdown`. Whoever serves
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

/// Runs the checkout subgraph as its own process, resuming the sagas a previous run (or
/// another instance that died) left unfinished, with its event relay.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            spawn_recovery(&state);
            let transport = Transport::from_config(&config).await?;
            spawn_events(&config, &transport, shutdown).await?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}

/// How often each instance looks for sagas that nobody runs any more (a dead instance's, or
/// ones whose services were down), after the pass on start.
const RECOVERY_INTERVAL: std::time::Duration = std::time::Duration::from_secs(30);

/// Finishes or compensates, in the background and for as long as the runtime runs, the
/// checkout sagas that nobody runs: on start (a stopped process left them), then every
/// [`RECOVERY_INTERVAL`], so that a live instance finishes what a dead one left once its lease
/// lapsed. Every instance runs one; a saga's lease makes sure only one of them runs it. A
/// pass takes at most a batch; a full batch that got somewhere is followed by the next at once.
pub fn spawn_recovery(state: &AppState) -> tokio::task::JoinHandle<()> {
    let service = state.service.clone();
    tokio::spawn(async move {
        loop {
            match service.recover().await {
                Ok(pass) if pass.more() => continue,
                Ok(pass) if pass.unfinished > 0 => {
                    tracing::info!(unfinished = pass.unfinished, "checkouts still to resume");
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "checkout recovery failed"),
            }
            tokio::time::sleep(RECOVERY_INTERVAL).await;
        }
    })
}
