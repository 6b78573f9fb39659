//! The analytics subgraph on its own. Run with: `cargo run -p commerce-analytics`.

// As in the catalog: many small allocations per request, served faster by mimalloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_analytics::run(commerce_kernel::config::load()?).await
}
