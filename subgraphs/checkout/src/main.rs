//! The checkout subgraph on its own. Run with: `cargo run -p commerce-checkout`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_checkout::run(commerce_kernel::config::load()?).await
}
