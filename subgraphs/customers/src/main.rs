//! The customers subgraph as its own process (default port 4005).

// As in the catalog: many small allocations per request, served faster by mimalloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = commerce_kernel::config::load()?;
    commerce_customers::run(config).await
}
