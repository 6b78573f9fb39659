//! Runs the inventory subgraph on its own.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_inventory::run(commerce_kernel::config::load()?).await
}
