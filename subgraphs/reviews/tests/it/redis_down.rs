//! With `redis_url` naming a Redis that is down, the subgraph starts and serves reads and
//! writes (no shared cache); its events wait in the outbox and are relayed once Redis is up.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commerce_kernel::events::{
    Consumer, ConsumerOptions, Envelope, FanOut, Subscription, Transport, spawn_consumer,
};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::served::{RATING, SUBMIT, Served, review_of};
use crate::support::product;

/// A `redis-server` of this test, stopped when dropped.
struct RedisServer(Child);

impl RedisServer {
    fn start(port: u16) -> Self {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is installed");
        Self(child)
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Passes on every reviews event it reads.
struct Forward(mpsc::UnboundedSender<Envelope>);

#[async_trait]
impl Consumer for Forward {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "redis-down-test".to_owned(),
            domain: "reviews".to_owned(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        let _ = self.0.send(event.clone());
        Ok(())
    }
}

async fn unpublished(served: &Served) -> i64 {
    let db = served.state.service.db();
    let row = db
        .query_one(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM event_outbox WHERE published_at IS NULL",
        ))
        .await
        .expect("the outbox reads")
        .expect("a count");
    row.try_get("", "n").expect("a number")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_without_redis_and_relays_its_events_once_redis_is_up() {
    // A port nothing listens on, where Redis starts later.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let served = Served::start(|config| {
        config.redis_url = Some(format!("redis://127.0.0.1:{port}"));
        config.events_namespace = format!("redis-down-{port}");
    })
    .await;
    let transport = Transport::from_config(&served.config)
        .await
        .expect("the transport is made without Redis");
    let shutdown = CancellationToken::new();
    let _stop = shutdown.clone().drop_guard();
    commerce_reviews::spawn_cache_consumer(&served.state, &transport, shutdown.clone());
    commerce_reviews::spawn_events(&served.config, &transport, shutdown.clone())
        .await
        .expect("the relay starts without Redis");

    // Reads (the cache misses) and writes are served.
    let rating = served.post(RATING, json!({ "id": product(1) }), None).await;
    assert_eq!(
        rating["data"]["_entities"][0]["rating"]["count"], 0,
        "{rating}"
    );
    let token = served.customer_token(1);
    let submitted = served.post(SUBMIT, review_of(1), Some(&token)).await;
    assert_eq!(
        submitted["data"]["submitReview"]["__typename"], "Review",
        "{submitted}"
    );
    let again = served.post(RATING, json!({ "id": product(1) }), None).await;
    assert!(again.get("errors").is_none(), "{again}");

    // The event waits in the outbox while the relay cannot publish.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(unpublished(&served).await, 1);

    // Redis comes up: the relay publishes the event, and a consumer reads it from the stream.
    let _redis = RedisServer::start(port);
    let (sender, mut events) = mpsc::unbounded_channel();
    spawn_consumer(
        &transport,
        Arc::new(Forward(sender)),
        ConsumerOptions::default(),
        shutdown.clone(),
    );
    let event = tokio::time::timeout(Duration::from_secs(40), events.recv())
        .await
        .expect("the event arrives once Redis is up")
        .expect("an event");
    assert_eq!(event.event_type, "reviews.review_submitted");
    // The relay marks the row published after the stream took it: the consumer may be first.
    let mut left = unpublished(&served).await;
    for _ in 0..50 {
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = unpublished(&served).await;
    }
    assert_eq!(left, 0);
}
