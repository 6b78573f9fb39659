//! Provider webhook events already applied: the primary key on the event id is what makes a
//! replayed event change nothing.

use chrono::{DateTime, Utc};
use commerce_kernel::db::statement;
use sea_orm::{ConnectionTrait, DbErr};

use super::to_millis;

/// Records `event_id` as applied with `outcome`, as the transaction's first write. Returns
/// false when it was already recorded (a concurrent delivery waits for ours on PostgreSQL).
pub async fn claim(
    conn: &impl ConnectionTrait,
    event_id: &str,
    event_type: &str,
    outcome: &str,
    now: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let sql = "INSERT INTO webhook_events (event_id, event_type, outcome, received_at) \
               VALUES (?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING";
    let values = vec![
        event_id.into(),
        event_type.into(),
        outcome.into(),
        to_millis(now).into(),
    ];
    let result = conn.execute(statement(conn, sql, values)).await?;
    Ok(result.rows_affected() == 1)
}

/// What applying the event did, once known (`applied` or why it was ignored).
pub async fn set_outcome(
    conn: &impl ConnectionTrait,
    event_id: &str,
    outcome: &str,
) -> Result<(), DbErr> {
    let sql = "UPDATE webhook_events SET outcome = ? WHERE event_id = ?";
    conn.execute(statement(conn, sql, vec![outcome.into(), event_id.into()]))
        .await?;
    Ok(())
}
