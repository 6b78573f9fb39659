use clap::Parser;

// Every request allocates many small values (rows, JSON, GraphQL values); mimalloc serves
// them faster than the system allocator under concurrency (glibc malloc took a third of
// the all-in-one stack's CPU serving storefront pages).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_stack::run(commerce_stack::Cli::parse()).await
}
