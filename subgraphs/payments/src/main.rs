//! The payments subgraph on its own. Run with: `cargo run -p commerce-payments`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_payments::run(commerce_kernel::config::load()?).await
}
