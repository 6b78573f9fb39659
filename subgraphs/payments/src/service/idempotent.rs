//! Idempotency keys for money mutations. The first request with a key claims it as its
//! transaction's first write, and stores what it recorded in the same transaction; a replay
//! returns that record and changes nothing; the same key with a different request is a
//! conflict. A request refused before reaching the provider rolls back, key included, so it
//! may be retried with the same key; once the provider answered, its answer (a decline, a
//! failed capture) is the key's result for good. A provider that did not answer leaves
//! nothing behind either: the retry asks it again with the same key, which it dedupes.

use anyhow::Context;
use chrono::{DateTime, Utc};
use commerce_kernel::idempotency;
use sea_orm::DatabaseTransaction;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::PaymentError;
use crate::domain::{IdempotencyKey, IntentId, PaymentIntent};
use crate::provider::ProviderFailure;
use crate::store::to_millis;

/// What a money mutation recorded: the result every replay of its key returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub enum Recorded {
    Intent(Box<PaymentIntent>),
    /// The authorization was declined; the intent is stored as failed.
    Declined {
        intent_id: IntentId,
        failure: ProviderFailure,
    },
    /// The authorization was refused without asking the provider (its reference was
    /// cancelled); no intent exists.
    Refused {
        failure: ProviderFailure,
    },
    /// The provider refused a capture, void or refund of this intent.
    ProviderFailed {
        intent_id: IntentId,
        failure: ProviderFailure,
    },
}

impl Recorded {
    pub fn into_result(self) -> Result<PaymentIntent, PaymentError> {
        match self {
            Self::Intent(intent) => Ok(*intent),
            Self::Declined { failure, .. } | Self::Refused { failure } => {
                Err(PaymentError::Declined(failure))
            }
            Self::ProviderFailed { failure, .. } => Err(PaymentError::ProviderFailed(failure)),
        }
    }
}

/// Claims `key` in `txn`. `None`: the key is ours, go on. `Some`: the stored result of the
/// first request with this key, to return as is.
pub async fn claim<T: DeserializeOwned>(
    txn: &DatabaseTransaction,
    key: &IdempotencyKey,
    operation: &str,
    hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<T>, PaymentError> {
    if idempotency::claim(txn, key.as_str(), operation, hash, to_millis(now)).await? {
        return Ok(None);
    }
    let record = idempotency::find(txn, key.as_str())
        .await?
        .context("a claimed idempotency key has no record")?;
    if !record.is_for(operation, hash) {
        return Err(PaymentError::KeyReused {
            key: key.as_str().to_owned(),
        });
    }
    tracing::debug!(
        key = key.as_str(),
        operation,
        "replaying an idempotent request"
    );
    let stored = serde_json::from_str(&record.response).context("reading a stored result")?;
    Ok(Some(stored))
}

/// Stores the key's result and commits everything the request did.
pub async fn finish<T: Serialize>(
    txn: DatabaseTransaction,
    key: &IdempotencyKey,
    result: &T,
) -> Result<(), PaymentError> {
    let response = serde_json::to_string(result).context("serializing a result")?;
    idempotency::save_response(&txn, key.as_str(), &response).await?;
    txn.commit().await?;
    Ok(())
}
