//! Live events for GraphQL subscriptions: every instance receives its domain's events (a
//! [`FanOut::EveryInstance`] group) and hands each to the subscriptions the instance serves
//! through a `tokio::sync::broadcast` channel. Subscription resolvers filter the events they
//! care about and read the entity again, so an event is only a signal, never the answer.

use std::sync::Arc;

use async_trait::async_trait;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::{Consumer, ConsumerOptions, Envelope, FanOut, Subscription, Transport, spawn_consumer};

/// Events a subscriber may fall behind by before it is told it lagged
/// (`RecvError::Lagged`); it then reads its entity again instead of replaying each event.
const CAPACITY: usize = 1024;

/// One domain's events, broadcast to the subscriptions of this instance. Cheap to clone.
#[derive(Clone)]
pub struct LiveEvents {
    domain: Arc<str>,
    sender: broadcast::Sender<Arc<Envelope>>,
}

impl LiveEvents {
    /// The broadcast of `domain`'s events; nothing arrives until [`LiveEvents::spawn`].
    pub fn new(domain: &str) -> Self {
        Self {
            domain: domain.into(),
            sender: broadcast::channel(CAPACITY).0,
        }
    }

    /// The events published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Envelope>> {
        self.sender.subscribe()
    }

    /// Feeds the broadcast from `transport` until `shutdown` (a consumer group of this
    /// instance alone, `<domain>-live.<random>`). Start it once per instance.
    pub fn spawn(&self, transport: &Transport, shutdown: CancellationToken) -> JoinHandle<()> {
        spawn_consumer(
            transport,
            Arc::new(self.clone()),
            ConsumerOptions::default(),
            shutdown,
        )
    }
}

#[async_trait]
impl Consumer for LiveEvents {
    fn subscription(&self) -> Subscription {
        Subscription {
            group: format!("{}-live", self.domain),
            domain: self.domain.to_string(),
            fan_out: FanOut::EveryInstance,
        }
    }

    async fn handle(&self, event: &Envelope) -> anyhow::Result<()> {
        // No subscriber is not an error: the event simply has nobody to tell.
        let _ = self.sender.send(Arc::new(event.clone()));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Bus;

    #[tokio::test]
    async fn subscribers_receive_the_domains_events_published_on_the_bus() {
        let bus = Bus::new();
        let transport = Transport::InProcess(bus.clone());
        let live = LiveEvents::new("orders");
        let shutdown = CancellationToken::new();
        let task = live.spawn(&transport, shutdown.clone());
        let mut first = live.subscribe();
        let mut second = live.subscribe();
        let event = Envelope {
            id: uuid::Uuid::now_v7(),
            event_type: "orders.order_placed".into(),
            version: 1,
            aggregate_id: "T3JkZXI6MQ".into(),
            sequence: 1,
            time: crate::events::now_micros(),
            payload: serde_json::json!({}),
        };
        bus.publish("orders", std::slice::from_ref(&event))
            .await
            .expect("published");
        assert_eq!(*first.recv().await.expect("first"), event);
        assert_eq!(*second.recv().await.expect("second"), event);
        shutdown.cancel();
        task.await.expect("stopped");
    }
}
