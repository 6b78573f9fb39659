//! The webhooks subgraph on its own. Run with: `cargo run -p commerce-webhooks`.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_webhooks::run(commerce_kernel::config::load()?).await
}
