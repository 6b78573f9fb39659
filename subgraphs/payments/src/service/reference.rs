//! Cancelling a payment reference: the caller (checkout compensating a checkout) gives up on
//! everything under its reference, including authorizations whose intent id it never learnt
//! and ones still on their way. One transaction: claim the idempotency key, mark the
//! reference cancelled (which locks its row, so it waits for an authorization under it that
//! is being written, and makes later ones refuse), then void every intent under it that still
//! holds an authorization, each like `voidPayment`.

use commerce_kernel::db::begin_write;
use commerce_kernel::idempotency;
use sea_orm::DatabaseTransaction;
use serde::{Deserialize, Serialize};
use tracing::instrument;

use super::{
    Movement, PaymentError, PaymentsService, append_movement, entry, idempotent, now,
    within_timeout,
};
use crate::domain::{IdempotencyKey, IntentId, IntentStatus, LedgerKind, PaymentIntent};
use crate::provider::{FailureCode, ProviderFailure};
use crate::store::{intents, ledger, references};

/// A reference cancelled: every intent made under it, as they are now (voided, or already
/// settled otherwise).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferenceCancelled {
    pub reference: String,
    pub intents: Vec<PaymentIntent>,
}

/// What a cancellation recorded: the result every replay of its key returns.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Recorded {
    Cancelled(ReferenceCancelled),
    /// The provider refused to void this intent; the intents voided before it stay voided.
    ProviderFailed {
        intent_id: IntentId,
        failure: ProviderFailure,
    },
}

impl Recorded {
    fn into_result(self) -> Result<ReferenceCancelled, PaymentError> {
        match self {
            Self::Cancelled(cancelled) => Ok(cancelled),
            Self::ProviderFailed { failure, .. } => Err(PaymentError::ProviderFailed(failure)),
        }
    }
}

impl PaymentsService {
    /// Cancels `reference`: voids every intent under it that holds an authorization and has
    /// nothing captured, and refuses every authorization under it from now on. Nothing
    /// authorized is fine, and so is cancelling twice. Captured money is not touched (that
    /// is a refund, for whoever owns the order).
    #[instrument(skip_all, fields(reference = %reference))]
    pub async fn cancel_reference(
        &self,
        key: &IdempotencyKey,
        reference: &str,
    ) -> Result<ReferenceCancelled, PaymentError> {
        let hash = idempotency::request_hash("cancel_reference", &reference)?;
        let txn = begin_write(&self.db).await?;
        let now = now();
        if let Some(stored) =
            idempotent::claim::<Recorded>(&txn, key, "cancel_reference", &hash, now).await?
        {
            return stored.into_result();
        }
        references::cancel(&txn, reference, now).await?;
        for before in intents::lock_by_reference(&txn, reference).await? {
            if before.status != IntentStatus::Authorized {
                continue;
            }
            if let Err(failure) = self.void_locked(&txn, &before, key).await? {
                tracing::warn!(intent = before.id.0, code = ?failure.code, "the provider refused a void");
                let recorded = Recorded::ProviderFailed {
                    intent_id: before.id,
                    failure,
                };
                idempotent::finish(txn, key, &recorded).await?;
                return recorded.into_result();
            }
        }
        let cancelled = ReferenceCancelled {
            reference: reference.to_owned(),
            intents: intents::lock_by_reference(&txn, reference).await?,
        };
        let voided = cancelled
            .intents
            .iter()
            .filter(|intent| intent.status == IntentStatus::Voided)
            .count();
        tracing::info!(voided, "payment reference cancelled");
        let recorded = Recorded::Cancelled(cancelled);
        idempotent::finish(txn, key, &recorded).await?;
        recorded.into_result()
    }

    /// Voids `before`, whose row `txn` has locked, at its provider and in the books. The
    /// provider's refusal comes back as the inner error; a provider that did not answer is
    /// an error that rolls everything back, so the cancellation may be retried.
    async fn void_locked(
        &self,
        txn: &DatabaseTransaction,
        before: &PaymentIntent,
        key: &IdempotencyKey,
    ) -> Result<Result<(), ProviderFailure>, PaymentError> {
        let after = before.void()?;
        let provider = self.provider(&before.provider)?;
        let authorization = before.provider_reference.as_deref().ok_or_else(|| {
            anyhow::anyhow!("intent {} has no authorization reference", before.id.0)
        })?;
        // The provider dedupes by key, and one cancellation may void several intents.
        let provider_key = format!("{}:{}", key.as_str(), before.id.0);
        let answer = within_timeout(provider.void(authorization, &provider_key)).await;
        let reference = match answer.and_then(|answer| answer) {
            Ok(reference) => reference,
            Err(failure) if failure.code == FailureCode::ProviderUnavailable => {
                return Err(PaymentError::ProviderFailed(failure));
            }
            Err(failure) => return Ok(Err(failure)),
        };
        let now = now();
        if !intents::compare_and_set(txn, before, &after, now).await? {
            return Err(
                anyhow::anyhow!("intent {} changed under its row lock", before.id.0).into(),
            );
        }
        let moved = before.authorized - before.captured;
        let entry = entry(before.id, LedgerKind::Void, moved, key).provider_reference(&reference);
        ledger::append(txn, &entry, now).await?;
        append_movement(txn, Movement::Void, &after, moved).await?;
        Ok(Ok(()))
    }
}
