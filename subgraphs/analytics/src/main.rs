//! The analytics subgraph on its own. Run with: `cargo run -p commerce-analytics`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_analytics::run(commerce_kernel::config::load()?).await
}
