//! The skeleton every subgraph shares: its schema builder (Federation v2 and the operation
//! limits), its SDL export, and running it as its own process. A subgraph's `lib.rs` exports
//! `state(config)`, `schema(state)`, `sdl()`, `router(state)` and `run(config)` on top of these.

mod executor;
mod limits;
mod response_cache;

use std::future::Future;

use anyhow::Context as _;
use async_graphql::{
    EmptySubscription, ObjectType, SDLExportOptions, Schema, SchemaBuilder, SubscriptionType,
};
use axum::Router;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::{server, telemetry};

pub use executor::SubgraphExecutor;
pub use limits::{Limits, codes};
pub use response_cache::ResponseCache;

/// A subgraph's schema builder: Federation v2 with the kernel's operation [`Limits`]. The
/// subgraph registers its `ErrorResult` interface (only union members implement it, so no
/// field would make the schema include it), its extensions and its data.
pub fn schema_builder<Q, M>(query: Q, mutation: M) -> SchemaBuilder<Q, M, EmptySubscription>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
{
    let builder = Schema::build(query, mutation, EmptySubscription).enable_federation();
    traced(Limits::default().apply(builder))
}

/// `builder` with resolver spans when tracing is on; never otherwise: any extension wraps
/// every field's resolution (see [`SubgraphExecutor`]).
fn traced<Q, M, S>(builder: SchemaBuilder<Q, M, S>) -> SchemaBuilder<Q, M, S> {
    if commerce_otel::enabled() {
        builder.extension(telemetry::ResolverSpans)
    } else {
        builder
    }
}

/// [`schema_builder`] for a subgraph that serves subscriptions too (over WebSocket, see
/// [`server::graphql_app`]).
pub fn schema_builder_with_subscription<Q, M, S>(
    query: Q,
    mutation: M,
    subscription: S,
) -> SchemaBuilder<Q, M, S>
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let builder = Schema::build(query, mutation, subscription)
        .enable_federation()
        // The router plans subscriptions from the supergraph, so the SDL must show them.
        .enable_subscription_in_federation();
    traced(Limits::default().apply(builder))
}

/// The Federation v2 SDL of the schema `builder` makes, as committed in
/// `schema/subgraphs/<domain>.graphql`. The shape does not depend on data, so a builder
/// without any does.
pub fn sdl<Q, M, S>(builder: SchemaBuilder<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    builder
        .finish()
        .sdl_with_options(SDLExportOptions::new().federation().compose_directive())
}

/// Runs a subgraph as its own process until SIGTERM or Ctrl-C: logging, then `serve` (which
/// builds the state and starts any background work) on the configured address or
/// `default_port`.
pub async fn run<F>(
    config: Config,
    name: &str,
    default_port: u16,
    serve: impl FnOnce(Config) -> F,
) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<Router>>,
{
    run_with_shutdown(config, name, default_port, |config, _| serve(config)).await
}

/// Like [`run`], for a subgraph with background work (an event relay, consumers, sweepers):
/// `serve` starts it tied to the token it gets, which is cancelled when SIGTERM or Ctrl-C
/// stops the server.
pub async fn run_with_shutdown<F>(
    config: Config,
    name: &str,
    default_port: u16,
    serve: impl FnOnce(Config, CancellationToken) -> F,
) -> anyhow::Result<()>
where
    F: Future<Output = anyhow::Result<Router>>,
{
    telemetry::init(&config, name);
    let address = config.listen_or(default_port);
    let shutdown = CancellationToken::new();
    let app = telemetry::with_service_name(serve(config, shutdown.clone()).await?, name);
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("binding {address}"))?;
    let local = listener.local_addr().context("reading the bound address")?;
    tracing::info!("{name} subgraph: GraphiQL at http://{local}/graphql");
    let signal = {
        let shutdown = shutdown.clone();
        async move {
            server::shutdown_signal().await;
            shutdown.cancel();
        }
    };
    let served = server::serve_until(listener, app, signal).await;
    shutdown.cancel();
    commerce_otel::shutdown().await;
    served
}
