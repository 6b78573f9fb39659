//! `commerce-router --supergraph PATH [--listen ADDR] [--config router.yaml]`.

use clap::Parser;
use commerce_router::config::{Cli, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_router::init_tracing();
    let config = Config::load(Cli::parse())?;
    commerce_router::run(config).await
}
