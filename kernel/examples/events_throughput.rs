//! Events per second through outbox → relay → Redis Streams → consumer, and the delay from
//! each writer's commit to the consumer handling the event (p50/p95/p99), on PostgreSQL.
//!
//! Run with (release; PostgreSQL and Redis from `scripts/services.sh`, or throwaway servers
//! started here when `TESTKIT_POSTGRES_URL` / `TESTKIT_REDIS_URL` are unset):
//!
//! ```text
//! source scripts/services.sh && start_services
//! cargo run --release -p commerce-kernel --example events_throughput -- \
//!     [--events 20000] [--writers 8] [--relays 1] [--consumers 1] [--consumer apply-once|noop]
//!     [--rate 200]
//! ```
//!
//! Three phases: a burst (`--writers` tasks commit `--events` one-event transactions as fast as
//! they can), a paced phase (`--rate` events per second for 5 s), where the delay is what one
//! event waits when the outbox is mostly idle, and what the outbox costs a write: the same
//! writers committing one-row transactions without, then with, an event. `apply-once` consumers record each event in
//! `processed_events` in a transaction of their own, as a consumer with database effects does;
//! `--consumers` instances share the group (each event goes to one of them).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use async_trait::async_trait;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{
    Consumer, ConsumerOptions, Envelope, Event, FanOut, Outbox, Relay, Subscription, Transport,
    apply_once, spawn_consumer,
};
use commerce_testkit::{Backend, migrated_database};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbErr};
use serde::Serialize;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const DOMAIN: &str = "bench";

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Ticked {
    thing_id: String,
    n: u64,
}

impl Event for Ticked {
    const TYPE: &'static str = "bench.ticked";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.thing_id.clone()
    }
}

struct Options {
    events: u64,
    writers: u64,
    relays: usize,
    consumers: usize,
    apply_once: bool,
    rate: u64,
}

fn options() -> Options {
    let mut options = Options {
        events: 20_000,
        writers: 8,
        relays: 1,
        consumers: 1,
        apply_once: true,
        rate: 200,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        let number = || value.parse().expect("a number");
        match pair[0].as_str() {
            "--events" => options.events = number(),
            "--writers" => options.writers = number(),
            "--relays" => options.relays = usize::try_from(number()).expect("fits"),
            "--consumers" => options.consumers = usize::try_from(number()).expect("fits"),
            "--rate" => options.rate = number(),
            "--consumer" => options.apply_once = value == "apply-once",
            other => panic!("unknown option {other}"),
        }
    }
    options
}

/// When each event was committed and when the consumer finished it (wall clock, one process).
#[derive(Default)]
struct Clock {
    committed: Mutex<HashMap<Uuid, SystemTime>>,
    handled: Mutex<HashMap<Uuid, SystemTime>>,
}

struct Timed {
    db: DatabaseConnection,
    clock: Arc<Clock>,
    apply_once: bool,
}

#[async_trait]
impl Consumer for Timed {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "bench".to_owned(),
            domain: DOMAIN.to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        if self.apply_once {
            apply_once(&self.db, "bench", event, |_txn| {
                Box::pin(async { Ok::<_, DbErr>(()) })
            })
            .await?;
        }
        let now = SystemTime::now();
        self.clock
            .handled
            .lock()
            .expect("not poisoned")
            .entry(event.id)
            .or_insert(now);
        Ok(())
    }
}

async fn write(db: &DatabaseConnection, clock: &Clock, n: u64) {
    let txn = begin_write(db).await.expect("begins");
    let event = Ticked {
        thing_id: format!("thing-{}", n % 1000),
        n,
    };
    let envelope = Outbox::append(&txn, &event).await.expect("appends");
    txn.commit().await.expect("commits");
    let now = SystemTime::now();
    clock
        .committed
        .lock()
        .expect("not poisoned")
        .insert(envelope.id, now);
}

/// Waits until every committed event was handled; returns when the last one was.
async fn drained(clock: &Clock, expected: usize) -> SystemTime {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let last = {
            let handled = clock.handled.lock().expect("not poisoned");
            (handled.len() >= expected).then(|| *handled.values().max().expect("events"))
        };
        if let Some(last) = last {
            return last;
        }
        assert!(Instant::now() < deadline, "events stopped arriving");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn report(name: &str, clock: &Clock, start: SystemTime, end: SystemTime) {
    let committed = clock.committed.lock().expect("not poisoned");
    let handled = clock.handled.lock().expect("not poisoned");
    let mut delays: Vec<Duration> = committed
        .iter()
        // A consumer can finish an event before its writer has noted the commit time: 0.
        .filter_map(|(id, at)| Some(handled.get(id)?.duration_since(*at).unwrap_or_default()))
        .collect();
    delays.sort_unstable();
    let at = |q: f64| {
        let index = ((delays.len() as f64 - 1.0) * q).round() as usize;
        delays[index].as_secs_f64() * 1000.0
    };
    let elapsed = end.duration_since(start).expect("ends after it starts");
    let last_commit = committed.values().max().expect("events");
    let writing = last_commit.duration_since(start).expect("after start");
    println!(
        "{name}: {} events; committed {:.0}/s, delivered {:.0}/s (first commit to last \
         handled {:.2} s); commit → handled p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        delays.len(),
        delays.len() as f64 / writing.as_secs_f64(),
        delays.len() as f64 / elapsed.as_secs_f64(),
        elapsed.as_secs_f64(),
        at(0.50),
        at(0.95),
        at(0.99),
        at(1.0),
    );
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let options = options();
    let database =
        migrated_database::<commerce_migrations::events::Migrator>(Backend::Postgres, DOMAIN).await;
    let mut config = database.config.config();
    config.redis_url = Some(commerce_testkit::redis_url().await);
    config.events_namespace = format!("bench{}", Uuid::new_v4().simple());
    let transport = Transport::from_config(&config).await?;
    let shutdown = CancellationToken::new();
    let clock = Arc::new(Clock::default());
    for _ in 0..options.consumers {
        let consumer = Arc::new(Timed {
            db: database.db.clone(),
            clock: clock.clone(),
            apply_once: options.apply_once,
        });
        spawn_consumer(
            &transport,
            consumer,
            ConsumerOptions::default(),
            shutdown.clone(),
        );
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    for _ in 0..options.relays {
        Relay::connect(&config, DOMAIN, transport.clone())
            .await?
            .spawn(shutdown.clone());
    }
    println!(
        "PostgreSQL + Redis Streams, {} relay(s), {} {} consumer(s), {} writers",
        options.relays,
        options.consumers,
        if options.apply_once {
            "apply-once"
        } else {
            "no-op"
        },
        options.writers
    );

    let start = SystemTime::now();
    let writers: Vec<_> = (0..options.writers)
        .map(|w| {
            let (db, clock) = (database.db.clone(), clock.clone());
            let share = options.events / options.writers;
            tokio::spawn(async move {
                for n in 0..share {
                    write(&db, &clock, w * share + n).await;
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await?;
    }
    let expected = clock.committed.lock().expect("not poisoned").len();
    let end = drained(&clock, expected).await;
    report("burst", &clock, start, end);

    clock.committed.lock().expect("not poisoned").clear();
    clock.handled.lock().expect("not poisoned").clear();
    let start = SystemTime::now();
    let mut ticks = tokio::time::interval(Duration::from_secs(1) / options.rate as u32);
    for n in 0..options.rate * 5 {
        ticks.tick().await;
        write(&database.db, &clock, n).await;
    }
    let end = drained(&clock, usize::try_from(options.rate * 5)?).await;
    report(&format!("paced at {}/s", options.rate), &clock, start, end);
    shutdown.cancel();
    tokio::time::sleep(Duration::from_millis(200)).await;

    database
        .db
        .execute_unprepared("CREATE TABLE things (id BIGINT NOT NULL, note TEXT NOT NULL)")
        .await?;
    for with_event in [false, true] {
        let start = Instant::now();
        let writers: Vec<_> = (0..options.writers)
            .map(|w| {
                let db = database.db.clone();
                let share = options.events / options.writers;
                tokio::spawn(async move {
                    for n in w * share..(w + 1) * share {
                        let txn = begin_write(&db).await.expect("begins");
                        txn.execute_unprepared(&format!(
                            "INSERT INTO things (id, note) VALUES ({n}, 'x')"
                        ))
                        .await
                        .expect("inserts");
                        if with_event {
                            let event = Ticked {
                                thing_id: format!("thing-{}", n % 1000),
                                n,
                            };
                            Outbox::append(&txn, &event).await.expect("appends");
                        }
                        txn.commit().await.expect("commits");
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.await?;
        }
        let elapsed = start.elapsed();
        println!(
            "one-row transactions {} an event (relay stopped): {:.0}/s, {:.2} ms each per writer",
            if with_event { "with" } else { "without" },
            options.events as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64() * 1000.0 * options.writers as f64 / options.events as f64,
        );
    }
    Ok(())
}
