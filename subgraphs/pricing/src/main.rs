//! Runs the pricing subgraph on its own (`cargo run -p commerce-pricing`).

// As in the catalog: many small allocations per request, served faster by mimalloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_pricing::run(commerce_kernel::config::load()?).await
}
