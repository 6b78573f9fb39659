//! The payments subgraph on its own. Run with: `cargo run -p commerce-payments`.

// As in the catalog: many small allocations per request, served faster by mimalloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_payments::run(commerce_kernel::config::load()?).await
}
