//! The orders subgraph on its own. Run with: `cargo run -p commerce-orders`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_orders::run(commerce_kernel::config::load()?).await
}
