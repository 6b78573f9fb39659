//! Database migrations, one [`MigratorTrait`] per domain. Each keeps its own migrations table
//! (`seaql_migrations_<domain>`) so domains evolve independently, even in one database.

use sea_orm_migration::MigratorTrait;
use sea_orm_migration::sea_orm::DatabaseConnection;

pub mod analytics;
pub mod catalog;
pub mod checkout;
pub mod cli;
pub mod customers;
pub mod events;
pub mod inventory;
pub mod orders;
pub mod payments;
pub mod pricing;
pub mod reviews;
pub mod webhooks;

pub use sea_orm_migration;

/// The domains that have migrations, in the order the CLI applies them.
pub const DOMAINS: &[&str] = &[
    "catalog",
    "inventory",
    "reviews",
    "pricing",
    "customers",
    "checkout",
    "orders",
    "payments",
    "webhooks",
    "analytics",
];

/// Which way to move a domain's schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::Subcommand)]
pub enum Action {
    /// Apply every pending migration.
    Up,
    /// Roll back the last applied migration.
    Down,
    /// Print applied and pending migrations.
    Status,
    /// Drop every table of the domain and apply all migrations again.
    Fresh,
}

/// Runs `action` for `domain` on an open connection.
pub async fn apply(db: &DatabaseConnection, domain: &str, action: Action) -> anyhow::Result<()> {
    match domain {
        "catalog" => run::<catalog::Migrator>(db, action).await,
        "inventory" => run::<inventory::Migrator>(db, action).await,
        "reviews" => run::<reviews::Migrator>(db, action).await,
        "pricing" => run::<pricing::Migrator>(db, action).await,
        "customers" => run::<customers::Migrator>(db, action).await,
        "checkout" => run::<checkout::Migrator>(db, action).await,
        "orders" => run::<orders::Migrator>(db, action).await,
        "payments" => run::<payments::Migrator>(db, action).await,
        "webhooks" => run::<webhooks::Migrator>(db, action).await,
        "analytics" => run::<analytics::Migrator>(db, action).await,
        other => anyhow::bail!("unknown domain {other:?}; known: {}", DOMAINS.join(", ")),
    }
}

async fn run<M: MigratorTrait>(db: &DatabaseConnection, action: Action) -> anyhow::Result<()> {
    match action {
        Action::Up => M::up(db, None).await?,
        Action::Down => M::down(db, Some(1)).await?,
        Action::Fresh => M::fresh(db).await?,
        Action::Status => {
            for migration in M::get_migration_with_status(db).await? {
                println!(
                    "{:<10} {}",
                    migration.status().to_string(),
                    migration.name()
                );
            }
        }
    }
    Ok(())
}
