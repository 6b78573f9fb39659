//! Idempotency records of staff mutations: the first request with a key stores its result in
//! the transaction that made the change; replays read it back.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};

use super::to_micros;

#[derive(Debug, Clone, FromQueryResult)]
pub struct Record {
    pub operation: String,
    pub request_hash: String,
    pub response: String,
}

/// `?` placeholders numbered for PostgreSQL; our SQL never holds a literal `?`.
fn statement(conn: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    let backend = conn.get_database_backend();
    let sql = if backend == DbBackend::Postgres {
        let mut numbered = String::with_capacity(sql.len() + 8);
        for (index, part) in sql.split('?').enumerate() {
            if index > 0 {
                numbered.push_str(&format!("${index}"));
            }
            numbered.push_str(part);
        }
        numbered
    } else {
        sql.to_owned()
    };
    Statement::from_sql_and_values(backend, sql, values)
}

/// Claims `key` for this transaction: on PostgreSQL a concurrent claim of the same key waits
/// until ours commits (then finds the record) or rolls back (then claims it itself); SQLite
/// serialises writers. Returns whether the key was new.
pub async fn claim(
    conn: &impl ConnectionTrait,
    key: &str,
    operation: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sql = "INSERT INTO idempotency_keys (key, operation, request_hash, response, created_at) \
               VALUES (?, ?, ?, '', ?) ON CONFLICT (key) DO NOTHING";
    let values = vec![
        key.into(),
        operation.into(),
        request_hash.into(),
        to_micros(now).into(),
    ];
    let result = conn.execute(statement(conn, sql, values)).await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(conn: &impl ConnectionTrait, key: &str) -> Result<Option<Record>, DbErr> {
    let sql = "SELECT operation, request_hash, response FROM idempotency_keys WHERE key = ?";
    Record::find_by_statement(statement(conn, sql, vec![key.into()]))
        .one(conn)
        .await
}

/// Stores the result in the same transaction as the change, so a record is never without one.
pub async fn save_response(
    conn: &impl ConnectionTrait,
    key: &str,
    response: &str,
) -> Result<(), DbErr> {
    let sql = "UPDATE idempotency_keys SET response = ? WHERE key = ?";
    conn.execute(statement(conn, sql, vec![response.into(), key.into()]))
        .await?;
    Ok(())
}
