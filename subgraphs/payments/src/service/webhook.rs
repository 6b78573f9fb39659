//! The provider's webhook events, each applied once: the event id is recorded as the
//! transaction's first write (a replay finds it and changes nothing), then the intent is
//! locked and moved under the same rules as the mutations. An event that breaks a rule is
//! recorded as ignored, so the provider stops resending it; one naming an unknown intent is
//! not recorded, so a later delivery can still apply.

use serde::Deserialize;
use tracing::instrument;

use commerce_kernel::db::begin_write;
use commerce_kernel::events::Outbox;

use super::{Movement, PaymentError, PaymentsService, append_movement, now};
use crate::domain::events::{PaymentFailed, PaymentMoved};
use crate::domain::{IntentId, LedgerKind, PaymentIntent};
use crate::store::ledger::NewEntry;
use crate::store::{intents, ledger, webhook_events};

/// A provider event as it arrives: `{id, type, data: {intentId | providerReference, amount}}`.
#[derive(Debug, Clone, Deserialize)]
pub struct WebhookEvent {
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: String,
    #[serde(default)]
    pub data: WebhookEventData,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookEventData {
    pub intent_id: Option<String>,
    pub provider_reference: Option<String>,
    /// A decimal in the intent's currency; all that applies when absent.
    pub amount: Option<String>,
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebhookOutcome {
    Applied,
    /// The event id was seen before; nothing changed.
    Duplicate,
    /// Recorded but not applied, with why (an unknown type, or a movement a rule refuses).
    Ignored(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventKind {
    PaymentCaptured,
    PaymentFailed,
    RefundSucceeded,
}

impl EventKind {
    fn parse(value: &str) -> Option<Self> {
        match value {
            "payment.captured" => Some(Self::PaymentCaptured),
            "payment.failed" => Some(Self::PaymentFailed),
            "refund.succeeded" => Some(Self::RefundSucceeded),
            _ => None,
        }
    }
}

impl PaymentsService {
    /// Applies a verified event of `provider` once.
    #[instrument(skip_all, fields(event = %event.id, kind = %event.event_type))]
    pub async fn apply_webhook(
        &self,
        provider: &str,
        event: &WebhookEvent,
    ) -> Result<WebhookOutcome, PaymentError> {
        let id = event.id.trim();
        if id.is_empty() || id.len() > 255 {
            return Err(
                commerce_kernel::ValidationError::new("id", "must be 1-255 characters").into(),
            );
        }
        let txn = begin_write(&self.db).await?;
        let now = now();
        if !webhook_events::claim(&txn, id, &event.event_type, "applying", now).await? {
            return Ok(WebhookOutcome::Duplicate);
        }
        let outcome = match EventKind::parse(&event.event_type) {
            None => WebhookOutcome::Ignored(format!("unknown event type {:?}", event.event_type)),
            Some(kind) => {
                let before = match (&event.data.intent_id, &event.data.provider_reference) {
                    (Some(intent_id), _) => {
                        let intent_id = IntentId::parse(intent_id)?;
                        intents::lock(&txn, intent_id)
                            .await?
                            .ok_or_else(|| PaymentError::not_found(intent_id))?
                    }
                    (None, Some(reference)) => {
                        intents::lock_by_provider_reference(&txn, provider, reference)
                            .await?
                            .ok_or_else(|| PaymentError::NotFound {
                                id: reference.clone(),
                            })?
                    }
                    (None, None) => {
                        return Err(commerce_kernel::ValidationError::new(
                            "data",
                            "names no intent (intentId or providerReference)",
                        )
                        .into());
                    }
                };
                apply(&txn, id, kind, &before, event.data.amount.as_deref()).await?
            }
        };
        let stored = match &outcome {
            WebhookOutcome::Ignored(reason) => format!("ignored: {reason}"),
            _ => "applied".to_owned(),
        };
        webhook_events::set_outcome(&txn, id, &stored).await?;
        txn.commit().await?;
        Ok(outcome)
    }
}

async fn apply(
    txn: &sea_orm::DatabaseTransaction,
    event_id: &str,
    kind: EventKind,
    before: &PaymentIntent,
    amount: Option<&str>,
) -> Result<WebhookOutcome, PaymentError> {
    let moved = match kind {
        EventKind::PaymentCaptured => before.capture(amount),
        EventKind::RefundSucceeded => before.refund(amount),
        EventKind::PaymentFailed => before.fail().map(|after| (0, after)),
    };
    let (moved, after) = match moved {
        Ok(moved) => moved,
        Err(violation) => {
            tracing::warn!(%violation, "webhook event not applied");
            return Ok(WebhookOutcome::Ignored(violation.to_string()));
        }
    };
    let now = now();
    if !intents::compare_and_set(txn, before, &after, now).await? {
        return Err(anyhow::anyhow!("intent {} changed under its row lock", before.id.0).into());
    }
    let kind = match kind {
        EventKind::PaymentCaptured => LedgerKind::Capture,
        EventKind::RefundSucceeded => LedgerKind::Refund,
        EventKind::PaymentFailed => LedgerKind::Failure,
    };
    let entry = NewEntry {
        intent_id: before.id,
        kind,
        amount: moved,
        provider_reference: None,
        idempotency_key: None,
        webhook_event_id: Some(event_id),
        note: Some("provider webhook"),
    };
    ledger::append(txn, &entry, now).await?;
    match kind {
        LedgerKind::Capture => append_movement(txn, Movement::Capture, &after, moved).await?,
        LedgerKind::Refund => append_movement(txn, Movement::Refund, &after, moved).await?,
        _ => {
            let event = PaymentFailed {
                payment: PaymentMoved::new(&after, moved),
                reason: "PROVIDER_REPORTED".to_owned(),
            };
            Outbox::append(txn, &event).await?;
        }
    }
    Ok(WebhookOutcome::Applied)
}
