//! Payment references (the caller's, such as `checkout-42`) and whether they were cancelled.
//! An authorization and a cancellation of the same reference each write its row before
//! anything else of theirs under that reference, so the row's lock orders them: on PostgreSQL
//! the second waits for the first to commit; SQLite runs one writer at a time anyway.

use chrono::{DateTime, Utc};
use commerce_kernel::db::statement;
use sea_orm::{ConnectionTrait, DbErr};

use super::to_millis;

/// Locks `reference`'s row for the transaction (creating it), and says whether it was
/// cancelled. `ON CONFLICT DO UPDATE` waits for a concurrent cancellation and then reads the
/// row it committed, so a reference cancelled a moment ago is never taken for a live one.
pub async fn hold(
    conn: &impl ConnectionTrait,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sql = "INSERT INTO payment_references (reference, cancelled_at, created_at) \
               VALUES (?, NULL, ?) ON CONFLICT (reference) \
               DO UPDATE SET created_at = payment_references.created_at \
               RETURNING cancelled_at";
    let values = vec![reference.into(), to_millis(now).into()];
    let row = conn
        .query_one(statement(conn, sql, values))
        .await?
        .ok_or_else(|| DbErr::Custom("INSERT ... RETURNING gave no row".into()))?;
    let cancelled_at: Option<i64> = row.try_get_by_index(0)?;
    Ok(cancelled_at.is_some())
}

/// Marks `reference` cancelled (keeping the first cancellation's time) and locks its row for
/// the transaction, waiting for an authorization under it that is being written.
pub async fn cancel(
    conn: &impl ConnectionTrait,
    reference: &str,
    now: DateTime<Utc>,
) -> Result<(), DbErr> {
    let sql = "INSERT INTO payment_references (reference, cancelled_at, created_at) \
               VALUES (?, ?, ?) ON CONFLICT (reference) DO UPDATE SET \
               cancelled_at = COALESCE(payment_references.cancelled_at, excluded.cancelled_at)";
    let values = vec![
        reference.into(),
        to_millis(now).into(),
        to_millis(now).into(),
    ];
    conn.execute(statement(conn, sql, values)).await?;
    Ok(())
}
