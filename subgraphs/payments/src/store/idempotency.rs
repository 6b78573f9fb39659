//! Idempotency records: the first request with a key stores its result; replays read it back.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::{statement, to_millis};
use crate::domain::IdempotencyKey;

#[derive(Debug, Clone, FromQueryResult)]
pub struct Record {
    pub operation: String,
    pub request_hash: String,
    pub response: String,
}

/// Claims `key` for this transaction. This insert is the transaction's first statement, so
/// SQLite queues concurrent writers on its lock, and PostgreSQL makes a concurrent claim of
/// the same key wait until ours commits (then it finds the record) or rolls back (then it
/// claims the key itself). Returns whether the key was new.
pub async fn claim(
    conn: &impl ConnectionTrait,
    key: &IdempotencyKey,
    operation: &str,
    request_hash: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sql = "INSERT INTO idempotency_keys (key, operation, request_hash, response, created_at) \
               VALUES (?, ?, ?, '', ?) ON CONFLICT (key) DO NOTHING";
    let values = vec![
        key.as_str().into(),
        operation.into(),
        request_hash.into(),
        to_millis(now).into(),
    ];
    let result = conn.execute(statement(conn, sql, values)).await?;
    Ok(result.rows_affected() == 1)
}

pub async fn find(
    conn: &impl ConnectionTrait,
    key: &IdempotencyKey,
) -> Result<Option<Record>, DbErr> {
    let sql = "SELECT operation, request_hash, response FROM idempotency_keys WHERE key = ?";
    Record::find_by_statement(statement(conn, sql, vec![key.as_str().into()]))
        .one(conn)
        .await
}

/// Stores the result in the same transaction as the change, so a record is never without one.
pub async fn save_response(
    conn: &impl ConnectionTrait,
    key: &IdempotencyKey,
    response: &str,
) -> Result<(), DbErr> {
    let sql = "UPDATE idempotency_keys SET response = ? WHERE key = ?";
    conn.execute(statement(
        conn,
        sql,
        vec![response.into(), key.as_str().into()],
    ))
    .await?;
    Ok(())
}
