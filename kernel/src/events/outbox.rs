//! Writing events: rows of `event_outbox`, in the caller's transaction, numbered per aggregate
//! through `event_sequences`.

use std::collections::BTreeMap;

use sea_orm::{ConnectionTrait, DatabaseTransaction, DbBackend, DbErr, Value};
use uuid::Uuid;

use super::{Envelope, Event, now_micros};
use crate::db::statement;

/// Sequence rows taken with one statement; outbox rows inserted with one statement (8 values
/// each, well under SQLite's and PostgreSQL's limits on bound values).
const CHUNK: usize = 500;

/// An event about to be written, its payload already JSON (so one call can write events of
/// several types).
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub event_type: &'static str,
    pub version: u32,
    pub aggregate_id: String,
    pub payload: serde_json::Value,
}

impl NewEvent {
    pub fn of<E: Event>(event: &E) -> Result<Self, DbErr> {
        let payload = serde_json::to_value(event)
            .map_err(|error| DbErr::Custom(format!("serializing a {} event: {error}", E::TYPE)))?;
        Ok(Self {
            event_type: E::TYPE,
            version: E::VERSION,
            aggregate_id: event.aggregate_id(),
            payload,
        })
    }
}

/// The transactional outbox of a domain database.
pub struct Outbox;

impl Outbox {
    /// Writes `event` inside `txn`, the transaction of the change it describes: it is
    /// published if and only if `txn` commits. Returns the envelope as it will be published.
    pub async fn append<E: Event>(txn: &DatabaseTransaction, event: &E) -> Result<Envelope, DbErr> {
        let mut written = Self::append_all(txn, vec![NewEvent::of(event)?]).await?;
        Ok(written.pop().expect("one event in, one envelope out"))
    }

    /// Writes several events in `txn`, in the given order (which is also their order within
    /// each aggregate), with two statements per 500 events (and a `pg_notify` on PostgreSQL).
    ///
    /// Taking sequence numbers locks each aggregate's `event_sequences` row until `txn` ends,
    /// so two transactions writing events of one aggregate commit in sequence order. Rows are
    /// locked in aggregate id order, whatever the order of `events`, so two such transactions
    /// cannot deadlock on them.
    pub async fn append_all(
        txn: &DatabaseTransaction,
        events: Vec<NewEvent>,
    ) -> Result<Vec<Envelope>, DbErr> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut counts: BTreeMap<&str, i64> = BTreeMap::new();
        for event in &events {
            *counts.entry(event.aggregate_id.as_str()).or_default() += 1;
        }
        let mut next = take_sequences(txn, &counts).await?;
        let time = now_micros();
        let envelopes: Vec<Envelope> = events
            .into_iter()
            .map(|event| {
                let sequence = next
                    .get_mut(event.aggregate_id.as_str())
                    .expect("every aggregate got a sequence");
                *sequence += 1;
                Envelope {
                    id: Uuid::now_v7(),
                    event_type: event.event_type.to_owned(),
                    version: event.version,
                    sequence: *sequence,
                    aggregate_id: event.aggregate_id,
                    time,
                    payload: event.payload,
                }
            })
            .collect();
        for chunk in envelopes.chunks(CHUNK) {
            insert_rows(txn, chunk).await?;
        }
        if txn.get_database_backend() == DbBackend::Postgres {
            // Delivered when (and only if) the transaction commits: it wakes the domain's
            // relays (see `Relay`) instead of leaving the event to their next poll.
            txn.execute_unprepared("SELECT pg_notify('event_outbox_' || current_schema(), '')")
                .await?;
        }
        Ok(envelopes)
    }
}

/// Reserves `count` sequence numbers per aggregate; returns, per aggregate, the number just
/// before the first one reserved.
async fn take_sequences(
    txn: &DatabaseTransaction,
    counts: &BTreeMap<&str, i64>,
) -> Result<BTreeMap<String, i64>, DbErr> {
    let mut before = BTreeMap::new();
    let counts: Vec<(&str, i64)> = counts.iter().map(|(id, n)| (*id, *n)).collect();
    for chunk in counts.chunks(CHUNK) {
        let sql = format!(
            "INSERT INTO event_sequences (aggregate_id, last_sequence) VALUES {} \
             ON CONFLICT (aggregate_id) DO UPDATE \
             SET last_sequence = event_sequences.last_sequence + excluded.last_sequence \
             RETURNING aggregate_id, last_sequence",
            vec!["(?, ?)"; chunk.len()].join(", ")
        );
        let values = chunk
            .iter()
            .flat_map(|(id, count)| [Value::from(*id), Value::from(*count)])
            .collect();
        for row in txn.query_all(statement(txn, &sql, values)).await? {
            let id: String = row.try_get("", "aggregate_id")?;
            let last: i64 = row.try_get("", "last_sequence")?;
            let count = chunk
                .iter()
                .find(|(candidate, _)| *candidate == id)
                .map(|(_, count)| *count)
                .ok_or_else(|| DbErr::Custom(format!("no sequence was asked for {id:?}")))?;
            before.insert(id, last - count);
        }
    }
    Ok(before)
}

async fn insert_rows(txn: &DatabaseTransaction, envelopes: &[Envelope]) -> Result<(), DbErr> {
    let sql = format!(
        "INSERT INTO event_outbox \
         (event_id, event_type, version, aggregate_id, sequence, occurred_at, payload) VALUES {}",
        vec!["(?, ?, ?, ?, ?, ?, ?)"; envelopes.len()].join(", ")
    );
    let values = envelopes
        .iter()
        .flat_map(|e| {
            [
                Value::from(e.id.to_string()),
                e.event_type.clone().into(),
                i32::try_from(e.version).unwrap_or(i32::MAX).into(),
                e.aggregate_id.clone().into(),
                e.sequence.into(),
                e.time.timestamp_micros().into(),
                e.payload.to_string().into(),
            ]
        })
        .collect();
    txn.execute(statement(txn, &sql, values)).await?;
    Ok(())
}
