//! In-process delivery for the embedded default (no Redis): the relay hands each batch to one
//! member of every consumer group subscribed to the domain's stream and waits until each has
//! handled it, so the outbox rows are marked published only once applied. Events published
//! while no group is subscribed are not kept (as with a Redis Stream nobody reads).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use tokio::sync::{mpsc, oneshot};

use super::Envelope;

/// Batches a member may have queued before the relay waits for it.
const QUEUE: usize = 16;

/// One batch handed to one consumer; `done` is sent once every event was handled.
pub(crate) struct Delivery {
    pub events: Arc<[Envelope]>,
    pub done: oneshot::Sender<()>,
}

#[derive(Default)]
pub struct Bus {
    /// stream → group → members (round-robin).
    streams: Mutex<HashMap<String, HashMap<String, Group>>>,
}

#[derive(Default)]
struct Group {
    members: Vec<mpsc::Sender<Delivery>>,
    next: usize,
}

impl Bus {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// The bus of the process for `key` (the database location): every subgraph state of one
    /// process built on the same databases shares it, as instances share one Redis.
    pub fn shared(key: &str) -> Arc<Self> {
        static BUSES: OnceLock<Mutex<HashMap<String, Weak<Bus>>>> = OnceLock::new();
        let mut buses = BUSES
            .get_or_init(Mutex::default)
            .lock()
            .expect("bus registry poisoned");
        buses.retain(|_, bus| bus.strong_count() > 0);
        if let Some(bus) = buses.get(key).and_then(Weak::upgrade) {
            return bus;
        }
        let bus = Self::new();
        buses.insert(key.to_owned(), Arc::downgrade(&bus));
        bus
    }

    /// Joins `group` on `stream`; the receiver gets this member's share of the batches.
    pub(crate) fn subscribe(&self, stream: &str, group: &str) -> mpsc::Receiver<Delivery> {
        let (sender, receiver) = mpsc::channel(QUEUE);
        let mut streams = self.streams.lock().expect("bus poisoned");
        let groups = streams.entry(stream.to_owned()).or_default();
        groups
            .entry(group.to_owned())
            .or_default()
            .members
            .push(sender);
        receiver
    }

    /// Delivers `events` to one member of each group and waits until all have handled them.
    /// Fails when a member stopped before finishing (the relay publishes the batch again).
    pub(crate) async fn publish(&self, stream: &str, events: &[Envelope]) -> anyhow::Result<()> {
        let events: Arc<[Envelope]> = events.into();
        let mut pending = Vec::new();
        for member in self.pick_members(stream) {
            let (done, finished) = oneshot::channel();
            let delivery = Delivery {
                events: events.clone(),
                done,
            };
            // A member that stopped since it was picked: skip it, as if it had left first.
            if member.send(delivery).await.is_ok() {
                pending.push(finished);
            }
        }
        for finished in pending {
            finished
                .await
                .map_err(|_| anyhow::anyhow!("a consumer of {stream} stopped mid-batch"))?;
        }
        Ok(())
    }

    /// The next live member of every group of `stream`, dropping members that stopped.
    fn pick_members(&self, stream: &str) -> Vec<mpsc::Sender<Delivery>> {
        let mut streams = self.streams.lock().expect("bus poisoned");
        let Some(groups) = streams.get_mut(stream) else {
            return Vec::new();
        };
        groups.retain(|_, group| {
            group.members.retain(|member| !member.is_closed());
            !group.members.is_empty()
        });
        groups
            .values_mut()
            .map(|group| {
                let member = group.members[group.next % group.members.len()].clone();
                group.next = group.next.wrapping_add(1);
                member
            })
            .collect()
    }
}
