//! Reservations and their lines. Status changes are conditional updates on the current status,
//! so of two racing transitions (commit vs. expiry, two releases) exactly one applies.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use commerce_kernel::db::{placeholders, statement};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult, Value};

use super::{from_millis, to_millis};
use crate::domain::{Reservation, ReservationLine, ReservationStatus, VariantId, WarehouseId};

#[derive(FromQueryResult)]
struct ReservationRow {
    id: i64,
    key: String,
    request_hash: String,
    status: String,
    expires_at: i64,
    created_at: i64,
}

#[derive(FromQueryResult)]
struct LineRow {
    reservation_id: i64,
    variant_id: String,
    warehouse_id: i64,
    quantity: i64,
}

#[derive(FromQueryResult)]
struct IdRow {
    id: i64,
}

/// A reservation with the hash of the request that created it, to tell replays from misuse.
pub struct Stored {
    pub reservation: Reservation,
    pub request_hash: String,
}

/// Creates the reservation unless its key exists; the transaction's first write (see
/// `commerce_kernel::idempotency::claim` for why that matters). Returns the new id.
pub async fn claim(
    conn: &impl ConnectionTrait,
    key: &str,
    request_hash: &str,
    expires_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, DbErr> {
    let sql = "INSERT INTO reservations (key, request_hash, status, expires_at, created_at) \
               VALUES (?, ?, 'active', ?, ?) ON CONFLICT (key) DO NOTHING RETURNING id";
    let values = vec![
        key.into(),
        request_hash.into(),
        to_millis(expires_at).into(),
        to_millis(now).into(),
    ];
    let row = IdRow::find_by_statement(statement(conn, sql, values))
        .one(conn)
        .await?;
    Ok(row.map(|r| r.id))
}

pub async fn insert_lines(
    conn: &impl ConnectionTrait,
    reservation_id: i64,
    lines: &[ReservationLine],
) -> Result<(), DbErr> {
    if lines.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "INSERT INTO reservation_lines (reservation_id, variant_id, warehouse_id, quantity) VALUES {}",
        vec!["(?, ?, ?, ?)"; lines.len()].join(", ")
    );
    let values = lines
        .iter()
        .flat_map(|line| {
            [
                Value::from(reservation_id),
                line.variant_id.as_str().into(),
                line.warehouse_id.0.into(),
                line.quantity.into(),
            ]
        })
        .collect();
    conn.execute(statement(conn, &sql, values)).await?;
    Ok(())
}

pub async fn find_by_key(conn: &impl ConnectionTrait, key: &str) -> Result<Option<Stored>, DbErr> {
    let sql = "SELECT id, key, request_hash, status, expires_at, created_at \
               FROM reservations WHERE key = ?";
    let Some(row) = ReservationRow::find_by_statement(statement(conn, sql, vec![key.into()]))
        .one(conn)
        .await?
    else {
        return Ok(None);
    };
    let mut lines = lines_of(conn, &[row.id]).await?;
    let status = ReservationStatus::from_stored(&row.status)
        .ok_or_else(|| DbErr::Type(format!("unknown reservation status {:?}", row.status)))?;
    Ok(Some(Stored {
        reservation: Reservation {
            id: row.id,
            key: row.key,
            status,
            expires_at: from_millis(row.expires_at),
            created_at: from_millis(row.created_at),
            lines: lines.remove(&row.id).unwrap_or_default(),
        },
        request_hash: row.request_hash,
    }))
}

/// Lines of many reservations in one query, sorted by stock row so that transactions touching
/// the same rows lock them in the same order.
pub async fn lines_of(
    conn: &impl ConnectionTrait,
    ids: &[i64],
) -> Result<HashMap<i64, Vec<ReservationLine>>, DbErr> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT reservation_id, variant_id, warehouse_id, quantity FROM reservation_lines \
         WHERE reservation_id IN ({}) ORDER BY reservation_id, variant_id, warehouse_id",
        placeholders(ids.len())
    );
    let values = ids.iter().map(|id| Value::from(*id)).collect();
    let rows = LineRow::find_by_statement(statement(conn, &sql, values))
        .all(conn)
        .await?;
    let mut lines: HashMap<i64, Vec<ReservationLine>> = HashMap::new();
    for row in rows {
        lines
            .entry(row.reservation_id)
            .or_default()
            .push(ReservationLine {
                variant_id: VariantId::from_stored(row.variant_id),
                warehouse_id: WarehouseId(row.warehouse_id),
                quantity: row.quantity,
            });
    }
    Ok(lines)
}

/// Marks a closed reservation's lines as no longer holding units, so that availability reads
/// (which use a partial index over held lines) stop looking at them.
pub async fn unhold_lines(conn: &impl ConnectionTrait, reservation_id: i64) -> Result<(), DbErr> {
    let sql = "UPDATE reservation_lines SET held = 0 WHERE reservation_id = ?";
    conn.execute(statement(conn, sql, vec![reservation_id.into()]))
        .await?;
    Ok(())
}

/// Which active reservations a transition may apply to.
#[derive(Debug, Clone, Copy)]
pub enum Expiry {
    /// Only if still live at this time (commit).
    LiveAt(DateTime<Utc>),
    /// Only if lapsed at this time (sweeper).
    LapsedAt(DateTime<Utc>),
    /// Either (release).
    Any,
}

/// Moves an active reservation to `to`; `None` when it is not active (or not in the asked
/// expiry window) any more. Matching by key or id, whichever the caller has.
pub async fn close(
    conn: &impl ConnectionTrait,
    by: Lookup<'_>,
    to: ReservationStatus,
    expiry: Expiry,
) -> Result<Option<i64>, DbErr> {
    let (column, key): (&str, Value) = match by {
        Lookup::Key(key) => ("key", key.into()),
        Lookup::Id(id) => ("id", id.into()),
    };
    let (window, mut window_values) = match expiry {
        Expiry::LiveAt(now) => (" AND expires_at > ?", vec![Value::from(to_millis(now))]),
        Expiry::LapsedAt(now) => (" AND expires_at <= ?", vec![Value::from(to_millis(now))]),
        Expiry::Any => ("", Vec::new()),
    };
    let sql = format!(
        "UPDATE reservations SET status = ? WHERE {column} = ? AND status = 'active'{window} \
         RETURNING id"
    );
    let mut values = vec![to.as_str().into(), key];
    values.append(&mut window_values);
    let row = IdRow::find_by_statement(statement(conn, &sql, values))
        .one(conn)
        .await?;
    Ok(row.map(|r| r.id))
}

/// Moves a committed reservation to `returned`; `None` when it is not committed (any more).
pub async fn mark_returned(conn: &impl ConnectionTrait, key: &str) -> Result<Option<i64>, DbErr> {
    let sql = "UPDATE reservations SET status = 'returned' WHERE key = ? AND status = 'committed' \
               RETURNING id";
    let row = IdRow::find_by_statement(statement(conn, sql, vec![key.into()]))
        .one(conn)
        .await?;
    Ok(row.map(|r| r.id))
}

#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    Key(&'a str),
    Id(i64),
}

/// Ids of active reservations past their expiry, oldest first, optionally only those holding
/// one of `variants`.
pub async fn lapsed(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    variants: Option<&[VariantId]>,
    limit: u64,
) -> Result<Vec<i64>, DbErr> {
    let mut values = vec![Value::from(to_millis(now))];
    let variant_filter = match variants {
        Some(variants) => {
            values.extend(variants.iter().map(|v| Value::from(v.as_str())));
            format!(
                " AND id IN (SELECT reservation_id FROM reservation_lines \
                 WHERE held = 1 AND variant_id IN ({}))",
                placeholders(variants.len())
            )
        }
        None => String::new(),
    };
    values.push(Value::from(i64::try_from(limit).unwrap_or(i64::MAX)));
    let sql = format!(
        "SELECT id FROM reservations WHERE status = 'active' AND expires_at <= ?{variant_filter} \
         ORDER BY expires_at LIMIT ?"
    );
    let rows = IdRow::find_by_statement(statement(conn, &sql, values))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| r.id).collect())
}
