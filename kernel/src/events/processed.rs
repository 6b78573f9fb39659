//! Applying an event once per consumer: the `processed_events` row and the consumer's changes
//! commit together, so a redelivered event finds its row and changes nothing.

use std::future::Future;
use std::pin::Pin;

use crate::db::begin_write;
use sea_orm::{ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr};

use super::{Envelope, now_micros};
use crate::db::statement;

/// Runs `work` in a transaction that also records `event` as processed by `consumer`, unless
/// it already was (then `Ok(None)` and nothing runs). `work`'s error rolls both back, so the
/// event can be applied on its next delivery. Concurrent deliveries of one event queue on the
/// row: one applies, the other finds it done.
pub async fn apply_once<T, E, F>(
    db: &DatabaseConnection,
    consumer: &str,
    event: &Envelope,
    work: F,
) -> Result<Option<T>, E>
where
    E: From<DbErr>,
    F: for<'t> FnOnce(
        &'t DatabaseTransaction,
    ) -> Pin<Box<dyn Future<Output = Result<T, E>> + Send + 't>>,
{
    let txn = begin_write(db).await?;
    let claimed = txn
        .execute(statement(
            &txn,
            "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, ?) \
             ON CONFLICT (consumer, event_id) DO NOTHING",
            vec![
                consumer.into(),
                event.id.to_string().into(),
                now_micros().timestamp_micros().into(),
            ],
        ))
        .await?;
    if claimed.rows_affected() == 0 {
        tracing::debug!(consumer, event = %event.id, "event already processed");
        return Ok(None);
    }
    let result = work(&txn).await?;
    txn.commit().await?;
    Ok(Some(result))
}

/// Whether `consumer` has applied `event` already. For an effect outside the database (a
/// mail): check this first, run the effect, then record the event with [`apply_once`], so no
/// database lock is held while the effect waits on the network. A crash between the effect
/// and the record repeats the effect on redelivery (at least once), as it would for any
/// effect that cannot join the transaction.
pub async fn already_applied(
    db: &DatabaseConnection,
    consumer: &str,
    event: &Envelope,
) -> Result<bool, DbErr> {
    let found = db
        .query_one(statement(
            db,
            "SELECT 1 FROM processed_events WHERE consumer = ? AND event_id = ?",
            vec![consumer.into(), event.id.to_string().into()],
        ))
        .await?;
    Ok(found.is_some())
}
