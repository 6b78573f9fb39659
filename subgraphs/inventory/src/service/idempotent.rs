//! Idempotency keys for staff mutations: the first request with a key applies and stores its
//! result in the same transaction; a replay returns that result and changes nothing; the same
//! key with a different request is a conflict.

use anyhow::Context;
use chrono::{DateTime, Utc};
use commerce_kernel::db::begin_write;
use commerce_kernel::idempotency;
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::retrying;
use super::{Clock, InventoryError};
use crate::domain::IdempotencyKey;
use crate::store::to_millis;

/// Runs `work` once per key. `work` gets the open transaction (whose first write claimed the
/// key) and the current time; its error rolls everything back, key included, so a request
/// that failed can be retried with the same key.
pub async fn run_once<T, R, F>(
    db: &DatabaseConnection,
    clock: &Clock,
    key: &IdempotencyKey,
    operation: &str,
    request: &R,
    work: F,
) -> Result<T, InventoryError>
where
    T: Serialize + DeserializeOwned,
    R: Serialize,
    F: for<'t> Fn(
        &'t DatabaseTransaction,
        DateTime<Utc>,
    ) -> BoxFuture<'t, Result<T, InventoryError>>,
{
    let hash = idempotency::request_hash(operation, request)?;
    retrying(|| async {
        let txn = begin_write(db).await?;
        let now = clock.now();
        if !idempotency::claim(&txn, key.as_str(), operation, &hash, to_millis(now)).await? {
            return replay(&txn, key, operation, &hash).await;
        }
        let result = work(&txn, now).await?;
        let response = serde_json::to_string(&result).context("serializing a result")?;
        idempotency::save_response(&txn, key.as_str(), &response).await?;
        txn.commit().await?;
        Ok(result)
    })
    .await
}

async fn replay<T: DeserializeOwned>(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
    operation: &str,
    hash: &str,
) -> Result<T, InventoryError> {
    let record = idempotency::find(txn, key.as_str())
        .await?
        .context("a claimed idempotency key has no record")?;
    if !record.is_for(operation, hash) {
        return Err(InventoryError::KeyReused {
            key: key.as_str().to_owned(),
        });
    }
    tracing::debug!(
        key = key.as_str(),
        operation,
        "replaying an idempotent request"
    );
    Ok(serde_json::from_str(&record.response).context("reading a stored result")?)
}
