//! Use cases: authorizing through a provider, capturing, voiding and refunding under the
//! intent's row lock, cancelling a payment reference, attaching an intent to its order, the
//! provider's webhook events, and the batched reads behind the GraphQL fields.
//!
//! Every money movement runs in one transaction: claim the idempotency key (the first write),
//! lock the intent, check the rule on fresh amounts, ask the provider, then write the intent
//! (compare-and-set) and its ledger entry. The provider is asked while the row is locked: a
//! slower movement of one intent is the price of never capturing or refunding past its limit.

mod error;
mod idempotent;
mod reference;
mod webhook;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use commerce_kernel::db::begin_write;
use commerce_kernel::events::Outbox;
use commerce_kernel::idempotency;
use commerce_kernel::pagination::{Cursor, Page, PageRequest};
use sea_orm::{DatabaseConnection, DatabaseTransaction};
use serde::Serialize;
use tracing::instrument;

pub use error::PaymentError;
pub use idempotent::Recorded;
pub use reference::ReferenceCancelled;
pub use webhook::{WebhookEvent, WebhookEventData, WebhookOutcome};

use crate::domain::events::{
    PaymentAuthorized, PaymentCaptured, PaymentFailed, PaymentMoved, PaymentRefunded, PaymentVoided,
};
use crate::domain::{
    IdempotencyKey, IntentId, IntentStatus, LedgerEntry, LedgerKind, NewAuthorization,
    PaymentIntent,
};
use crate::provider::{Declined, FailureCode, PaymentProvider, ProviderFailure, Providers};
pub use crate::store::intents::IntentFilter;
use crate::store::intents::NewIntent;
pub use crate::store::ledger::Drift as LedgerDrift;
use crate::store::ledger::NewEntry;
use crate::store::{intents, ledger, references};
use crate::webhook::WebhookSecret;

/// The payments use cases over one database.
#[derive(Clone)]
pub struct PaymentsService {
    db: DatabaseConnection,
    providers: Providers,
    webhook_secret: Arc<WebhookSecret>,
}

/// Current time at the stored precision (milliseconds), so what a use case returns equals
/// what a later read returns.
pub fn now() -> DateTime<Utc> {
    let millis = Utc::now().timestamp_millis();
    DateTime::from_timestamp_millis(millis).expect("the current time is in range")
}

/// A capture, void or refund, as the ledger and the provider see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
enum Movement {
    Capture,
    Void,
    Refund,
}

impl PaymentsService {
    pub fn new(
        db: DatabaseConnection,
        providers: Providers,
        webhook_secret: WebhookSecret,
    ) -> Self {
        Self {
            db,
            providers,
            webhook_secret: Arc::new(webhook_secret),
        }
    }

    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The secret provider webhooks are signed with.
    pub fn webhook_secret(&self) -> &WebhookSecret {
        &self.webhook_secret
    }

    fn provider(&self, name: &str) -> Result<Arc<dyn PaymentProvider>, PaymentError> {
        self.providers.get(name).cloned().ok_or_else(|| {
            commerce_kernel::ValidationError::new(
                "method.provider",
                format!(
                    "unknown payment provider {name:?}; known: {}",
                    self.providers.names().join(", ")
                ),
            )
            .into()
        })
    }

    /// Asks the provider to hold the amount. A decline is stored too (a failed intent with an
    /// `AUTHORIZATION_DECLINED` entry) and is the key's result for good.
    #[instrument(skip_all, fields(reference = %request.reference))]
    pub async fn authorize(
        &self,
        key: &IdempotencyKey,
        request: &NewAuthorization,
    ) -> Result<PaymentIntent, PaymentError> {
        let provider = self.provider(&request.provider)?;
        let hash = idempotency::request_hash("authorize", &request.fingerprint())?;
        let txn = begin_write(&self.db).await?;
        let now = now();
        if let Some(stored) =
            idempotent::claim::<Recorded>(&txn, key, "authorize", &hash, now).await?
        {
            return stored.into_result();
        }
        // Held until commit: a cancellation of the reference waits for this authorization
        // (then voids it), or this one waits for the cancellation (then is refused).
        if references::hold(&txn, &request.reference, now).await? {
            let failure = ProviderFailure::new(
                FailureCode::ReferenceCancelled,
                format!("payment reference {:?} was cancelled", request.reference),
            );
            tracing::info!("authorization refused: its reference was cancelled");
            let recorded = Recorded::Refused { failure };
            idempotent::finish(txn, key, &recorded).await?;
            return recorded.into_result();
        }
        let asked = provider.authorize(&request.token, request.amount, key.as_str());
        let answer = match within_timeout(asked).await {
            Ok(answer) => answer,
            Err(failure) => Err(Declined {
                failure,
                card: None,
            }),
        };
        let recorded = match answer {
            // Nothing is kept, so the same key may try again.
            Err(declined) if declined.failure.code == FailureCode::ProviderUnavailable => {
                return Err(PaymentError::ProviderFailed(declined.failure));
            }
            Ok(authorization) => {
                let intent = NewIntent {
                    reference: &request.reference,
                    customer_id: request.customer_id.as_deref(),
                    email: request.email.as_deref(),
                    currency: request.amount.currency,
                    authorized: request.amount.amount,
                    status: IntentStatus::Authorized,
                    provider: &request.provider,
                    provider_reference: Some(&authorization.reference),
                    card: authorization.card.as_ref(),
                };
                let id = intents::insert(&txn, &intent, now).await?;
                let entry = entry(id, LedgerKind::Authorization, request.amount.amount, key)
                    .provider_reference(&authorization.reference);
                ledger::append(&txn, &entry, now).await?;
                let intent = found(&txn, id).await?;
                let event = PaymentAuthorized(PaymentMoved::new(&intent, intent.authorized));
                Outbox::append(&txn, &event).await?;
                Recorded::Intent(Box::new(intent))
            }
            Err(declined) => {
                let intent = NewIntent {
                    reference: &request.reference,
                    customer_id: request.customer_id.as_deref(),
                    email: request.email.as_deref(),
                    currency: request.amount.currency,
                    authorized: 0,
                    status: IntentStatus::Failed,
                    provider: &request.provider,
                    provider_reference: None,
                    card: declined.card.as_ref(),
                };
                let id = intents::insert(&txn, &intent, now).await?;
                let note = declined.failure.message.clone();
                let entry = entry(
                    id,
                    LedgerKind::AuthorizationDeclined,
                    request.amount.amount,
                    key,
                )
                .note(&note);
                ledger::append(&txn, &entry, now).await?;
                let event = PaymentFailed {
                    payment: PaymentMoved::new(&found(&txn, id).await?, request.amount.amount),
                    reason: declined.failure.code.as_str().to_owned(),
                };
                Outbox::append(&txn, &event).await?;
                tracing::info!(intent = id.0, code = ?declined.failure.code, "authorization declined");
                Recorded::Declined {
                    intent_id: id,
                    failure: declined.failure,
                }
            }
        };
        idempotent::finish(txn, key, &recorded).await?;
        recorded.into_result()
    }

    /// Captures `amount` (all that is left when `None`).
    #[instrument(skip_all, fields(intent = id.0))]
    pub async fn capture(
        &self,
        key: &IdempotencyKey,
        id: IntentId,
        amount: Option<&str>,
    ) -> Result<PaymentIntent, PaymentError> {
        self.move_money(key, id, Movement::Capture, amount, None)
            .await
    }

    /// Refunds `amount` (all captured and not yet refunded when `None`).
    #[instrument(skip_all, fields(intent = id.0))]
    pub async fn refund(
        &self,
        key: &IdempotencyKey,
        id: IntentId,
        amount: Option<&str>,
        reason: Option<&str>,
    ) -> Result<PaymentIntent, PaymentError> {
        self.move_money(key, id, Movement::Refund, amount, reason)
            .await
    }

    /// Releases the authorization; only before anything was captured. An intent that holds
    /// nothing any more (voided, or declined) is returned as it is.
    #[instrument(skip_all, fields(intent = id.0))]
    pub async fn void(
        &self,
        key: &IdempotencyKey,
        id: IntentId,
    ) -> Result<PaymentIntent, PaymentError> {
        self.move_money(key, id, Movement::Void, None, None).await
    }

    async fn move_money(
        &self,
        key: &IdempotencyKey,
        id: IntentId,
        movement: Movement,
        amount: Option<&str>,
        note: Option<&str>,
    ) -> Result<PaymentIntent, PaymentError> {
        let operation = match movement {
            Movement::Capture => "capture",
            Movement::Void => "void",
            Movement::Refund => "refund",
        };
        let hash = idempotency::request_hash(operation, &(id, amount, note))?;
        let txn = begin_write(&self.db).await?;
        let now = now();
        if let Some(stored) =
            idempotent::claim::<Recorded>(&txn, key, operation, &hash, now).await?
        {
            return stored.into_result();
        }
        let before = intents::lock(&txn, id)
            .await?
            .ok_or_else(|| PaymentError::not_found(id))?;
        if movement == Movement::Void
            && matches!(before.status, IntentStatus::Voided | IntentStatus::Failed)
        {
            // Nothing is held any more: a compensation run twice (under another key) is done.
            let recorded = Recorded::Intent(Box::new(before));
            idempotent::finish(txn, key, &recorded).await?;
            return recorded.into_result();
        }
        // A refused movement returns here and rolls back, releasing the key.
        let (moved, after) = match movement {
            Movement::Capture => before.capture(amount)?,
            Movement::Refund => before.refund(amount)?,
            Movement::Void => (before.authorized - before.captured, before.void()?),
        };
        let provider = self.provider(&before.provider)?;
        let authorization = before
            .provider_reference
            .as_deref()
            .with_context(|| format!("intent {} has no authorization reference", id.0))?;
        let money = before.money(moved);
        let asked = match movement {
            Movement::Capture => provider.capture(authorization, money, key.as_str()),
            Movement::Void => provider.void(authorization, key.as_str()),
            Movement::Refund => provider.refund(authorization, money, key.as_str()),
        };
        let recorded = match within_timeout(asked).await.and_then(|answer| answer) {
            // Nothing is kept, so the same key may try again.
            Err(failure) if failure.code == FailureCode::ProviderUnavailable => {
                return Err(PaymentError::ProviderFailed(failure));
            }
            Ok(reference) => {
                if !intents::compare_and_set(&txn, &before, &after, now).await? {
                    return Err(
                        anyhow::anyhow!("intent {} changed under its row lock", id.0).into(),
                    );
                }
                let kind = match movement {
                    Movement::Capture => LedgerKind::Capture,
                    Movement::Void => LedgerKind::Void,
                    Movement::Refund => LedgerKind::Refund,
                };
                let mut entry = entry(id, kind, moved, key).provider_reference(&reference);
                entry.note = note;
                ledger::append(&txn, &entry, now).await?;
                let intent = found(&txn, id).await?;
                append_movement(&txn, movement, &intent, moved).await?;
                Recorded::Intent(Box::new(intent))
            }
            Err(failure) => {
                self.record_failure(&txn, id, movement, moved, key, &failure)
                    .await?;
                Recorded::ProviderFailed {
                    intent_id: id,
                    failure,
                }
            }
        };
        idempotent::finish(txn, key, &recorded).await?;
        recorded.into_result()
    }

    /// A refused capture is a ledger entry (`CAPTURE_FAILED`); the intent stays as it was,
    /// so the caller can void it. Other refusals are only logged: no ledger kind means them.
    async fn record_failure(
        &self,
        txn: &DatabaseTransaction,
        id: IntentId,
        movement: Movement,
        amount: i64,
        key: &IdempotencyKey,
        failure: &ProviderFailure,
    ) -> Result<(), PaymentError> {
        tracing::warn!(intent = id.0, ?movement, code = ?failure.code, "the provider refused");
        if movement == Movement::Capture {
            let entry = entry(id, LedgerKind::CaptureFailed, amount, key).note(&failure.message);
            ledger::append(txn, &entry, now()).await?;
        }
        Ok(())
    }

    /// Attaches an intent to the order it paid for. Attaching it again to the same order
    /// changes nothing; to another order is a conflict.
    #[instrument(skip_all, fields(intent = id.0))]
    pub async fn attach_to_order(
        &self,
        id: IntentId,
        order_id: &str,
    ) -> Result<PaymentIntent, PaymentError> {
        intents::attach_order(&self.db, id, order_id, now()).await?;
        let intent = intents::find(&self.db, id)
            .await?
            .ok_or_else(|| PaymentError::not_found(id))?;
        if intent.order_id.as_deref() != Some(order_id) {
            return Err(PaymentError::AttachedElsewhere { id: id.global() });
        }
        Ok(intent)
    }

    /// A page of the intents matching `filter`, newest first, with how many match.
    pub async fn search(
        &self,
        filter: &IntentFilter,
        request: &PageRequest,
    ) -> Result<(Page<PaymentIntent>, i64), PaymentError> {
        let position = |cursor: &Option<Cursor>| cursor.as_ref().map(|c| c.i64_at(0)).transpose();
        let cursor = position(&request.cursor)?;
        let bound = position(&request.bound)?;
        let page = intents::page(&self.db, filter, request, cursor, bound).await?;
        let total = intents::count(&self.db, filter).await?;
        Ok((page, total))
    }

    pub async fn intent(&self, id: IntentId) -> Result<Option<PaymentIntent>, PaymentError> {
        Ok(intents::find(&self.db, id).await?)
    }

    /// Intents by id in one query, for entity batches and loaders.
    pub async fn intents(&self, ids: &[IntentId]) -> Result<Vec<PaymentIntent>, PaymentError> {
        Ok(intents::find_many(&self.db, ids).await?)
    }

    /// The intents of each of these orders, in one query.
    pub async fn intents_of_orders(
        &self,
        order_ids: &[String],
    ) -> Result<HashMap<String, Vec<PaymentIntent>>, PaymentError> {
        let mut by_order: HashMap<String, Vec<PaymentIntent>> = HashMap::new();
        for intent in intents::of_orders(&self.db, order_ids).await? {
            if let Some(order_id) = intent.order_id.clone() {
                by_order.entry(order_id).or_default().push(intent);
            }
        }
        Ok(by_order)
    }

    /// Intents whose amounts differ from the sums of their ledger (an audit for tests and
    /// operators; empty when the books agree).
    pub async fn ledger_drift(&self) -> Result<Vec<LedgerDrift>, PaymentError> {
        Ok(ledger::drift(&self.db).await?)
    }

    /// The ledgers of these intents, in one query.
    pub async fn ledgers(
        &self,
        ids: &[IntentId],
    ) -> Result<HashMap<IntentId, Vec<LedgerEntry>>, PaymentError> {
        let mut by_intent: HashMap<IntentId, Vec<LedgerEntry>> = HashMap::new();
        for entry in ledger::of_intents(&self.db, ids).await? {
            by_intent.entry(entry.intent_id).or_default().push(entry);
        }
        Ok(by_intent)
    }
}

/// How long a provider may take to answer before it counts as unavailable.
const PROVIDER_TIMEOUT: Duration = Duration::from_secs(20);

/// A provider's answer, or `ProviderUnavailable` when it takes longer than [`PROVIDER_TIMEOUT`]
/// (the row lock is held meanwhile, so it must not wait for ever).
async fn within_timeout<T>(asked: impl Future<Output = T>) -> Result<T, ProviderFailure> {
    tokio::time::timeout(PROVIDER_TIMEOUT, asked)
        .await
        .map_err(|_| {
            ProviderFailure::new(
                FailureCode::ProviderUnavailable,
                "the payment provider did not answer in time",
            )
        })
}

/// A ledger entry made by a mutation with `key`.
fn entry<'a>(
    intent_id: IntentId,
    kind: LedgerKind,
    amount: i64,
    key: &'a IdempotencyKey,
) -> NewEntry<'a> {
    NewEntry {
        intent_id,
        kind,
        amount,
        provider_reference: None,
        idempotency_key: Some(key.as_str()),
        webhook_event_id: None,
        note: None,
    }
}

impl<'a> NewEntry<'a> {
    fn provider_reference(self, reference: &'a str) -> Self {
        Self {
            provider_reference: Some(reference),
            ..self
        }
    }

    fn note(self, note: &'a str) -> Self {
        Self {
            note: Some(note),
            ..self
        }
    }
}

/// An intent the transaction has just written.
async fn found(txn: &DatabaseTransaction, id: IntentId) -> Result<PaymentIntent, PaymentError> {
    Ok(intents::find(txn, id)
        .await?
        .with_context(|| format!("intent {} vanished inside its transaction", id.0))?)
}

/// Writes the event of a capture, void or refund that left the intent as `after`, in the
/// movement's transaction.
async fn append_movement(
    txn: &DatabaseTransaction,
    movement: Movement,
    after: &PaymentIntent,
    moved: i64,
) -> Result<(), PaymentError> {
    let payment = PaymentMoved::new(after, moved);
    match movement {
        Movement::Capture => Outbox::append(txn, &PaymentCaptured(payment)).await?,
        Movement::Void => Outbox::append(txn, &PaymentVoided(payment)).await?,
        Movement::Refund => Outbox::append(txn, &PaymentRefunded(payment)).await?,
    };
    Ok(())
}
