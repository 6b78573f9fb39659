//! Domain events in tests: a consumer that records what it receives, and the events a
//! domain's outbox holds, published the way the relay publishes them.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use commerce_kernel::events::{
    Bus, Consumer, ConsumerOptions, Envelope, FanOut, Relay, Subscription, Transport,
    spawn_consumer,
};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

/// Records every event of one domain's stream, in arrival order.
pub struct Recorder {
    domain: String,
    seen: Mutex<Vec<Envelope>>,
}

impl Recorder {
    pub fn new(domain: &str) -> Arc<Self> {
        Arc::new(Self {
            domain: domain.to_owned(),
            seen: Mutex::default(),
        })
    }

    pub fn seen(&self) -> Vec<Envelope> {
        self.seen.lock().expect("not poisoned").clone()
    }

    /// Waits until at least `count` events arrived; panics after `limit`.
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Envelope> {
        let deadline = Instant::now() + limit;
        loop {
            let seen = self.seen();
            if seen.len() >= count {
                return seen;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} events arrived",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

#[async_trait]
impl Consumer for Recorder {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: "test-recorder".to_owned(),
            domain: self.domain.clone(),
            fan_out: FanOut::Shared,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        self.seen.lock().expect("not poisoned").push(event.clone());
        Ok(())
    }
}

/// Publishes every event waiting in `domain`'s outbox (marking them published, as the relay
/// does) and returns them in the order a consumer receives them.
pub async fn publish_pending(db: &DatabaseConnection, domain: &str) -> Vec<Envelope> {
    let transport = Transport::InProcess(Bus::new());
    let recorder = Recorder::new(domain);
    let shutdown = CancellationToken::new();
    spawn_consumer(
        &transport,
        recorder.clone(),
        ConsumerOptions::default(),
        shutdown.clone(),
    );
    let relay = Relay::new(db.clone(), domain, transport);
    // The in-process relay returns once the recorder has handled the batch.
    while relay.publish_batch().await.expect("publishes the outbox") > 0 {}
    shutdown.cancel();
    recorder.seen()
}
