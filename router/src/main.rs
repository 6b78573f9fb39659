//! `commerce-router --supergraph PATH [--listen ADDR] [--config router.yaml]`.

use clap::Parser;
use commerce_router::config::{Cli, Config};

// mimalloc keeps RSS flat under concurrency (no per-thread arena growth) and allocates the
// many small JSON nodes of a response faster than the system allocator.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = Config::load(Cli::parse())?;
    commerce_router::init_tracing(&config.telemetry)?;
    let served = commerce_router::run(config).await;
    commerce_otel::shutdown().await;
    served
}
