//! The event backbone end to end on real databases: the outbox publishes exactly what
//! committed, in order per aggregate, through Redis Streams (PostgreSQL) or the in-process bus
//! (SQLite, the embedded default); consumers survive crashes and duplicates, applying each
//! event once.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{
    Consumer, ConsumerOptions, Envelope, Event, FanOut, Outbox, Relay, RelayOptions, Subscription,
    Transport, apply_once, spawn_consumer,
};
use commerce_testkit::{Backend, Runtime, TestDatabase, migrated_database, run_scenario};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, DbErr, Statement};
use serde::Serialize;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// The stream (and database schema) of these tests.
const DOMAIN: &str = "things";

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Noted {
    thing_id: String,
    note: String,
}

impl Event for Noted {
    const TYPE: &'static str = "things.noted";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.thing_id.clone()
    }
}

fn noted(thing: &str, note: &str) -> Noted {
    Noted {
        thing_id: thing.to_owned(),
        note: note.to_owned(),
    }
}

/// A fresh database with the event tables and a `things` table to change beside them.
async fn database(backend: Backend) -> TestDatabase {
    let database =
        migrated_database::<commerce_migrations::events::Migrator>(backend, DOMAIN).await;
    for sql in [
        "CREATE TABLE things (id VARCHAR(16) NOT NULL, note VARCHAR(64) NOT NULL)",
        "CREATE TABLE applied (event_id VARCHAR(36) NOT NULL)",
    ] {
        database
            .db
            .execute_unprepared(sql)
            .await
            .expect("creates a test table");
    }
    database
}

/// Redis Streams under a namespace of this test's own on PostgreSQL; the embedded default
/// (the in-process bus of this database) on SQLite.
async fn transport(backend: Backend, database: &TestDatabase) -> Transport {
    match backend {
        Backend::Postgres => {
            let url = commerce_testkit::redis_url().await;
            Transport::redis(&url, &namespace()).await.expect("Redis")
        }
        Backend::Sqlite => Transport::from_config(&database.config)
            .await
            .expect("the in-process bus"),
    }
}

fn namespace() -> String {
    format!("t{}", uuid::Uuid::new_v4().simple())
}

/// Changes a thing and writes its event in one transaction, committing or rolling back.
async fn change(db: &DatabaseConnection, thing: &str, note: &str, commit: bool) -> Envelope {
    let txn = begin_write(db).await.expect("begins");
    txn.execute(Statement::from_sql_and_values(
        txn.get_database_backend(),
        match txn.get_database_backend() {
            DbBackend::Postgres => "INSERT INTO things (id, note) VALUES ($1, $2)",
            _ => "INSERT INTO things (id, note) VALUES (?, ?)",
        },
        [thing.into(), note.into()],
    ))
    .await
    .expect("changes a thing");
    let envelope = Outbox::append(&txn, &noted(thing, note))
        .await
        .expect("appends");
    if commit {
        txn.commit().await.expect("commits");
    } else {
        txn.rollback().await.expect("rolls back");
    }
    envelope
}

/// Records every event it is handed.
struct Recorder {
    subscription: Subscription,
    seen: Mutex<Vec<Envelope>>,
    arrived: Notify,
}

impl Recorder {
    fn new(group: &str, fan_out: FanOut) -> Arc<Self> {
        Arc::new(Self {
            subscription: Subscription {
                group: group.to_owned(),
                domain: DOMAIN.to_owned(),
                fan_out,
            },
            seen: Mutex::default(),
            arrived: Notify::new(),
        })
    }

    fn seen(&self) -> Vec<Envelope> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// Waits until `count` events arrived (or fails after `limit`).
    async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Envelope> {
        let deadline = Instant::now() + limit;
        loop {
            let seen = self.seen();
            if seen.len() >= count {
                return seen;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            assert!(!left.is_zero(), "{} of {count} events arrived", seen.len());
            let _ =
                tokio::time::timeout(left.min(Duration::from_millis(50)), self.arrived.notified())
                    .await;
        }
    }
}

#[async_trait]
impl Consumer for Recorder {
    fn subscription(&self) -> Subscription {
        self.subscription.clone()
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.seen.lock().expect("not poisoned").push(event.clone());
        self.arrived.notify_waiters();
        Ok(())
    }
}

fn quick() -> ConsumerOptions {
    ConsumerOptions {
        block: Duration::from_millis(200),
        reclaim_idle: Duration::from_millis(500),
        reclaim_every: Duration::from_millis(100),
        ..ConsumerOptions::default()
    }
}

#[test]
fn a_rolled_back_change_publishes_nothing_and_committed_ones_publish_once_in_order_on_postgres_and_redis()
 {
    run_scenario(
        Runtime::MultiThread,
        publishes_exactly_what_committed(Backend::Postgres),
    );
}

#[test]
fn a_rolled_back_change_publishes_nothing_and_committed_ones_publish_once_in_order_in_process_on_sqlite()
 {
    run_scenario(
        Runtime::MultiThread,
        publishes_exactly_what_committed(Backend::Sqlite),
    );
}

async fn publishes_exactly_what_committed(backend: Backend) {
    let database = database(backend).await;
    let transport = transport(backend, &database).await;
    let shutdown = CancellationToken::new();
    let recorder = Recorder::new("recorder", FanOut::Shared);
    spawn_consumer(&transport, recorder.clone(), quick(), shutdown.clone());
    // On Redis the group is created by the consumer task; let it join before publishing.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let db = &database.db;
    let rolled_back = change(db, "a", "never happened", false).await;
    let mut committed = Vec::new();
    for (thing, note) in [("a", "one"), ("b", "one"), ("a", "two"), ("a", "three")] {
        committed.push(change(db, thing, note, true).await);
    }
    let relay = Relay::new(db.clone(), DOMAIN, transport.clone());
    let published = relay.publish_batch().await.expect("publishes");
    assert_eq!(published, 4);
    assert_eq!(
        relay.publish_batch().await.expect("publishes"),
        0,
        "each row goes out once"
    );

    let seen = recorder.wait_for(4, Duration::from_secs(10)).await;
    // Nothing else arrives later either.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen_after = recorder.seen();
    assert_eq!(seen_after.len(), 4, "{seen_after:#?}");
    assert_eq!(seen, committed, "published as written, in commit order");
    assert!(seen.iter().all(|e| e.id != rolled_back.id));
    let sequences: Vec<(&str, i64)> = seen
        .iter()
        .map(|e| (e.aggregate_id.as_str(), e.sequence))
        .collect();
    // The rolled-back event's sequence number was rolled back with it.
    assert_eq!(sequences, [("a", 1), ("b", 1), ("a", 2), ("a", 3)]);
    assert_eq!(seen[0].payload["note"], "one");
    shutdown.cancel();
}

#[test]
fn two_relays_publish_every_event_once_and_each_aggregate_in_sequence() {
    run_scenario(Runtime::MultiThread, async {
        let backend = Backend::Postgres;
        let database = database(backend).await;
        let transport = transport(backend, &database).await;
        let shutdown = CancellationToken::new();
        let recorder = Recorder::new("recorder", FanOut::Shared);
        spawn_consumer(&transport, recorder.clone(), quick(), shutdown.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        // Small batches so that the two relays interleave.
        let options = RelayOptions {
            batch: 7,
            idle_poll: Duration::from_millis(5),
            ..RelayOptions::default()
        };
        for _ in 0..2 {
            Relay::connect(&database.config, DOMAIN, transport.clone())
                .await
                .expect("a relay pool")
                .with_options(options.clone())
                .spawn(shutdown.clone());
        }

        let writers: Vec<_> = (0..4)
            .map(|writer| {
                let db = database.db.clone();
                tokio::spawn(async move {
                    for n in 0..50 {
                        let thing = format!("t{}", (writer + n) % 5);
                        change(&db, &thing, &format!("{writer}-{n}"), true).await;
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await.expect("a writer finished");
        }

        let seen = recorder.wait_for(200, Duration::from_secs(30)).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(recorder.seen().len(), 200, "no event went out twice");
        let ids: HashSet<_> = seen.iter().map(|e| e.id).collect();
        assert_eq!(ids.len(), 200);
        let mut by_aggregate: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
        for event in &seen {
            by_aggregate
                .entry(event.aggregate_id.as_str())
                .or_default()
                .push(event.sequence);
        }
        for (aggregate, sequences) in by_aggregate {
            let expected: Vec<i64> = (1..=40).collect();
            assert_eq!(sequences, expected, "{aggregate} arrived out of order");
        }
        shutdown.cancel();
    });
}

/// Applies each event once with `apply_once` (a row in `applied`); counts every delivery. When
/// `hang_after_apply` is set, it commits its work and then never returns, like a consumer that
/// dies after its transaction and before the acknowledgement.
struct Applier {
    db: DatabaseConnection,
    deliveries: AtomicUsize,
    hang_after_apply: bool,
    applied: Notify,
}

#[async_trait]
impl Consumer for Applier {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "applier".to_owned(),
            domain: DOMAIN.to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.deliveries.fetch_add(1, Ordering::SeqCst);
        let id = event.id.to_string();
        apply_once(&self.db, "applier", event, |txn| {
            Box::pin(async move {
                let sql = match txn.get_database_backend() {
                    DbBackend::Postgres => "INSERT INTO applied (event_id) VALUES ($1)",
                    _ => "INSERT INTO applied (event_id) VALUES (?)",
                };
                txn.execute(Statement::from_sql_and_values(
                    txn.get_database_backend(),
                    sql,
                    [id.into()],
                ))
                .await?;
                Ok::<_, DbErr>(())
            })
        })
        .await?;
        self.applied.notify_one();
        if self.hang_after_apply {
            std::future::pending::<()>().await;
        }
        Ok(())
    }
}

fn applier(db: &DatabaseConnection, hang_after_apply: bool) -> Arc<Applier> {
    Arc::new(Applier {
        db: db.clone(),
        deliveries: AtomicUsize::new(0),
        hang_after_apply,
        applied: Notify::new(),
    })
}

async fn applied_rows(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM applied",
        ))
        .await
        .expect("counts")
        .expect("a row");
    row.try_get("", "n").expect("a count")
}

/// Waits until `check` holds, for at most `limit`.
async fn eventually(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    check().await
}

#[test]
fn a_consumer_that_dies_before_acknowledging_gets_the_event_again_through_the_reclaim_and_applies_it_once()
 {
    run_scenario(Runtime::MultiThread, async {
        let backend = Backend::Postgres;
        let database = database(backend).await;
        let db = &database.db;
        let Transport::Redis(streams) = transport(backend, &database).await else {
            unreachable!("PostgreSQL tests run on Redis");
        };
        let transport = Transport::Redis(streams.clone());
        let shutdown = CancellationToken::new();

        let doomed = applier(db, true);
        let first = spawn_consumer(&transport, doomed.clone(), quick(), shutdown.clone());
        tokio::time::sleep(Duration::from_millis(300)).await;
        change(db, "a", "once", true).await;
        Relay::new(db.clone(), DOMAIN, transport.clone())
            .publish_batch()
            .await
            .expect("publishes");
        tokio::time::timeout(Duration::from_secs(10), doomed.applied.notified())
            .await
            .expect("the first consumer applied the event");
        // It dies between its commit and its acknowledgement.
        first.abort();
        let key = streams.stream_key(DOMAIN);
        assert_eq!(
            pending(&key).await,
            1,
            "the entry is pending for the dead consumer"
        );

        let survivor = applier(db, false);
        spawn_consumer(&transport, survivor.clone(), quick(), shutdown.clone());
        let reclaimed =
            eventually(Duration::from_secs(10), async || pending(&key).await == 0).await;
        assert!(
            reclaimed,
            "the survivor reclaimed and acknowledged the entry"
        );
        assert_eq!(
            survivor.deliveries.load(Ordering::SeqCst),
            1,
            "delivered again"
        );
        assert_eq!(applied_rows(db).await, 1, "and applied once");
        shutdown.cancel();
    });
}

/// Entries delivered to the `applier` group and not acknowledged.
async fn pending(key: &str) -> usize {
    let client = redis::Client::open(commerce_testkit::redis_url().await).expect("a URL");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("Redis");
    let summary: redis::streams::StreamPendingReply = redis::cmd("XPENDING")
        .arg(key)
        .arg("applier")
        .query_async(&mut connection)
        .await
        .expect("XPENDING");
    summary.count()
}

#[test]
fn an_event_delivered_twice_is_applied_once_on_postgres_and_redis() {
    run_scenario(
        Runtime::MultiThread,
        duplicates_apply_once(Backend::Postgres),
    );
}

#[test]
fn an_event_delivered_twice_is_applied_once_in_process_on_sqlite() {
    run_scenario(Runtime::MultiThread, duplicates_apply_once(Backend::Sqlite));
}

async fn duplicates_apply_once(backend: Backend) {
    let database = database(backend).await;
    let db = &database.db;
    let transport = transport(backend, &database).await;
    let shutdown = CancellationToken::new();
    let consumer = applier(db, false);
    spawn_consumer(&transport, consumer.clone(), quick(), shutdown.clone());
    tokio::time::sleep(Duration::from_millis(300)).await;

    change(db, "a", "once", true).await;
    let relay = Relay::new(db.clone(), DOMAIN, transport.clone());
    assert_eq!(relay.publish_batch().await.expect("publishes"), 1);
    // As if the relay died after publishing and before marking: the row goes out again.
    db.execute_unprepared("UPDATE event_outbox SET published_at = NULL")
        .await
        .expect("unmarks");
    assert_eq!(relay.publish_batch().await.expect("publishes"), 1);

    let delivered = eventually(Duration::from_secs(10), async || {
        consumer.deliveries.load(Ordering::SeqCst) == 2
    })
    .await;
    assert!(delivered, "both copies were delivered");
    assert_eq!(applied_rows(db).await, 1, "and applied once");
    shutdown.cancel();
}

#[test]
fn the_in_process_relay_marks_a_batch_published_only_once_every_group_handled_it() {
    run_scenario(Runtime::MultiThread, async {
        let database = database(Backend::Sqlite).await;
        let db = &database.db;
        let transport = transport(Backend::Sqlite, &database).await;
        let shutdown = CancellationToken::new();
        let slow = Arc::new(Slow {
            gate: Notify::new(),
        });
        spawn_consumer(&transport, slow.clone(), quick(), shutdown.clone());
        change(db, "a", "one", true).await;
        let relay = Relay::new(db.clone(), DOMAIN, transport.clone());
        let publishing = tokio::spawn(async move { relay.publish_batch().await });
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            !publishing.is_finished(),
            "the relay waits for the consumer"
        );
        assert_eq!(unpublished(db).await, 1);
        slow.gate.notify_one();
        let published = publishing.await.expect("joins").expect("publishes");
        assert_eq!(published, 1);
        assert_eq!(unpublished(db).await, 0);
        shutdown.cancel();
    });
}

/// Finishes an event only when its gate opens.
struct Slow {
    gate: Notify,
}

#[async_trait]
impl Consumer for Slow {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "slow".to_owned(),
            domain: DOMAIN.to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, _event: &Envelope) -> anyhow::Result<()> {
        self.gate.notified().await;
        Ok(())
    }
}

async fn unpublished(db: &DatabaseConnection) -> i64 {
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM event_outbox WHERE published_at IS NULL",
        ))
        .await
        .expect("counts")
        .expect("a row");
    row.try_get("", "n").expect("a count")
}

#[test]
fn on_postgres_a_commit_wakes_the_relay_instead_of_waiting_for_its_next_poll() {
    run_scenario(Runtime::MultiThread, async {
        let backend = Backend::Postgres;
        let database = database(backend).await;
        let transport = transport(backend, &database).await;
        let shutdown = CancellationToken::new();
        let recorder = Recorder::new("recorder", FanOut::Shared);
        spawn_consumer(&transport, recorder.clone(), quick(), shutdown.clone());
        let options = RelayOptions {
            idle_poll: Duration::from_secs(60),
            listening_poll: Duration::from_secs(60),
            ..RelayOptions::default()
        };
        Relay::connect(&database.config, DOMAIN, transport.clone())
            .await
            .expect("a relay pool")
            .with_options(options)
            .spawn(shutdown.clone());
        // The relay has polled an empty outbox and is listening.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let start = Instant::now();
        let written = change(&database.db, "a", "now", true).await;
        let seen = recorder.wait_for(1, Duration::from_secs(10)).await;
        assert_eq!(seen, [written]);
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "delivered after {:?}, not on the minute's poll",
            start.elapsed()
        );
        shutdown.cancel();
    });
}

/// Listening for commits, an idle relay on PostgreSQL looks at its outbox once a second (in
/// case a notification was lost), not every 50 ms: the shared database is not polled by every
/// instance of every domain 20 times a second.
#[test]
fn on_postgres_an_idle_relay_that_listens_polls_once_a_second() {
    run_scenario(Runtime::MultiThread, async {
        let backend = Backend::Postgres;
        let database = database(backend).await;
        let transport = transport(backend, &database).await;
        let shutdown = CancellationToken::new();
        // On the counted pool, so its polls are counted.
        Relay::new(database.db.clone(), DOMAIN, transport.clone()).spawn(shutdown.clone());
        tokio::time::sleep(Duration::from_millis(500)).await;
        database.statements.reset();
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let statements = database.statements.count();
        // One statement per poll (its claim): polling every 50 ms made about 50 here.
        assert!(
            (1..=15).contains(&statements),
            "{statements} statements in 2.5 s of idling"
        );
        shutdown.cancel();
    });
}

#[test]
fn a_new_instance_removes_the_groups_that_stopped_instances_left_behind() {
    run_scenario(Runtime::MultiThread, async {
        let backend = Backend::Postgres;
        let database = database(backend).await;
        let Transport::Redis(streams) = transport(backend, &database).await else {
            unreachable!("PostgreSQL tests run on Redis");
        };
        let transport = Transport::Redis(streams.clone());
        let key = streams.stream_key(DOMAIN);
        let client = redis::Client::open(commerce_testkit::redis_url().await).expect("a URL");
        let mut redis = client
            .get_multiplexed_async_connection()
            .await
            .expect("Redis");
        // A killed instance's group: its mark has expired.
        let _: () = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&key)
            .arg("cache.killed")
            .arg("$")
            .arg("MKSTREAM")
            .query_async(&mut redis)
            .await
            .expect("creates a group");
        let shutdown = CancellationToken::new();
        let options = ConsumerOptions {
            stale_after: Duration::from_millis(1_000),
            ..quick()
        };
        // A live instance, marking itself alive every 250 ms.
        spawn_consumer(
            &transport,
            Recorder::new("cache", FanOut::EveryInstance),
            options.clone(),
            shutdown.clone(),
        );
        tokio::time::sleep(Duration::from_millis(1_500)).await;
        spawn_consumer(
            &transport,
            Recorder::new("cache", FanOut::EveryInstance),
            options,
            shutdown.clone(),
        );
        let mut groups = Vec::new();
        let pruned = eventually(Duration::from_secs(10), async || {
            let info: redis::streams::StreamInfoGroupsReply = redis::cmd("XINFO")
                .arg("GROUPS")
                .arg(&key)
                .query_async(&mut redis)
                .await
                .expect("lists groups");
            groups = info.groups.into_iter().map(|g| g.name).collect();
            groups.len() == 2 && !groups.iter().any(|g| g == "cache.killed")
        })
        .await;
        assert!(
            pruned,
            "the killed instance's group goes, both live ones stay: {groups:?}"
        );
        shutdown.cancel();
        let removed = eventually(Duration::from_secs(10), async || {
            let info: redis::streams::StreamInfoGroupsReply = redis::cmd("XINFO")
                .arg("GROUPS")
                .arg(&key)
                .query_async(&mut redis)
                .await
                .expect("lists groups");
            info.groups.is_empty()
        })
        .await;
        assert!(removed, "instances that stop remove their own group");
    });
}
