use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_stack::run(commerce_stack::Cli::parse()).await
}
