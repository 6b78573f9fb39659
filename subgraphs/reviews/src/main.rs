//! The reviews subgraph on its own. Run with: `cargo run -p commerce-reviews`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_reviews::run(commerce_kernel::config::load()?).await
}
