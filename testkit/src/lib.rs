//! Test support shared by every crate: a fresh database per test on SQLite or a real
//! PostgreSQL, a real Redis, SQL statement counting for N+1 tests, scenarios declared once for
//! both backends (`on_both_backends!`), SDL golden files, viewers and ids, operations
//! executed as a viewer, the domain events a test's writes published (`events`), and a real
//! SMTP server for mail tests (`smtp`), and an OpenID Connect provider serving its JWKS
//! (`oidc`).
//!
//! PostgreSQL and Redis come from `TESTKIT_POSTGRES_URL` / `TESTKIT_REDIS_URL` (not under the
//! `COMMERCE_` prefix, which the configuration owns and checks for unknown keys)
//! (started once by `scripts/test.sh`). When unset, the first test of a process starts its own
//! throwaway server in a temporary directory, which stops when the process exits.

pub mod events;
mod graphql;
pub mod oidc;
mod scenario;
mod sdl;
mod servers;
pub mod smtp;
mod viewers;

pub use graphql::{error_code, execute_as};
pub use scenario::{Runtime, run_scenario};
pub use sdl::{assert_composes, assert_sdl_matches};
pub use viewers::{customer, ids, service, staff, verifier};

use std::ops::Deref;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use commerce_kernel::config::Config;
use commerce_kernel::read_pipeline::ReadPipeline;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use sea_orm_migration::MigratorTrait;
use tokio::sync::OnceCell;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub const ALL: [Backend; 2] = [Backend::Sqlite, Backend::Postgres];
}

/// A configuration pointing at a database that no other test uses. The database goes when
/// this does: a SQLite directory is deleted, a PostgreSQL database dropped.
pub struct TestConfig {
    config: Config,
    _postgres: Option<PostgresDatabase>,
    _data_dir: tempfile::TempDir,
}

impl Deref for TestConfig {
    type Target = Config;
    fn deref(&self) -> &Config {
        &self.config
    }
}

impl TestConfig {
    pub fn config(&self) -> Config {
        self.config.clone()
    }
}

/// A fresh database on `backend`: a new SQLite directory, or a new PostgreSQL database.
pub async fn test_config(backend: Backend) -> TestConfig {
    let data_dir = tempfile::tempdir().expect("creating a temporary data directory");
    let postgres = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(PostgresDatabase::create().await),
    };
    let config = Config {
        data_dir: data_dir.path().to_path_buf(),
        database_url: postgres.as_ref().map(PostgresDatabase::url),
        db_max_connections: 20,
        ..Config::default()
    };
    TestConfig {
        config,
        _postgres: postgres,
        _data_dir: data_dir,
    }
}

/// A fresh database of one domain, migrated, with its statements counted.
pub struct TestDatabase {
    /// The connection; clone it into the application state after the counter is attached.
    pub db: DatabaseConnection,
    /// Its pipelined reads on PostgreSQL (`commerce_kernel::db::read_pipeline`), counted too.
    pub reads: Option<ReadPipeline>,
    pub statements: SqlCounter,
    /// Keeps the database's directory for the test's life.
    pub config: TestConfig,
}

/// A fresh `domain` database on `backend`, migrated by `M`, with a statement counter.
pub async fn migrated_database<M: MigratorTrait>(backend: Backend, domain: &str) -> TestDatabase {
    let config = test_config(backend).await;
    let mut db = commerce_kernel::db::connect_and_migrate::<M>(&config, domain)
        .await
        .expect("connects and migrates");
    let statements = SqlCounter::attach(&mut db);
    let reads = commerce_kernel::db::read_pipeline(&config, domain);
    if let Some(reads) = &reads {
        statements.count_pipelined(reads);
    }
    TestDatabase {
        db,
        reads,
        statements,
        config,
    }
}

/// The URL of a throwaway Redis; tests keep apart by namespacing their keys.
pub async fn redis_url() -> String {
    static URL: OnceCell<String> = OnceCell::const_new();
    URL.get_or_init(|| async {
        match std::env::var("TESTKIT_REDIS_URL") {
            Ok(url) => url,
            Err(_) => servers::start_redis()
                .await
                .expect("starting a throwaway Redis"),
        }
    })
    .await
    .clone()
}

async fn postgres_admin_url() -> String {
    static URL: OnceCell<String> = OnceCell::const_new();
    URL.get_or_init(|| async {
        match std::env::var("TESTKIT_POSTGRES_URL") {
            Ok(url) => url,
            Err(_) => servers::start_postgres()
                .await
                .expect("starting a throwaway PostgreSQL"),
        }
    })
    .await
    .clone()
}

/// A test's own PostgreSQL database, dropped with the test: a full run creates hundreds, about
/// 8 MB each, and left behind they once filled a CI machine's disk mid-run.
struct PostgresDatabase {
    admin_url: String,
    name: String,
}

impl PostgresDatabase {
    async fn create() -> Self {
        let admin_url = postgres_admin_url().await;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(&admin_url)
            .await
            .expect("connecting to the test PostgreSQL");
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("creating a test database");
        admin.close().await.expect("closing the admin connection");
        Self { admin_url, name }
    }

    fn url(&self) -> String {
        replace_database(&self.admin_url, &self.name)
    }

    async fn drop_database(&self) -> Result<(), sea_orm::DbErr> {
        let admin = Database::connect(&self.admin_url).await?;
        // FORCE ends the connections that the test's pools and background tasks still hold.
        let name = &self.name;
        admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await?;
        admin.close().await
    }
}

impl Drop for PostgresDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot block on a future: the statement
        // runs on a thread with a runtime of its own.
        let database = &*self;
        let dropped = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|error| error.to_string())?
                        .block_on(database.drop_database())
                        .map_err(|error| error.to_string())
                })
                .join()
        });
        // A database left behind costs disk, not the test's verdict.
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("leaving test database {}: {error}", self.name),
            Err(_) => eprintln!("leaving test database {}: dropping it panicked", self.name),
        }
    }
}

/// `postgres://user@host:port/postgres?x` with the database name replaced.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(b, q)| (b, Some(q)));
    let (server, _) = base
        .rsplit_once('/')
        .expect("a PostgreSQL URL ends with /database");
    match query {
        Some(query) => format!("{server}/{name}?{query}"),
        None => format!("{server}/{name}"),
    }
}

/// Counts the SQL statements a connection runs, to prove that list fields cost a constant
/// number of queries. Attach before the connection is cloned into application state.
#[derive(Clone, Default)]
pub struct SqlCounter(Arc<AtomicUsize>);

impl SqlCounter {
    pub fn attach(db: &mut DatabaseConnection) -> Self {
        let counter = Self::default();
        let count = counter.0.clone();
        db.set_metric_callback(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
        });
        counter
    }

    /// Counts `reads`' statements too.
    pub fn count_pipelined(&self, reads: &ReadPipeline) {
        let count = self.0.clone();
        reads.set_metric_callback(Arc::new(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
        }));
    }

    pub fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }

    pub fn reset(&self) {
        self.0.store(0, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::{DbBackend, Statement};

    #[test]
    fn replaces_the_database_name_in_urls() {
        let url = replace_database(
            "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable",
            "t1",
        );
        assert_eq!(url, "postgres://postgres@127.0.0.1:5432/t1?sslmode=disable");
        assert_eq!(
            replace_database("postgres://h/postgres", "t2"),
            "postgres://h/t2"
        );
    }

    async fn database_exists(admin: &DatabaseConnection, url: &str) -> bool {
        let name = url.rsplit('/').next().expect("a database name");
        let found = admin
            .query_one(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "SELECT 1 FROM pg_database WHERE datname = $1",
                [name.into()],
            ))
            .await
            .expect("queries pg_database");
        found.is_some()
    }

    #[tokio::test]
    async fn a_test_postgres_database_is_dropped_with_its_config_even_while_connected() {
        let admin = Database::connect(postgres_admin_url().await)
            .await
            .expect("connects");
        let config = test_config(Backend::Postgres).await;
        let url = config.database_url.clone().expect("postgres url");
        let held = Database::connect(&url).await.expect("connects");
        held.execute_unprepared("SELECT 1").await.expect("runs");
        assert!(database_exists(&admin, &url).await);
        drop(config);
        assert!(!database_exists(&admin, &url).await);
    }

    #[tokio::test]
    async fn gives_each_test_its_own_postgres_database_and_counts_statements() {
        let first = test_config(Backend::Postgres).await;
        let second = test_config(Backend::Postgres).await;
        assert_ne!(first.database_url, second.database_url);
        let mut db = Database::connect(first.database_url.as_deref().expect("postgres url"))
            .await
            .expect("connects");
        let counter = SqlCounter::attach(&mut db);
        db.execute(Statement::from_string(DbBackend::Postgres, "SELECT 1"))
            .await
            .expect("runs");
        assert_eq!(counter.count(), 1);
    }
}
