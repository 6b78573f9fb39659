//! The customers subgraph as its own process (default port 4005).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = commerce_kernel::config::load()?;
    commerce_customers::run(config).await
}
