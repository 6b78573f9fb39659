//! `cargo xtask <task>`: repeatable chores.

use anyhow::Context;
use clap::{Parser, Subcommand};
use xtask::compose::{committed_subgraphs, compose, supergraph_path};

#[derive(Parser)]
struct Cli {
    #[command(subcommand)]
    task: Task,
}

#[derive(Subcommand)]
enum Task {
    /// Compose schema/subgraphs/*.graphql into schema/supergraph.graphql.
    Compose {
        /// Fail instead of writing when the committed supergraph is stale.
        #[arg(long)]
        check: bool,
    },
    /// Compare the API schema of schema/supergraph.graphql with a base commit's; fail on
    /// breaking changes that schema/breaking-changes.toml does not acknowledge.
    SchemaDiff {
        /// A git ref; by default the merge-base with origin/main, or HEAD~1 on main itself.
        #[arg(long)]
        base: Option<String>,
    },
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().task {
        Task::Compose { check } => {
            let supergraph = compose(&committed_subgraphs()?)?;
            let path = supergraph_path();
            if check {
                let committed = std::fs::read_to_string(&path).unwrap_or_default();
                anyhow::ensure!(
                    committed == supergraph,
                    "{} is not the composition of schema/subgraphs; run `cargo xtask compose`",
                    path.display()
                );
            } else {
                std::fs::write(&path, supergraph)
                    .with_context(|| format!("writing {}", path.display()))?;
                println!("wrote {}", path.display());
            }
            Ok(())
        }
        Task::SchemaDiff { base } => xtask::schema_diff::run(base.as_deref()),
    }
}
