//! One part of the production layout in a process of its own (`commerce-stack serve <part>`):
//! a subgraph, served as its own binary serves it, or a router in front of the subgraphs that
//! the configuration's `services` name, following the domains' events to keep its response
//! cache fresh (through Redis Streams, so every router instance hears every change).

use std::net::SocketAddr;

use anyhow::Context;
use commerce_kernel::config::Config;
use commerce_kernel::events::Transport;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{SUBGRAPHS, router_config, start_router};

/// What `serve` runs: each subgraph of [`SUBGRAPHS`], then `router`.
pub fn parts() -> impl Iterator<Item = &'static str> {
    SUBGRAPHS.iter().copied().chain(std::iter::once("router"))
}

/// Serves `part` on `listen` until SIGTERM or Ctrl-C.
pub async fn serve(part: &str, listen: SocketAddr) -> anyhow::Result<()> {
    let mut config = commerce_kernel::config::load()?;
    config.listen = Some(listen);
    match part {
        "catalog" => commerce_catalog::run(config).await,
        "inventory" => commerce_inventory::run(config).await,
        "reviews" => commerce_reviews::run(config).await,
        "pricing" => commerce_pricing::run(config).await,
        "customers" => commerce_customers::run(config).await,
        "checkout" => commerce_checkout::run(config).await,
        "orders" => commerce_orders::run(config).await,
        "payments" => commerce_payments::run(config).await,
        "webhooks" => commerce_webhooks::run(config).await,
        "analytics" => commerce_analytics::run(config).await,
        "router" => serve_router(config, listen).await,
        other => anyhow::bail!(
            "no part {other:?}: one of {}",
            parts().collect::<Vec<_>>().join(", ")
        ),
    }
}

async fn serve_router(config: Config, listen: SocketAddr) -> anyhow::Result<()> {
    commerce_kernel::telemetry::init(&config, "router");
    let services = commerce_kernel::internal::service_urls(&config);
    let urls: Vec<(&str, String)> = services
        .iter()
        .filter(|(name, _)| SUBGRAPHS.contains(&name.as_str()))
        .map(|(name, url)| (name.as_str(), url.clone()))
        .collect();
    let router = router_config(&urls, &config);
    let shutdown = CancellationToken::new();
    let transport = Transport::from_config(&config)
        .await
        .context("the events the router's cache follows")?;
    let mut tasks = JoinSet::new();
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("binding {listen}"))?;
    let addr = start_router(listener, router, &transport, &mut tasks, shutdown.clone()).await?;
    tracing::info!("router: GraphiQL at http://{addr}/graphql");
    tokio::spawn(async move {
        commerce_kernel::server::shutdown_signal().await;
        shutdown.cancel();
    });
    while let Some(result) = tasks.join_next().await {
        result.context("the router task panicked")??;
    }
    commerce_otel::shutdown().await;
    Ok(())
}
