//! The catalog subgraph as a standalone server.

// A page of products allocates thousands of small values (rows, JSON, GraphQL values);
// mimalloc serves them faster than the system allocator under concurrency.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let config = commerce_kernel::config::load()?;
    commerce_catalog::run(config).await
}
