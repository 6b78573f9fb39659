//! Seeds the demo catalog (100,000 products unless told otherwise) and serves it, for load
//! tests of the catalog alone.
//!
//! Run with: `cargo run --release -p commerce-catalog --example serve_demo -- 100000`
//! (PostgreSQL: set `DATABASE_URL`; the SQLite file goes under `COMMERCE_DATA_DIR`, default `data/`).

use std::time::Instant;

use anyhow::Context;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let products = std::env::args()
        .nth(1)
        .map(|n| n.parse::<usize>().context("the product count"))
        .transpose()?
        .unwrap_or(100_000);
    let config = commerce_kernel::config::load()?;
    commerce_kernel::telemetry::init(&config, "catalog");
    let state = commerce_catalog::state(&config).await?;
    let started = Instant::now();
    let seeded = commerce_catalog::demo::seed(&state, products, 1).await?;
    println!(
        "seed: {} products ready in {:.2?}",
        seeded.len(),
        started.elapsed()
    );
    let listener =
        tokio::net::TcpListener::bind(config.listen_or(commerce_catalog::DEFAULT_PORT)).await?;
    println!(
        "catalog GraphiQL at http://{}/graphql",
        listener.local_addr()?
    );
    commerce_kernel::server::serve(
        listener,
        commerce_catalog::router(
            state,
            std::sync::Arc::new(commerce_kernel::auth::Verifier::from_config(&config)?),
        ),
    )
    .await
}
