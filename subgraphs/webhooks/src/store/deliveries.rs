//! Delivery rows: created by the fan-in, claimed and updated by the worker, read as the log,
//! reset by replays.

use commerce_kernel::db::begin_write;
use commerce_kernel::events::Envelope;
use commerce_kernel::pagination::{Cursor, Direction, Page, PageRequest};
use sea_orm::{ConnectionTrait, DbBackend, DbErr, QueryResult, TransactionTrait, Value};

use super::endpoints::endpoint_from_row;
use crate::domain::{
    Attempt, Delivery, DeliveryStatus, DisableRule, Endpoint, EventTypes, FailureRun,
};
use commerce_kernel::db::{placeholders, statement};

const DELIVERY_COLUMNS: &str = "d.id, d.endpoint_id, d.event_id, d.event_type, d.aggregate, \
    d.sequence, d.status, d.attempts, d.next_attempt_at, d.created_at, d.finished_at, \
    d.last_status_code, d.last_error, v.body";

const DAY_MICROS: i64 = 24 * 3600 * 1_000_000;
/// `processed_events` rows are kept longer than any redelivery of an event can come late.
const KEEP_PROCESSED: i64 = 7 * DAY_MICROS;
/// Finished deliveries (and their attempts) stay in the log this long.
const KEEP_FINISHED: i64 = 30 * DAY_MICROS;

fn delivery_from_row(row: &QueryResult) -> Result<Delivery, DbErr> {
    let status: String = row.try_get("", "status")?;
    let aggregate: String = row.try_get("", "aggregate")?;
    Ok(Delivery {
        id: row.try_get("", "id")?,
        endpoint_id: row.try_get("", "endpoint_id")?,
        event_id: row.try_get("", "event_id")?,
        event_type: row.try_get("", "event_type")?,
        // Stored as `<domain>:<aggregate id>`: aggregates of two domains may share an id.
        aggregate_id: aggregate
            .split_once(':')
            .map_or(aggregate.clone(), |(_, id)| id.to_owned()),
        sequence: row.try_get("", "sequence")?,
        status: DeliveryStatus::parse(&status)
            .ok_or_else(|| DbErr::Custom(format!("unknown delivery status {status:?}")))?,
        attempts: row.try_get("", "attempts")?,
        next_attempt_at: row.try_get("", "next_attempt_at")?,
        created_at: row.try_get("", "created_at")?,
        finished_at: row.try_get("", "finished_at")?,
        last_status_code: row.try_get("", "last_status_code")?,
        last_error: row.try_get("", "last_error")?,
        body: row.try_get("", "body")?,
    })
}

/// The ids of the enabled endpoints subscribed to `event_type`.
async fn subscribers(db: &impl ConnectionTrait, event_type: &str) -> Result<Vec<i64>, DbErr> {
    let endpoints = db
        .query_all(statement(
            db,
            "SELECT id, event_types FROM webhook_endpoints WHERE enabled = ?",
            vec![true.into()],
        ))
        .await?;
    let mut matching = Vec::new();
    for row in &endpoints {
        let types: String = row.try_get("", "event_types")?;
        let types: Vec<String> = serde_json::from_str(&types).map_err(|error| {
            DbErr::Custom(format!("stored event types are unreadable: {error}"))
        })?;
        if EventTypes::stored(types).contains(event_type) {
            matching.push(row.try_get::<i64>("", "id")?);
        }
    }
    Ok(matching)
}

/// Whether an enabled endpoint subscribes to `event_type`.
pub async fn subscribed(db: &impl ConnectionTrait, event_type: &str) -> Result<bool, DbErr> {
    Ok(!subscribers(db, event_type).await?.is_empty())
}

/// Records `event` (its body as sent) and one pending delivery per enabled endpoint that
/// subscribes to its type, in the caller's transaction. Returns how many deliveries it made.
pub async fn fan_in(
    txn: &impl ConnectionTrait,
    event: &Envelope,
    body: &str,
    now: i64,
) -> Result<usize, DbErr> {
    let matching = subscribers(txn, &event.event_type).await?;
    if matching.is_empty() {
        return Ok(0);
    }
    let aggregate = format!("{}:{}", event.domain(), event.aggregate_id);
    txn.execute(statement(
        txn,
        "INSERT INTO webhook_events (event_id, event_type, aggregate, sequence, occurred_at, body) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING",
        vec![
            event.id.to_string().into(),
            event.event_type.clone().into(),
            aggregate.clone().into(),
            event.sequence.into(),
            event.time.timestamp_micros().into(),
            body.to_owned().into(),
        ],
    ))
    .await?;
    let rows = vec!["(?, ?, ?, ?, ?, 'PENDING', 0, 0, ?, ?)"; matching.len()].join(", ");
    let values = matching
        .iter()
        .flat_map(|endpoint_id| {
            [
                Value::from(*endpoint_id),
                event.id.to_string().into(),
                event.event_type.clone().into(),
                aggregate.clone().into(),
                event.sequence.into(),
                now.into(),
                now.into(),
            ]
        })
        .collect();
    let inserted = txn
        .execute(statement(
            txn,
            &format!(
                "INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, aggregate, \
                 sequence, status, attempts, step, next_attempt_at, created_at) VALUES {rows} \
                 ON CONFLICT (endpoint_id, event_id) DO NOTHING"
            ),
            values,
        ))
        .await?;
    Ok(usize::try_from(inserted.rows_affected()).unwrap_or(usize::MAX))
}

/// A delivery the worker claimed, with what it needs to send it.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub delivery_id: i64,
    pub event_id: String,
    /// Attempts made so far (all runs) and the position in the current run's schedule.
    pub attempts: i32,
    pub step: i32,
    pub body: String,
    pub endpoint: Endpoint,
}

/// Claims up to `limit` due deliveries of enabled endpoints until `claim_until`: none whose
/// endpoint has an earlier pending event of the same aggregate (so an aggregate's events
/// reach each endpoint in order), none another worker holds. On PostgreSQL rows another
/// instance is claiming are skipped (`FOR UPDATE SKIP LOCKED`); SQLite runs one writer.
pub async fn claim_due(
    db: &(impl ConnectionTrait + TransactionTrait),
    limit: usize,
    now: i64,
    claim_until: i64,
) -> Result<Vec<Claimed>, DbErr> {
    let lock = match db.get_database_backend() {
        DbBackend::Postgres => "FOR UPDATE OF d SKIP LOCKED",
        _ => "",
    };
    let claimed = db
        .query_all(statement(
            db,
            &format!(
                "UPDATE webhook_deliveries SET claimed_until = ? WHERE id IN (\
                 SELECT d.id FROM webhook_deliveries d \
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                 WHERE d.status = 'PENDING' AND d.next_attempt_at <= ? \
                 AND (d.claimed_until IS NULL OR d.claimed_until <= ?) AND e.enabled = ? \
                 AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p \
                   WHERE p.endpoint_id = d.endpoint_id AND p.aggregate = d.aggregate \
                   AND p.status = 'PENDING' AND p.sequence < d.sequence) \
                 ORDER BY d.next_attempt_at, d.id LIMIT ? {lock}) RETURNING id"
            ),
            vec![
                claim_until.into(),
                now.into(),
                now.into(),
                true.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
            ],
        ))
        .await?;
    let ids = claimed
        .iter()
        .map(|row| row.try_get::<i64>("", "id"))
        .collect::<Result<Vec<_>, _>>()?;
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all(statement(
            db,
            &format!(
                "SELECT d.id AS delivery_id, d.event_id, d.attempts, d.step, v.body, e.id, \
                 e.url, e.description, e.event_types, e.secret, e.previous_secret, \
                 e.previous_secret_expires_at, e.enabled, e.disabled_reason, e.disabled_at, \
                 e.consecutive_failures, e.created_at, e.updated_at \
                 FROM webhook_deliveries d \
                 JOIN webhook_events v ON v.event_id = d.event_id \
                 JOIN webhook_endpoints e ON e.id = d.endpoint_id \
                 WHERE d.id IN ({}) ORDER BY d.next_attempt_at, d.id",
                placeholders(ids.len())
            ),
            ids.into_iter().map(Value::from).collect(),
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Claimed {
                delivery_id: row.try_get("", "delivery_id")?,
                event_id: row.try_get("", "event_id")?,
                attempts: row.try_get("", "attempts")?,
                step: row.try_get("", "step")?,
                body: row.try_get("", "body")?,
                endpoint: endpoint_from_row(row)?,
            })
        })
        .collect()
}

/// What follows an attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    /// Try again at (microseconds), as step `step` of the run.
    RetryAt {
        at: i64,
        step: i32,
    },
    /// The run's schedule is exhausted.
    Dead,
}

/// An attempt and its consequence for the delivery and its endpoint.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub endpoint_id: i64,
    pub attempt: Attempt,
    pub next: Next,
}

/// Records an attempt, moves its delivery on, and keeps the endpoint's failure run; disables
/// the endpoint when `rule` says so. Returns the reason when it disabled it. Nothing is
/// recorded when the delivery is no longer pending (its endpoint was deleted, say).
pub async fn record(
    db: &(impl ConnectionTrait + TransactionTrait),
    outcome: &Outcome,
    rule: &DisableRule,
    now: i64,
) -> Result<Option<String>, DbErr> {
    let txn = begin_write(db).await?;
    let attempt = &outcome.attempt;
    let (status, next_at, step, finished_at) = match outcome.next {
        Next::Delivered => (DeliveryStatus::Delivered, None, None, Some(now)),
        Next::RetryAt { at, step } => (DeliveryStatus::Pending, Some(at), Some(step), None),
        Next::Dead => (DeliveryStatus::Dead, None, None, Some(now)),
    };
    let updated = txn
        .execute(statement(
            &txn,
            "UPDATE webhook_deliveries SET status = ?, attempts = ?, \
             next_attempt_at = COALESCE(?, next_attempt_at), step = COALESCE(?, step), \
             finished_at = ?, claimed_until = NULL, last_status_code = ?, last_error = ? \
             WHERE id = ? AND status = 'PENDING'",
            vec![
                status.as_str().into(),
                attempt.number.into(),
                next_at.into(),
                step.into(),
                finished_at.into(),
                attempt.status_code.into(),
                attempt.error.clone().into(),
                attempt.delivery_id.into(),
            ],
        ))
        .await?;
    if updated.rows_affected() == 0 {
        return Ok(None);
    }
    txn.execute(statement(
        &txn,
        "INSERT INTO webhook_attempts (delivery_id, number, started_at, status_code, \
         latency_ms, error, succeeded) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            attempt.delivery_id.into(),
            attempt.number.into(),
            attempt.started_at.into(),
            attempt.status_code.into(),
            attempt.latency_ms.into(),
            attempt.error.clone().into(),
            attempt.succeeded.into(),
        ],
    ))
    .await?;
    let disabled = if attempt.succeeded {
        txn.execute(statement(
            &txn,
            "UPDATE webhook_endpoints SET consecutive_failures = 0, failing_since = NULL, \
             dead_in_run = ? WHERE id = ?",
            vec![false.into(), outcome.endpoint_id.into()],
        ))
        .await?;
        None
    } else {
        count_failure(&txn, outcome, rule, now).await?
    };
    txn.commit().await?;
    Ok(disabled)
}

async fn count_failure(
    txn: &impl ConnectionTrait,
    outcome: &Outcome,
    rule: &DisableRule,
    now: i64,
) -> Result<Option<String>, DbErr> {
    let dead = if outcome.next == Next::Dead {
        ", dead_in_run = ?"
    } else {
        ""
    };
    let mut values: Vec<Value> = vec![now.into()];
    if outcome.next == Next::Dead {
        values.push(true.into());
    }
    values.push(outcome.endpoint_id.into());
    let Some(row) = txn
        .query_one(statement(
            txn,
            &format!(
                "UPDATE webhook_endpoints SET consecutive_failures = consecutive_failures + 1, \
                 failing_since = COALESCE(failing_since, ?){dead} WHERE id = ? \
                 RETURNING consecutive_failures, failing_since, dead_in_run, enabled"
            ),
            values,
        ))
        .await?
    else {
        return Ok(None);
    };
    let enabled: bool = row.try_get("", "enabled")?;
    let run = FailureRun {
        consecutive_failures: row.try_get("", "consecutive_failures")?,
        failing_since: row
            .try_get::<Option<i64>>("", "failing_since")?
            .unwrap_or(now),
        dead_in_run: row.try_get("", "dead_in_run")?,
    };
    let Some(reason) = rule.reason(&run, now).filter(|_| enabled) else {
        return Ok(None);
    };
    txn.execute(statement(
        txn,
        "UPDATE webhook_endpoints SET enabled = ?, disabled_reason = ?, disabled_at = ? \
         WHERE id = ?",
        vec![
            false.into(),
            reason.clone().into(),
            now.into(),
            outcome.endpoint_id.into(),
        ],
    ))
    .await?;
    Ok(Some(reason))
}

/// A page of an endpoint's deliveries, newest first, optionally in one status, and how
/// many there are.
pub async fn deliveries_page(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    status: Option<DeliveryStatus>,
    request: &PageRequest,
) -> Result<(Page<Delivery>, i64), DbErr> {
    let mut filter = String::from("d.endpoint_id = ?");
    let mut values: Vec<Value> = vec![endpoint_id.into()];
    if let Some(status) = status {
        filter.push_str(" AND d.status = ?");
        values.push(status.as_str().into());
    }
    let total = db
        .query_one(statement(
            db,
            &format!("SELECT COUNT(*) AS total FROM webhook_deliveries d WHERE {filter}"),
            values.clone(),
        ))
        .await?
        .map(|row| row.try_get::<i64>("", "total"))
        .transpose()?
        .unwrap_or(0);
    let (after, before, order) = match request.direction {
        Direction::Forward => ("<", ">", "DESC"),
        Direction::Backward => (">", "<", "ASC"),
    };
    let key = |cursor: &Cursor| {
        cursor
            .i64_at(0)
            .map_err(|error| DbErr::Custom(error.message))
    };
    if let Some(cursor) = &request.cursor {
        filter.push_str(&format!(" AND d.id {after} ?"));
        values.push(key(cursor)?.into());
    }
    if let Some(bound) = &request.bound {
        filter.push_str(&format!(" AND d.id {before} ?"));
        values.push(key(bound)?.into());
    }
    values.push(
        i64::try_from(request.fetch_limit())
            .unwrap_or(i64::MAX)
            .into(),
    );
    let rows = db
        .query_all(statement(
            db,
            &format!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
                 JOIN webhook_events v ON v.event_id = d.event_id \
                 WHERE {filter} ORDER BY d.id {order} LIMIT ?"
            ),
            values,
        ))
        .await?;
    let rows = rows
        .iter()
        .map(delivery_from_row)
        .collect::<Result<Vec<_>, _>>()?;
    Ok((Page::from_rows(rows, request), total))
}

pub async fn delivery(db: &impl ConnectionTrait, id: i64) -> Result<Option<Delivery>, DbErr> {
    db.query_one(statement(
        db,
        &format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d \
             JOIN webhook_events v ON v.event_id = d.event_id WHERE d.id = ?"
        ),
        vec![id.into()],
    ))
    .await?
    .as_ref()
    .map(delivery_from_row)
    .transpose()
}

/// The attempts of `delivery_ids`, in attempt order.
pub async fn attempts_of(
    db: &impl ConnectionTrait,
    delivery_ids: &[i64],
) -> Result<Vec<Attempt>, DbErr> {
    if delivery_ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all(statement(
            db,
            &format!(
                "SELECT delivery_id, number, started_at, status_code, latency_ms, error, \
                 succeeded FROM webhook_attempts WHERE delivery_id IN ({}) \
                 ORDER BY delivery_id, number",
                placeholders(delivery_ids.len())
            ),
            delivery_ids.iter().copied().map(Value::from).collect(),
        ))
        .await?;
    rows.iter()
        .map(|row| {
            Ok(Attempt {
                delivery_id: row.try_get("", "delivery_id")?,
                number: row.try_get("", "number")?,
                started_at: row.try_get("", "started_at")?,
                status_code: row.try_get("", "status_code")?,
                latency_ms: row.try_get("", "latency_ms")?,
                error: row.try_get("", "error")?,
                succeeded: row.try_get("", "succeeded")?,
            })
        })
        .collect()
}

/// Makes a delivery pending again, due now, at the start of a new retry run; the attempts
/// made so far stay in its log. A delivery in flight keeps its claim.
pub async fn replay(
    db: &impl ConnectionTrait,
    id: i64,
    now: i64,
) -> Result<Option<Delivery>, DbErr> {
    db.execute(statement(
        db,
        "UPDATE webhook_deliveries SET status = 'PENDING', step = 0, next_attempt_at = ?, \
         finished_at = NULL WHERE id = ?",
        vec![now.into(), id.into()],
    ))
    .await?;
    delivery(db, id).await
}

/// Replays every delivery of an endpoint created at or after `since`; returns how many.
pub async fn replay_since(
    db: &impl ConnectionTrait,
    endpoint_id: i64,
    since: i64,
    now: i64,
) -> Result<u64, DbErr> {
    let replayed = db
        .execute(statement(
            db,
            "UPDATE webhook_deliveries SET status = 'PENDING', step = 0, next_attempt_at = ?, \
             finished_at = NULL WHERE endpoint_id = ? AND created_at >= ?",
            vec![now.into(), endpoint_id.into(), since.into()],
        ))
        .await?;
    Ok(replayed.rows_affected())
}

/// Deletes what is kept no longer: old `processed_events` rows, finished deliveries past
/// the log's retention (their attempts with them), and events no delivery refers to.
pub async fn prune(db: &impl ConnectionTrait, now: i64) -> Result<(), DbErr> {
    db.execute(statement(
        db,
        "DELETE FROM processed_events WHERE processed_at < ?",
        vec![(now - KEEP_PROCESSED).into()],
    ))
    .await?;
    db.execute(statement(
        db,
        "DELETE FROM webhook_deliveries WHERE status <> 'PENDING' AND finished_at < ?",
        vec![(now - KEEP_FINISHED).into()],
    ))
    .await?;
    // A day old at least, so a fan-in writing this event's deliveries right now is not
    // left pointing at nothing.
    db.execute(statement(
        db,
        "DELETE FROM webhook_events WHERE occurred_at < ? AND NOT EXISTS \
         (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.event_id)",
        vec![(now - DAY_MICROS).into()],
    ))
    .await?;
    Ok(())
}
