//! Idempotency records, the same in every domain that takes idempotency keys: the first
//! request with a key claims it as its transaction's first write and stores its result in that
//! transaction; a replay reads the result back, and the same key with another request (another
//! operation or another fingerprint) is the caller's conflict to report.

use anyhow::Context;
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::db::statement;

#[derive(Debug, Clone, FromQueryResult)]
pub struct Record {
    pub operation: String,
    pub request_hash: String,
    /// Empty while the claiming transaction has not stored its result.
    pub response: String,
}

impl Record {
    /// Whether this record is of `operation` with the fingerprint `request_hash`.
    pub fn is_for(&self, operation: &str, request_hash: &str) -> bool {
        self.operation == operation && self.request_hash == request_hash
    }
}

/// A stable fingerprint of an operation and its (already validated) input.
pub fn request_hash(operation: &str, request: &impl Serialize) -> anyhow::Result<String> {
    let body = serde_json::to_vec(request).context("serializing a request for its hash")?;
    let mut hasher = Sha256::new();
    hasher.update(operation.as_bytes());
    hasher.update([0]);
    hasher.update(&body);
    Ok(format!("{:x}", hasher.finalize()))
}

/// Claims `key` for this transaction, at `created_at` in the domain's own time unit. As the
/// transaction's first write, PostgreSQL makes a concurrent claim of the same key wait until
/// ours commits (then it finds the record) or rolls back (then it claims the key itself);
/// SQLite serialises writers. Returns whether the key was new.
pub async fn claim(
    conn: &impl ConnectionTrait,
    key: &str,
    operation: &str,
    request_hash: &str,
    created_at: i64,
) -> Result<bool, DbErr> {
    let sql = "INSERT INTO idempotency_keys (key, operation, request_hash, response, created_at) \
               VALUES (?, ?, ?, '', ?) ON CONFLICT (key) DO NOTHING";
    let values = vec![
        key.into(),
        operation.into(),
        request_hash.into(),
        created_at.into(),
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
