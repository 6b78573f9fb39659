//! The payments subgraph: payment intents authorized through a provider, then captured,
//! voided or refunded (in full or in part), with a ledger of every movement and a signed
//! webhook endpoint for the provider's own events.
//!
//! Federation: owns `PaymentIntent @key(fields: "id")` and adds `payments` to the orders
//! subgraph's `Order @key(fields: "id")`. `authorizePayment` and `attachPaymentToOrder` are
//! internal (`@inaccessible`, service tokens only); the documents other subgraphs send are
//! committed under `schema/operations/internal/payments/`.
//!
//! The built-in `test` provider needs no payment service provider; its card numbers:
//!
//! | card number        | outcome                                                  |
//! |--------------------|----------------------------------------------------------|
//! | `4242424242424242` | succeeds                                                 |
//! | `4000000000000002` | declined, `CARD_DECLINED`                                |
//! | `4000000000009995` | declined, `INSUFFICIENT_FUNDS`                           |
//! | `4000000000000341` | authorizes, then the capture fails (`CAPTURE_FAILED`)    |
//! | any other          | declined, `INVALID_CARD`                                 |
//!
//! Only the brand and last four digits of a card are stored.
//!
//! Webhooks: `POST /webhooks/payments/test` with `Commerce-Signature: t=<unix seconds>,
//! v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`, 300 s tolerance, each event id applied
//! once. The secret is the content of `<data_dir>/payments-webhook-secret`, created on first
//! start (see [`webhook::WebhookSecret`]).

pub mod demo;
pub mod domain;
mod graphql;
pub mod provider;
pub mod service;
mod store;
pub mod webhook;

use std::sync::Arc;

use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::events::{Relay, Transport};
use commerce_kernel::{db, server, subgraph};
use tokio_util::sync::CancellationToken;

pub use graphql::PaymentsSchema;
pub use service::PaymentsService;

pub const DEFAULT_PORT: u16 = 4008;
const DOMAIN: &str = "payments";

/// Everything a running payments subgraph holds: the service wraps the database, the
/// providers and the webhook secret.
#[derive(Clone)]
pub struct AppState {
    pub service: PaymentsService,
}

/// Connects to (and migrates) the payments database, with the test provider and the webhook
/// secret of `data_dir`.
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::payments::Migrator>(config, DOMAIN).await?;
    let secret = webhook::WebhookSecret::for_data_dir(&config.data_dir)?;
    Ok(AppState {
        service: PaymentsService::new(db, provider::Providers::default(), secret),
    })
}

pub fn schema(state: AppState) -> PaymentsSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/payments.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// The routes: `/graphql` (with GraphiQL), `/health`, `/ready` and the provider webhook
/// `POST /webhooks/payments/{provider}`. Binds nothing.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let db = state.service.db().clone();
    let webhooks = webhook::routes(state.service.clone());
    server::graphql_app(schema(state), db, auth).merge(webhooks)
}

/// Starts the payments event relay (on a pool of its own) until `shutdown`. Whoever serves
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

/// Runs the payments subgraph as its own process, with its event relay.
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
