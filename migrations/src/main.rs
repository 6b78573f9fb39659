use clap::Parser;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    commerce_migrations::cli::main(commerce_migrations::cli::Cli::parse()).await
}
