//! `commerce-migrations [--domain NAME] up|down|status|fresh`, on the configured database.

use clap::Parser;

use crate::{Action, DOMAINS, apply};

#[derive(Debug, Parser)]
#[command(about = "Apply, roll back or inspect the commerce database migrations")]
pub struct Cli {
    /// Only this domain (default: every domain).
    #[arg(long)]
    pub domain: Option<String>,
    #[command(subcommand)]
    pub action: Action,
}

pub async fn main(cli: Cli) -> anyhow::Result<()> {
    let config = commerce_kernel::config::load()?;
    let domains: Vec<&str> = match &cli.domain {
        Some(domain) => vec![domain.as_str()],
        None => DOMAINS.to_vec(),
    };
    for domain in domains {
        println!("== {domain}");
        let db = commerce_kernel::db::connect(&config, domain).await?;
        apply(&db, domain, cli.action).await?;
    }
    Ok(())
}
