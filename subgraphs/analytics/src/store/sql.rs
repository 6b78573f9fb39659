//! Statements written once for both backends (`?` placeholders, numbered for PostgreSQL by the
//! kernel's `db::statement`) and multi-row inserts in chunks that stay under either backend's
//! limit on parameters.

use commerce_kernel::db::{placeholders, statement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Value};

/// Rows per multi-row statement: at most 8 columns × 500 rows, far below SQLite's 32,766 and
/// PostgreSQL's 65,535 parameters.
pub const CHUNK: usize = 500;

pub async fn execute(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<u64, DbErr> {
    Ok(db
        .execute(statement(db, sql, values))
        .await?
        .rows_affected())
}

pub async fn query(
    db: &impl ConnectionTrait,
    sql: &str,
    values: Vec<Value>,
) -> Result<Vec<QueryResult>, DbErr> {
    db.query_all(statement(db, sql, values)).await
}

/// `(?, ?, ...)` for one row of `width` values.
fn row(width: usize) -> String {
    format!("({})", placeholders(width))
}

/// `INSERT INTO <head> VALUES (..), (..) <tail>` for `rows`, a statement per [`CHUNK`].
pub async fn insert_rows(
    db: &impl ConnectionTrait,
    head: &str,
    tail: &str,
    rows: Vec<Vec<Value>>,
) -> Result<(), DbErr> {
    for chunk in rows.chunks(CHUNK) {
        let width = chunk[0].len();
        let values = vec![row(width); chunk.len()].join(", ");
        let sql = format!("INSERT INTO {head} VALUES {values} {tail}");
        execute(db, &sql, chunk.concat()).await?;
    }
    Ok(())
}

/// `INSERT ... RETURNING <column>` in chunks: the first column of every row inserted.
pub async fn insert_returning(
    db: &impl ConnectionTrait,
    head: &str,
    tail: &str,
    rows: Vec<Vec<Value>>,
) -> Result<Vec<String>, DbErr> {
    let mut returned = Vec::new();
    for chunk in rows.chunks(CHUNK) {
        let width = chunk[0].len();
        let values = vec![row(width); chunk.len()].join(", ");
        let sql = format!("INSERT INTO {head} VALUES {values} {tail}");
        for found in query(db, &sql, chunk.concat()).await? {
            returned.push(found.try_get_by_index::<String>(0)?);
        }
    }
    Ok(returned)
}

/// An additive upsert's `SET` list: `c = <table>.c + excluded.c` for each column.
pub fn add_columns(table: &str, columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("{c} = {table}.{c} + excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A replacing upsert's `SET` list: `c = excluded.c` for each column.
pub fn set_columns(columns: &[&str]) -> String {
    columns
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}
