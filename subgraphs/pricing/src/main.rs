//! Runs the pricing subgraph on its own (`cargo run -p commerce-pricing`).

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_pricing::run(commerce_kernel::config::load()?).await
}
