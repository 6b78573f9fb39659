//! Write transactions on SQLite queue behind each other: one that reads before it writes
//! holds the write lock from its start, so another process's write waits for it instead of
//! committing under its read and failing it with SQLITE_BUSY.

use std::time::Duration;

use commerce_kernel::db::{begin_write, connect};
use commerce_testkit::{Backend, migrated_database};
use sea_orm::{ConnectionTrait, Statement};

const DOMAIN: &str = "locks";

async fn count(db: &impl ConnectionTrait) -> i64 {
    db.query_one(Statement::from_string(
        db.get_database_backend(),
        "SELECT COUNT(*) AS n FROM notes",
    ))
    .await
    .expect("counts")
    .expect("a row")
    .try_get("", "n")
    .expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_transaction_that_reads_first_commits_beside_another_process_on_sqlite() {
    let database =
        migrated_database::<commerce_migrations::events::Migrator>(Backend::Sqlite, DOMAIN).await;
    let insert = "INSERT INTO notes (n) VALUES (1)";
    database
        .db
        .execute_unprepared("CREATE TABLE notes (n INTEGER NOT NULL)")
        .await
        .expect("creates a table");
    let other = connect(&database.config, DOMAIN)
        .await
        .expect("a second pool, as another process has");

    let txn = begin_write(&database.db).await.expect("begins");
    let before = count(&txn).await;
    let other_write = tokio::spawn(async move { other.execute_unprepared(insert).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        !other_write.is_finished(),
        "the other process's write waits for this transaction"
    );
    txn.execute_unprepared(insert)
        .await
        .expect("writes after its read");
    txn.commit().await.expect("commits");
    other_write
        .await
        .expect("joins")
        .expect("the other write commits after it");
    assert_eq!(count(&database.db).await, before + 2);
}

/// After a bulk load the planner must not wait for autovacuum: `analyze` gathers the domain's
/// statistics at once, for its own schema's tables only.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyze_gathers_the_domains_statistics_at_once_on_postgres() {
    let database =
        migrated_database::<commerce_migrations::events::Migrator>(Backend::Postgres, DOMAIN).await;
    let db = &database.db;
    db.execute_unprepared(
        "CREATE TABLE notes (n BIGINT NOT NULL); \
         INSERT INTO notes SELECT generate_series(1, 5000)",
    )
    .await
    .expect("loads a table");
    let analyzed = || async {
        db.query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM pg_stats \
             WHERE schemaname = current_schema() AND tablename = 'notes'",
        ))
        .await
        .expect("reads pg_stats")
        .expect("a row")
        .try_get::<i64>("", "n")
        .expect("a count")
    };
    assert_eq!(analyzed().await, 0, "no statistics right after the load");

    commerce_kernel::db::analyze(db).await.expect("analyzes");
    assert_eq!(analyzed().await, 1, "the column's statistics are there");
}
