//! The ledger: one row per movement of an intent's money, appended in the transaction that
//! changes the intent, never updated.

use chrono::{DateTime, Utc};
use commerce_kernel::Currency;
use commerce_kernel::db::{placeholders, statement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};

use super::{from_millis, to_millis};
use crate::domain::{IntentId, LedgerEntry, LedgerKind};

/// A movement to append.
pub struct NewEntry<'a> {
    pub intent_id: IntentId,
    pub kind: LedgerKind,
    pub amount: i64,
    pub provider_reference: Option<&'a str>,
    pub idempotency_key: Option<&'a str>,
    pub webhook_event_id: Option<&'a str>,
    pub note: Option<&'a str>,
}

pub async fn append(
    conn: &impl ConnectionTrait,
    entry: &NewEntry<'_>,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO payment_ledger (intent_id, kind, amount, provider_reference, \
               idempotency_key, webhook_event_id, note, created_at) \
               VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    let values = vec![
        entry.intent_id.0.into(),
        entry.kind.as_str().into(),
        entry.amount.into(),
        entry.provider_reference.map(str::to_owned).into(),
        entry.idempotency_key.map(str::to_owned).into(),
        entry.webhook_event_id.map(str::to_owned).into(),
        entry.note.map(str::to_owned).into(),
        to_millis(now).into(),
    ];
    conn.execute(statement(conn, sql, values)).await?;
    Ok(())
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: i64,
    intent_id: i64,
    kind: String,
    amount: i64,
    currency: String,
    provider_reference: Option<String>,
    idempotency_key: Option<String>,
    webhook_event_id: Option<String>,
    note: Option<String>,
    created_at: i64,
}

impl TryFrom<Row> for LedgerEntry {
    type Error = DbErr;

    fn try_from(row: Row) -> Result<Self, DbErr> {
        let corrupt = |what: &str| DbErr::Custom(format!("ledger entry {}: {what}", row.id));
        let currency = Currency::parse(&row.currency).map_err(|_| corrupt("unknown currency"))?;
        Ok(Self {
            id: row.id,
            intent_id: IntentId(row.intent_id),
            kind: LedgerKind::from_stored(&row.kind).ok_or_else(|| corrupt("unknown kind"))?,
            amount: commerce_kernel::Money::new(row.amount, currency),
            provider_reference: row.provider_reference,
            idempotency_key: row.idempotency_key,
            webhook_event_id: row.webhook_event_id,
            note: row.note,
            created_at: from_millis(row.created_at),
        })
    }
}

/// The ledgers of these intents, oldest entry first, in one query.
pub async fn of_intents(
    conn: &impl ConnectionTrait,
    ids: &[IntentId],
) -> Result<Vec<LedgerEntry>, DbErr> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT l.id, l.intent_id, l.kind, l.amount, i.currency, l.provider_reference, \
         l.idempotency_key, l.webhook_event_id, l.note, l.created_at \
         FROM payment_ledger l JOIN payment_intents i ON i.id = l.intent_id \
         WHERE l.intent_id IN ({}) ORDER BY l.intent_id, l.id",
        placeholders(ids.len())
    );
    Row::find_by_statement(statement(
        conn,
        &sql,
        ids.iter().map(|id| id.0.into()).collect(),
    ))
    .all(conn)
    .await?
    .into_iter()
    .map(LedgerEntry::try_from)
    .collect()
}

/// An intent whose amounts differ from the sums of its ledger, as (authorized, captured,
/// refunded) from the intent's columns and from the ledger.
#[derive(Debug, Clone, PartialEq, Eq, FromQueryResult)]
pub struct Drift {
    pub intent_id: i64,
    pub authorized: i64,
    pub captured: i64,
    pub refunded: i64,
    pub ledger_authorized: i64,
    pub ledger_captured: i64,
    pub ledger_refunded: i64,
}

/// Every intent whose amounts are not the sums of its ledger's movements (an audit; empty
/// when the books agree). One query over both tables.
pub async fn drift(conn: &impl ConnectionTrait) -> Result<Vec<Drift>, DbErr> {
    // PostgreSQL sums BIGINT as NUMERIC: cast back so both backends decode an i64.
    let sum = |kind: LedgerKind| {
        format!(
            "CAST(COALESCE(SUM(CASE WHEN l.kind = '{}' THEN l.amount ELSE 0 END), 0) AS BIGINT)",
            kind.as_str()
        )
    };
    let sql = format!(
        "SELECT i.id AS intent_id, i.amount_authorized AS authorized, \
         i.amount_captured AS captured, i.amount_refunded AS refunded, \
         {} AS ledger_authorized, {} AS ledger_captured, {} AS ledger_refunded \
         FROM payment_intents i LEFT JOIN payment_ledger l ON l.intent_id = i.id \
         GROUP BY i.id, i.amount_authorized, i.amount_captured, i.amount_refunded \
         HAVING i.amount_authorized <> {0} OR i.amount_captured <> {1} \
         OR i.amount_refunded <> {2} ORDER BY i.id",
        sum(LedgerKind::Authorization),
        sum(LedgerKind::Capture),
        sum(LedgerKind::Refund),
    );
    Drift::find_by_statement(statement(conn, &sql, Vec::new()))
        .all(conn)
        .await
}
