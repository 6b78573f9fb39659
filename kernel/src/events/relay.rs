//! The relay: publishes a domain's outbox in order, in bounded batches, and marks what it
//! published. A failed publish leaves the rows unpublished (they go out again after a
//! backoff); a crash after publishing but before marking publishes them twice, which
//! consumers absorb (delivery is at least once).

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, QueryResult, Value};
use tokio::sync::Notify;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Envelope, Transport, now_micros};
use crate::config::Config;
use crate::db::begin_write;
use crate::db::{placeholders, statement};

#[derive(Debug, Clone)]
pub struct RelayOptions {
    /// Events claimed and published at once.
    pub batch: usize,
    /// Pause after finding nothing to publish, without notifications of commits (SQLite, or
    /// PostgreSQL when listening failed): an idle outbox costs one indexed query per pause,
    /// and an event waits half of it on average.
    pub idle_poll: Duration,
    /// The same pause on PostgreSQL while the relay listens for commits: a committed event
    /// wakes it at once (`pg_notify`), so this only bounds an event's wait when a notification
    /// was lost (while the listener reconnects). Polling at `idle_poll` there cost every
    /// instance of every domain 20 queries a second on the shared database, idle or not.
    pub listening_poll: Duration,
    /// Longest pause after consecutive failures (the first is `idle_poll`, then doubling).
    pub max_backoff: Duration,
    /// Published rows are deleted after this long.
    pub keep_published: Duration,
    /// Consumers' `processed_events` rows are deleted after this long: longer than any
    /// redelivery can come late.
    pub keep_processed: Duration,
    /// How often the two deletions run.
    pub prune_every: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        Self {
            batch: 500,
            idle_poll: Duration::from_millis(50),
            listening_poll: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            keep_published: Duration::from_secs(24 * 3600),
            keep_processed: Duration::from_secs(7 * 24 * 3600),
            prune_every: Duration::from_secs(600),
        }
    }
}

/// Publishes one domain's outbox to its stream.
pub struct Relay {
    db: DatabaseConnection,
    domain: String,
    transport: Transport,
    options: RelayOptions,
}

impl Relay {
    /// A relay reading `db` (the domain's database) and publishing on `domain`'s stream.
    pub fn new(db: DatabaseConnection, domain: &str, transport: Transport) -> Self {
        Self {
            db,
            domain: domain.to_owned(),
            transport,
            options: RelayOptions::default(),
        }
    }

    /// A relay on a pool of its own (three connections: its claims, its prunes, and on
    /// PostgreSQL the one listening for commits), so that its polling never queues behind
    /// requests for a connection, nor counts among their statements.
    pub async fn connect(
        config: &Config,
        domain: &str,
        transport: Transport,
    ) -> anyhow::Result<Self> {
        let config = Config {
            db_max_connections: 3,
            ..config.clone()
        };
        let db = crate::db::connect(&config, domain)
            .await
            .with_context(|| format!("connecting the {domain} event relay"))?;
        Ok(Self::new(db, domain, transport))
    }

    pub fn with_options(mut self, options: RelayOptions) -> Self {
        self.options = options;
        self
    }

    /// Publishes until `shutdown`; a batch in flight finishes or rolls back.
    pub fn spawn(self, shutdown: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(self.run(shutdown))
    }

    pub async fn run(self, shutdown: CancellationToken) {
        tracing::debug!(
            domain = self.domain,
            transport = self.transport.kind(),
            "event relay started"
        );
        let mut failures = 0u32;
        let mut last_prune = Instant::now();
        let commits = self.listen(shutdown.clone()).await;
        let idle_pause = match commits {
            Some(_) => self.options.listening_poll,
            None => self.options.idle_poll,
        };
        loop {
            if last_prune.elapsed() >= self.options.prune_every {
                last_prune = Instant::now();
                if let Err(error) = self.prune().await {
                    tracing::warn!(
                        domain = self.domain,
                        error = format!("{error:#}"),
                        "pruning old events failed"
                    );
                }
            }
            let pause = match self.publish_batch().await {
                Ok(0) => {
                    failures = 0;
                    idle_pause
                }
                Ok(_) => {
                    failures = 0;
                    Duration::ZERO
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    tracing::warn!(
                        domain = self.domain,
                        failures,
                        error = format!("{error:#}"),
                        "publishing events failed; backing off"
                    );
                    self.backoff(failures)
                }
            };
            if pause.is_zero() {
                if shutdown.is_cancelled() {
                    break;
                }
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(pause) => {}
                () = committed(commits.as_deref()) => {}
            }
        }
        tracing::debug!(domain = self.domain, "event relay stopped");
    }

    /// On PostgreSQL, a task listening for the commits of transactions that wrote events to
    /// this domain (`Outbox::append_all` notifies `event_outbox_<schema>`), until `shutdown`.
    /// Notifications coalesce: however many commits came while a batch was going out, the
    /// relay looks once more.
    async fn listen(&self, shutdown: CancellationToken) -> Option<Arc<Notify>> {
        if self.db.get_database_backend() != DbBackend::Postgres {
            return None;
        }
        let channel = format!("event_outbox_{}", self.domain);
        let pool = self.db.get_postgres_connection_pool();
        let listening = async {
            let mut listener = PgListener::connect_with(pool).await?;
            listener.listen(&channel).await?;
            Ok::<_, sea_orm::sqlx::Error>(listener)
        };
        let mut listener = match listening.await {
            Ok(listener) => listener,
            Err(error) => {
                tracing::warn!(domain = self.domain, %error, "cannot listen for commits; polling only");
                return None;
            }
        };
        let commits = Arc::new(Notify::new());
        let wake = commits.clone();
        let domain = self.domain.clone();
        tokio::spawn(async move {
            loop {
                let received = tokio::select! {
                    () = shutdown.cancelled() => return,
                    received = listener.recv() => received,
                };
                match received {
                    Ok(_) => wake.notify_one(),
                    Err(error) => {
                        // `recv` reconnects a lost connection itself; other errors pause it.
                        tracing::debug!(domain, %error, "listening for commits failed");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
        });
        Some(commits)
    }

    fn backoff(&self, failures: u32) -> Duration {
        let factor = 2u32.saturating_pow(failures.saturating_sub(1).min(16));
        (self.options.idle_poll * factor).min(self.options.max_backoff)
    }

    /// Claims, publishes and marks one batch; returns how many events went out.
    pub async fn publish_batch(&self) -> anyhow::Result<usize> {
        match self.db.get_database_backend() {
            DbBackend::Postgres => self.publish_claimed().await,
            _ => self.publish_single_process().await,
        }
    }

    /// PostgreSQL, any number of relays: the batch's rows stay locked until they are marked,
    /// and other relays skip them.
    async fn publish_claimed(&self) -> anyhow::Result<usize> {
        let txn = begin_write(&self.db).await?;
        // A row waits while an earlier row of its aggregate is unpublished outside this batch
        // (another relay holds it), so that every aggregate's events go out in sequence.
        let claim = "WITH batch AS ( \
               SELECT id FROM event_outbox WHERE published_at IS NULL \
               ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED) \
             SELECT o.id, o.event_id, o.event_type, o.version, o.aggregate_id, o.sequence, \
               o.occurred_at, o.payload \
             FROM event_outbox o JOIN batch b ON b.id = o.id \
             WHERE NOT EXISTS ( \
               SELECT 1 FROM event_outbox e \
               WHERE e.aggregate_id = o.aggregate_id AND e.id < o.id \
                 AND e.published_at IS NULL AND e.id NOT IN (SELECT id FROM batch)) \
             ORDER BY o.id";
        let rows = txn
            .query_all(statement(&txn, claim, vec![self.limit()]))
            .await
            .context("claiming outbox rows")?;
        let published = self.publish_rows(&txn, rows).await?;
        txn.commit().await?;
        Ok(published)
    }

    /// SQLite: one process owns the database, and this is its relay.
    async fn publish_single_process(&self) -> anyhow::Result<usize> {
        let select = "SELECT id, event_id, event_type, version, aggregate_id, sequence, \
               occurred_at, payload \
             FROM event_outbox WHERE published_at IS NULL ORDER BY id LIMIT ?";
        let rows = self
            .db
            .query_all(statement(&self.db, select, vec![self.limit()]))
            .await
            .context("reading outbox rows")?;
        self.publish_rows(&self.db, rows).await
    }

    async fn publish_rows(
        &self,
        conn: &impl ConnectionTrait,
        rows: Vec<QueryResult>,
    ) -> anyhow::Result<usize> {
        if rows.is_empty() {
            return Ok(0);
        }
        let mut ids = Vec::with_capacity(rows.len());
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let (id, event) = read_row(&row)?;
            ids.push(Value::from(id));
            events.push(event);
        }
        self.transport.publish(&self.domain, &events).await?;
        let sql = format!(
            "UPDATE event_outbox SET published_at = ? WHERE id IN ({})",
            placeholders(ids.len())
        );
        let mut values = vec![Value::from(now_micros().timestamp_micros())];
        values.extend(ids);
        conn.execute(statement(conn, &sql, values))
            .await
            .context("marking outbox rows published")?;
        tracing::debug!(
            domain = self.domain,
            count = events.len(),
            "published events"
        );
        Ok(events.len())
    }

    /// Deletes published rows and processed-event records past their retention.
    pub async fn prune(&self) -> anyhow::Result<u64> {
        let now = Utc::now();
        let cutoff = |keep: Duration| {
            let keep = chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::MAX);
            now.checked_sub_signed(keep)
                .unwrap_or(DateTime::UNIX_EPOCH)
                .timestamp_micros()
        };
        let outbox = self
            .db
            .execute(statement(
                &self.db,
                "DELETE FROM event_outbox WHERE published_at IS NOT NULL AND published_at < ?",
                vec![cutoff(self.options.keep_published).into()],
            ))
            .await?;
        let processed = self
            .db
            .execute(statement(
                &self.db,
                "DELETE FROM processed_events WHERE processed_at < ?",
                vec![cutoff(self.options.keep_processed).into()],
            ))
            .await?;
        Ok(outbox.rows_affected() + processed.rows_affected())
    }

    fn limit(&self) -> Value {
        i64::try_from(self.options.batch).unwrap_or(i64::MAX).into()
    }
}

/// Resolves when a commit was notified since the last call; never without a listener.
async fn committed(commits: Option<&Notify>) {
    match commits {
        Some(commits) => commits.notified().await,
        None => std::future::pending().await,
    }
}

fn read_row(row: &QueryResult) -> anyhow::Result<(i64, Envelope)> {
    let id: i64 = row.try_get("", "id")?;
    let event_id: String = row.try_get("", "event_id")?;
    let version: i32 = row.try_get("", "version")?;
    let micros: i64 = row.try_get("", "occurred_at")?;
    let payload: String = row.try_get("", "payload")?;
    let envelope = Envelope {
        id: Uuid::parse_str(&event_id).context("reading an outbox event id")?,
        event_type: row.try_get("", "event_type")?,
        version: u32::try_from(version).context("reading an outbox version")?,
        aggregate_id: row.try_get("", "aggregate_id")?,
        sequence: row.try_get("", "sequence")?,
        time: DateTime::from_timestamp_micros(micros).context("reading an outbox time")?,
        payload: serde_json::from_str(&payload).context("reading an outbox payload")?,
    };
    Ok((id, envelope))
}
