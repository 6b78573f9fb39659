//! Database connection per domain: a SQLite file under `data_dir` by default, or PostgreSQL
//! (one schema per domain) when `database_url` is set. Migrations run on connect.

use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    DbErr, RuntimeErr, Statement, TransactionTrait, Value,
};
use sea_orm_migration::MigratorTrait;

use crate::config::Config;
use crate::read_pipeline::ReadPipeline;

/// Connects to `domain`'s database and brings its schema up to date with `M`.
pub async fn connect_and_migrate<M: MigratorTrait>(
    config: &Config,
    domain: &str,
) -> anyhow::Result<DatabaseConnection> {
    let migrating = connect_for_migrations(config, domain).await?;
    M::up(&migrating, None)
        .await
        .with_context(|| format!("migrating the {domain} database"))?;
    migrating
        .close()
        .await
        .context("closing the migration connection")?;
    connect(config, domain).await
}

/// Connects to `domain`'s database over a single connection, for running migrations.
///
/// Spread over a pool, a migration can fail on SQLite: a pooled connection whose last read has
/// not been reset yet still sees the schema from before the previous statement.
pub async fn connect_for_migrations(
    config: &Config,
    domain: &str,
) -> anyhow::Result<DatabaseConnection> {
    let config = Config {
        db_max_connections: 1,
        ..config.clone()
    };
    connect(&config, domain).await
}

/// Connects to `domain`'s database without migrating; its statements are timed in the
/// process's metrics.
pub async fn connect(config: &Config, domain: &str) -> anyhow::Result<DatabaseConnection> {
    anyhow::ensure!(
        !domain.is_empty() && domain.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
        "domain names are lowercase identifiers, got {domain:?}"
    );
    let mut db = match &config.database_url {
        Some(url) if url.starts_with("postgres") => connect_postgres(config, url, domain).await?,
        Some(url) if url.starts_with("sqlite:") => connect_sqlite(url.clone(), config).await?,
        Some(url) => anyhow::bail!("unsupported database_url scheme in {url:?}"),
        None => {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("creating the data directory {}", config.data_dir.display())
            })?;
            let path = config.data_dir.join(format!("{domain}.sqlite"));
            connect_sqlite(format!("sqlite://{}?mode=rwc", path.display()), config).await?
        }
    };
    crate::telemetry::metrics::observe_sql(&mut db, domain);
    Ok(db)
}

async fn connect_sqlite(url: String, config: &Config) -> anyhow::Result<DatabaseConnection> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(config.db_max_connections)
        .sqlx_logging(false)
        // WAL lets readers run beside the single writer; the busy timeout makes concurrent
        // writers queue instead of failing with SQLITE_BUSY.
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
        });
    Database::connect(options)
        .await
        .context("opening the SQLite database")
}

async fn connect_postgres(
    config: &Config,
    url: &str,
    domain: &str,
) -> anyhow::Result<DatabaseConnection> {
    let bootstrap = Database::connect(url)
        .await
        .context("connecting to PostgreSQL")?;
    bootstrap
        .execute(Statement::from_string(
            DbBackend::Postgres,
            format!("CREATE SCHEMA IF NOT EXISTS \"{domain}\""),
        ))
        .await
        .with_context(|| format!("creating the {domain} schema"))?;
    bootstrap
        .close()
        .await
        .context("closing the bootstrap connection")?;

    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(config.db_max_connections)
        .acquire_timeout(Duration::from_secs(10))
        // sqlx pings every connection it lends out by default: a round trip per statement
        // batch, which cost a listing page a fifth of its time. A connection the server
        // dropped fails its next statement instead, and the pool then discards it.
        .test_before_acquire(false)
        .sqlx_logging(false)
        .set_schema_search_path(domain.to_owned());
    Database::connect(options)
        .await
        .context("connecting to PostgreSQL")
}

/// `domain`'s pipelined reads (see [`ReadPipeline`]), timed in the process's metrics: on
/// PostgreSQL unless `db_read_connections` is 0 or the URL needs what they lack (TLS), in which
/// case the reads go through the pool (said once in the log).
pub fn read_pipeline(config: &Config, domain: &str) -> Option<ReadPipeline> {
    let url = config
        .database_url
        .as_deref()
        .filter(|url| url.starts_with("postgres"))?;
    match ReadPipeline::new(url, domain, config.db_read_connections) {
        Ok(reads) => {
            crate::telemetry::metrics::observe_pipelined_sql(&reads, domain);
            Some(reads)
        }
        Err(why) => {
            tracing::info!(domain, "reads are not pipelined: {why}");
            None
        }
    }
}

/// Gathers the planner's statistics for this domain's tables now, after a bulk load
/// (PostgreSQL; SQLite plans without them). Autovacuum gathers them only a minute or more
/// later, and until then PostgreSQL guesses: a page's variants were read by a parallel scan of
/// every variant (22 ms) instead of the index (under 1 ms).
pub async fn analyze(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if db.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    // Each domain's connections have its schema as their search path.
    let tables = db
        .query_all(Statement::from_string(
            DbBackend::Postgres,
            "SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables \
             WHERE schemaname = current_schema()",
        ))
        .await?
        .iter()
        .map(|row| row.try_get::<String>("", "name"))
        .collect::<Result<Vec<_>, _>>()?;
    if tables.is_empty() {
        return Ok(());
    }
    db.execute_unprepared(&format!("ANALYZE {}", tables.join(", ")))
        .await?;
    Ok(())
}

/// Begins a transaction that writes; every write transaction starts here.
///
/// SQLite begins transactions deferred: one that reads before its first write can only take
/// the write lock if no other connection committed since its read, and otherwise fails at once
/// with SQLITE_BUSY instead of waiting out the busy timeout. Taking the write lock first (a
/// write that matches no row; every domain has the kernel's outbox) makes such a transaction
/// queue behind the other writers. PostgreSQL needs nothing: its row locks wait. Within a
/// transaction this begins a savepoint.
pub async fn begin_write(db: &impl TransactionTrait) -> Result<DatabaseTransaction, DbErr> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the one place transactions begin"
    )]
    let txn = db.begin().await?;
    if txn.get_database_backend() == DbBackend::Sqlite {
        txn.execute_unprepared("UPDATE event_outbox SET id = id WHERE 0")
            .await?;
    }
    Ok(txn)
}

/// A statement from SQL written once for both backends with `?` placeholders, numbered
/// `$1, $2, ...` for PostgreSQL. The SQL holds no literal `?`: values are always bound.
pub fn statement(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = conn.get_database_backend();
    Statement::from_sql_and_values(backend, number_placeholders(backend, sql), values)
}

fn number_placeholders(backend: DbBackend, sql: &str) -> String {
    if backend != DbBackend::Postgres {
        return sql.to_owned();
    }
    let mut numbered = String::with_capacity(sql.len() + 16);
    for (index, part) in sql.split('?').enumerate() {
        if index > 0 {
            numbered.push('$');
            numbered.push_str(&index.to_string());
        }
        numbered.push_str(part);
    }
    numbered
}

/// `?, ?, ?`: the placeholders of `count` values, for an `IN (...)` list or a row.
pub fn placeholders(count: usize) -> String {
    vec!["?"; count].join(", ")
}

/// Whether `error` is a lock conflict that running the whole transaction again can get past:
/// PostgreSQL's serialization failure and deadlock, SQLite's busy and locked (past its busy
/// timeout, or a read snapshot that another writer made stale).
pub fn is_transient(error: &DbErr) -> bool {
    let (DbErr::Exec(RuntimeErr::SqlxError(error))
    | DbErr::Query(RuntimeErr::SqlxError(error))
    | DbErr::Conn(RuntimeErr::SqlxError(error))) = error
    else {
        return false;
    };
    let code = error.as_database_error().and_then(|e| e.code());
    matches!(
        code.as_deref(),
        Some("40001" | "40P01" | "5" | "6" | "261" | "517")
    )
}

/// Whether the database answers; backs the `/ready` endpoint.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn creates_a_sqlite_file_per_domain_under_the_data_dir() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config {
            data_dir: dir.path().join("data"),
            ..Config::default()
        };
        let db = connect(&config, "catalog").await.expect("connects");
        assert!(ping(&db).await);
        assert!(dir.path().join("data/catalog.sqlite").exists());
        assert!(connect(&config, "Bad-Name").await.is_err());
    }

    #[test]
    fn numbers_placeholders_for_postgres_only() {
        let sql = "a = ? AND b IN (?, ?)";
        assert_eq!(
            number_placeholders(DbBackend::Postgres, sql),
            "a = $1 AND b IN ($2, $3)"
        );
        assert_eq!(number_placeholders(DbBackend::Sqlite, sql), sql);
        assert_eq!(placeholders(3), "?, ?, ?");
    }
}
