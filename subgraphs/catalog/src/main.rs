//! The catalog subgraph as a standalone server.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = commerce_kernel::config::load()?;
    commerce_catalog::run(config).await
}
