//! Idempotency keys of staff and internal mutations: the first request with a key applies and
//! stores its result in the same transaction; a replay returns that result and changes
//! nothing; the same key with a different request is a conflict.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use commerce_kernel::db::begin_write;
use commerce_kernel::idempotency;
use futures::future::BoxFuture;
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::error::retrying;
use super::now;
use crate::domain::{IdempotencyKey, OrderError};
use crate::store::to_micros;

/// A request bound to its key, ready to run once.
pub struct Once<'a> {
    key: &'a IdempotencyKey,
    operation: &'static str,
    hash: String,
}

impl<'a> Once<'a> {
    pub fn new(
        key: &'a IdempotencyKey,
        operation: &'static str,
        request: &impl Serialize,
    ) -> Result<Self, OrderError> {
        Ok(Self {
            key,
            operation,
            hash: idempotency::request_hash(operation, request)?,
        })
    }

    /// The stored result if this key already ran (a conflict if it ran another request), for
    /// use cases that call other services before their transaction: a replay must not call
    /// them again.
    pub async fn replay<T: DeserializeOwned>(
        &self,
        db: &DatabaseConnection,
    ) -> Result<Option<T>, OrderError> {
        match idempotency::find(db, self.key.as_str()).await? {
            // An empty response is a claim whose transaction has not committed yet.
            Some(record) if !record.response.is_empty() => self.read(record).map(Some),
            _ => Ok(None),
        }
    }

    /// Runs `work` once per key. `work` gets the open transaction (whose first write claimed
    /// the key) and the current time; its error rolls everything back, key included, so a
    /// request that failed can be retried with the same key.
    pub async fn run<T, F>(&self, db: &DatabaseConnection, work: F) -> Result<T, OrderError>
    where
        T: Serialize + DeserializeOwned,
        F: for<'t> Fn(
            &'t DatabaseTransaction,
            DateTime<Utc>,
        ) -> BoxFuture<'t, Result<T, OrderError>>,
    {
        retrying(|| async {
            let txn = begin_write(db).await?;
            let now = now();
            let key = self.key.as_str();
            if !idempotency::claim(&txn, key, self.operation, &self.hash, to_micros(now)).await? {
                let record = idempotency::find(&txn, key)
                    .await?
                    .context("a claimed idempotency key has no record")?;
                return self.read(record);
            }
            let result = work(&txn, now).await?;
            let response = serde_json::to_string(&result).context("serializing a result")?;
            idempotency::save_response(&txn, key, &response).await?;
            txn.commit().await?;
            Ok(result)
        })
        .await
    }

    fn read<T: DeserializeOwned>(&self, record: idempotency::Record) -> Result<T, OrderError> {
        if !record.is_for(self.operation, &self.hash) {
            return Err(OrderError::KeyReused {
                key: self.key.as_str().to_owned(),
            });
        }
        tracing::debug!(key = self.key.as_str(), "replaying an idempotent request");
        Ok(serde_json::from_str(&record.response).context("reading a stored result")?)
    }
}
