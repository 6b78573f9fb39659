//! Webhook deliveries per second to a slow receiver, and the delay from an event's commit to
//! its delivery (p50/p95/p99), on PostgreSQL and Redis Streams.
//!
//! Run with (release; PostgreSQL and Redis from `scripts/services.sh`, or throwaway servers
//! started here when `TESTKIT_POSTGRES_URL` / `TESTKIT_REDIS_URL` are unset):
//!
//! ```text
//! source scripts/services.sh && start_services
//! cargo run --release -p commerce-webhooks --example webhooks_throughput -- \
//!     [--events 3000] [--aggregates 1000] [--writers 4] [--delay-ms 50] [--concurrency 32]
//!     [--rate 50]
//! ```
//!
//! A catalog database's outbox and relay publish `catalog.product_changed` events through
//! Redis Streams to the webhooks fan-in and worker (as in production, on their own database);
//! one endpoint subscribes, served by a local receiver that answers 204 after `--delay-ms`.
//! Two phases: a burst (`--writers` tasks commit `--events` one-event transactions over
//! `--aggregates` products as fast as they can), then a paced phase (`--rate` events per
//! second for 5 s). The delay runs from the writer's commit returning to the receiver getting
//! the request; deliveries per second count answered requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use commerce_kernel::config::WebhooksConfig;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::{Event, Outbox, Relay, Transport};
use commerce_testkit::{Backend, migrated_database};
use commerce_webhooks::domain::EndpointInput;
use commerce_webhooks::{AppState, Settings, WebhooksService};
use sea_orm::DatabaseConnection;
use serde::Serialize;
use tokio_util::sync::CancellationToken;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ProductChanged {
    product_id: String,
    change: &'static str,
    slugs: Vec<String>,
}

impl Event for ProductChanged {
    const TYPE: &'static str = "catalog.product_changed";
    const VERSION: u32 = 1;
    fn aggregate_id(&self) -> String {
        self.product_id.clone()
    }
}

struct Options {
    events: u64,
    aggregates: u64,
    writers: u64,
    delay: Duration,
    concurrency: usize,
    rate: u64,
}

fn options() -> Options {
    let mut options = Options {
        events: 3_000,
        aggregates: 1_000,
        writers: 4,
        delay: Duration::from_millis(50),
        concurrency: 32,
        rate: 50,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_default();
        let number = || value.parse::<u64>().expect("a number");
        match pair[0].as_str() {
            "--events" => options.events = number(),
            "--aggregates" => options.aggregates = number(),
            "--writers" => options.writers = number(),
            "--delay-ms" => options.delay = Duration::from_millis(number()),
            "--concurrency" => options.concurrency = usize::try_from(number()).expect("fits"),
            "--rate" => options.rate = number(),
            other => panic!("unknown option {other}"),
        }
    }
    options
}

/// When each event id was committed and when it reached the receiver (first time).
#[derive(Default)]
struct Clock {
    committed: Mutex<HashMap<String, Instant>>,
    arrived: Mutex<HashMap<String, Instant>>,
    answered: Mutex<u64>,
}

async fn receive(
    State((clock, delay)): State<(Arc<Clock>, Duration)>,
    headers: HeaderMap,
) -> StatusCode {
    let now = Instant::now();
    if let Some(id) = headers.get("webhook-id").and_then(|v| v.to_str().ok()) {
        clock
            .arrived
            .lock()
            .expect("not poisoned")
            .entry(id.to_owned())
            .or_insert(now);
    }
    tokio::time::sleep(delay).await;
    *clock.answered.lock().expect("not poisoned") += 1;
    StatusCode::NO_CONTENT
}

async fn commit(source: &DatabaseConnection, clock: &Clock, product: u64) {
    let txn = begin_write(source).await.expect("begins");
    let event = ProductChanged {
        product_id: format!("product-{product}"),
        change: "UPDATED",
        slugs: Vec::new(),
    };
    let envelope = Outbox::append(&txn, &event).await.expect("appends");
    txn.commit().await.expect("commits");
    clock
        .committed
        .lock()
        .expect("not poisoned")
        .insert(envelope.id.to_string(), Instant::now());
}

/// Delays (ms) of the events committed in `ids`, sorted.
fn delays(clock: &Clock, ids: &[String]) -> Vec<f64> {
    let committed = clock.committed.lock().expect("not poisoned");
    let arrived = clock.arrived.lock().expect("not poisoned");
    let mut delays: Vec<f64> = ids
        .iter()
        .filter_map(|id| {
            let arrived = arrived.get(id)?;
            let committed = committed.get(id)?;
            Some(arrived.saturating_duration_since(*committed).as_secs_f64() * 1000.0)
        })
        .collect();
    delays.sort_by(f64::total_cmp);
    delays
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn report(name: &str, delays: &[f64]) {
    println!(
        "{name}: commit → delivery p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms ({} events)",
        percentile(delays, 50.0),
        percentile(delays, 95.0),
        percentile(delays, 99.0),
        delays.last().copied().unwrap_or(f64::NAN),
        delays.len()
    );
}

async fn wait_for_arrivals(clock: &Clock, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(600);
    while clock.arrived.lock().expect("not poisoned").len() < count {
        assert!(Instant::now() < deadline, "deliveries stopped arriving");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::main]
async fn main() {
    let options = options();
    let webhooks =
        migrated_database::<commerce_migrations::webhooks::Migrator>(Backend::Postgres, "webhooks")
            .await;
    let source =
        migrated_database::<commerce_migrations::events::Migrator>(Backend::Postgres, "catalog")
            .await;
    let namespace = format!("bench{}", uuid::Uuid::new_v4().simple());
    let transport = Transport::redis(&commerce_testkit::redis_url().await, &namespace)
        .await
        .expect("Redis");
    let config = WebhooksConfig {
        concurrency: options.concurrency,
        poll_ms: 250,
        // The receiver listens on localhost.
        allow_private_targets: true,
        ..WebhooksConfig::default()
    };
    let state = AppState {
        service: WebhooksService::new(webhooks.db.clone(), Settings::from_config(&config)),
    };

    let clock = Arc::new(Clock::default());
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state((clock.clone(), options.delay));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    tokio::spawn(axum::serve(listener, app).into_future());
    let input = EndpointInput::parse(&url, &["catalog.product_changed".to_owned()], None)
        .expect("a valid endpoint");
    state
        .service
        .create_endpoint(&input)
        .await
        .expect("creates the endpoint");

    let shutdown = CancellationToken::new();
    commerce_webhooks::spawn_events(&state, &transport, shutdown.clone()).expect("starts");
    let relay_config = commerce_kernel::config::Config {
        db_max_connections: 3,
        ..source.config.config()
    };
    Relay::connect(&relay_config, "catalog", transport.clone())
        .await
        .expect("a relay")
        .spawn(shutdown.clone());
    println!(
        "receiver answers after {} ms; worker concurrency {}",
        options.delay.as_millis(),
        options.concurrency
    );

    // Burst.
    let started = Instant::now();
    let mut writers = Vec::new();
    for writer in 0..options.writers {
        let source = source.db.clone();
        let clock = clock.clone();
        let options = (options.events, options.writers, options.aggregates);
        writers.push(tokio::spawn(async move {
            let (events, writers, aggregates) = options;
            let mut n = writer;
            while n < events {
                commit(&source, &clock, n % aggregates).await;
                n += writers;
            }
        }));
    }
    for writer in writers {
        writer.await.expect("a writer");
    }
    let committed_in = started.elapsed();
    let burst = usize::try_from(options.events).expect("fits");
    wait_for_arrivals(&clock, burst).await;
    let delivered_in = started.elapsed();
    let ids: Vec<String> = clock
        .committed
        .lock()
        .expect("not poisoned")
        .keys()
        .cloned()
        .collect();
    println!(
        "burst: {} events committed in {:.2} s ({:.0}/s), delivered in {:.2} s: {:.0} deliveries/s",
        options.events,
        committed_in.as_secs_f64(),
        options.events as f64 / committed_in.as_secs_f64(),
        delivered_in.as_secs_f64(),
        options.events as f64 / delivered_in.as_secs_f64()
    );
    report("burst", &delays(&clock, &ids));

    // Paced.
    clock.committed.lock().expect("not poisoned").clear();
    let total = options.rate * 5;
    let interval = Duration::from_secs_f64(1.0 / options.rate as f64);
    let mut tick = tokio::time::interval(interval);
    for n in 0..total {
        tick.tick().await;
        commit(&source.db, &clock, n % options.aggregates).await;
    }
    let ids: Vec<String> = clock
        .committed
        .lock()
        .expect("not poisoned")
        .keys()
        .cloned()
        .collect();
    wait_for_arrivals(&clock, burst + ids.len()).await;
    report(&format!("paced {}/s", options.rate), &delays(&clock, &ids));
    shutdown.cancel();
}
