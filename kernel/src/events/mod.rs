//! Domain events, generic over the domains: a transactional outbox per domain database, a
//! relay per domain that publishes it, and consumers that apply each event once.
//!
//! ```text
//! service txn ──Outbox::append──▶ event_outbox ──Relay──▶ Redis Stream <ns>:<domain> ──▶ consumers
//!   (same commit as the change)      (claimed in order,    or, without Redis, the
//!                                     marked published)     in-process Bus
//! ```
//!
//! - An event is a row written in the transaction of the change it describes, so an event is
//!   never lost and never published for a change that rolled back ([`Outbox`]).
//! - The [`Relay`] publishes unpublished rows in order, in bounded batches, and stamps them
//!   published; several instances may run one (PostgreSQL rows are claimed with
//!   `FOR UPDATE SKIP LOCKED`, and a row waits while an earlier row of its aggregate is
//!   unpublished, so an aggregate's events reach the stream in sequence order). On SQLite one
//!   process owns the database, so one relay runs.
//! - Delivery is at least once: with `redis_url`, one Redis Stream per domain with consumer
//!   groups, acknowledgements and `XAUTOCLAIM` of entries a dead consumer left pending;
//!   without it, the in-process [`Bus`], which waits for every group to finish a batch before
//!   the relay marks it published. The same [`Consumer`] code runs on both.
//! - Consumers that write to a database apply each event once with [`apply_once`] (the
//!   `processed_events` row is written in the consumer's transaction).
//!
//! Event types and payloads belong to the domains (a struct implementing [`Event`] in the
//! domain's `domain/events.rs`); `docs/events.md` documents the envelope and every payload.

mod bus;
mod consumer;
mod live;
mod outbox;
mod processed;
mod redis_streams;
mod relay;
mod transport;

use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use bus::Bus;
pub use consumer::{Consumer, ConsumerOptions, FanOut, Subscription, spawn_consumer};
pub use live::LiveEvents;
pub use outbox::{NewEvent, Outbox};
pub use processed::{already_applied, apply_once};
pub use redis_streams::RedisStreams;
pub use relay::{Relay, RelayOptions};
pub use transport::Transport;

/// What every published event carries, whatever its type. Serialized as JSON with camelCase
/// keys; consumers ignore fields they do not know, so fields can be added.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Envelope {
    /// Unique per event (UUIDv7); consumers deduplicate by it.
    pub id: Uuid,
    /// `<domain>.<what happened>`, e.g. `catalog.product_changed`.
    #[serde(rename = "type")]
    pub event_type: String,
    /// The payload's schema version within its type; a breaking change is a new version.
    pub version: u32,
    /// The entity the event is about (a global id).
    pub aggregate_id: String,
    /// 1, 2, 3, ... per aggregate, in commit order.
    pub sequence: i64,
    /// When the change was written (microsecond precision).
    pub time: DateTime<Utc>,
    pub payload: serde_json::Value,
}

impl Envelope {
    /// The payload as `E` when this envelope is of `E`'s type and version; `None` otherwise.
    pub fn decode<E: Event + DeserializeOwned>(&self) -> Option<anyhow::Result<E>> {
        (self.event_type == E::TYPE && self.version == E::VERSION).then(|| {
            serde_json::from_value(self.payload.clone()).map_err(|error| {
                anyhow::anyhow!(
                    "event {} has an unreadable {} payload: {error}",
                    self.id,
                    E::TYPE
                )
            })
        })
    }

    /// The domain (and stream) the event belongs to: its type up to the first dot.
    pub fn domain(&self) -> &str {
        self.event_type
            .split_once('.')
            .map_or(self.event_type.as_str(), |(domain, _)| domain)
    }
}

/// A domain event's payload: its type name, version and aggregate.
pub trait Event: Serialize {
    /// `<domain>.<what happened>`; the domain part names the stream it is published on.
    const TYPE: &'static str;
    const VERSION: u32;
    /// The global id of the entity the event is about; events of one aggregate are numbered
    /// and delivered in order.
    fn aggregate_id(&self) -> String;
}

/// The current time at the outbox's precision (microseconds), so an envelope read back from
/// the database equals the one returned by `append`.
pub(crate) fn now_micros() -> DateTime<Utc> {
    let micros = Utc::now().timestamp_micros();
    DateTime::from_timestamp_micros(micros).expect("the current time is in range")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Renamed {
        thing_id: String,
    }

    impl Event for Renamed {
        const TYPE: &'static str = "things.renamed";
        const VERSION: u32 = 2;
        fn aggregate_id(&self) -> String {
            self.thing_id.clone()
        }
    }

    fn envelope(event_type: &str, version: u32) -> Envelope {
        Envelope {
            id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            version,
            aggregate_id: "t1".to_owned(),
            sequence: 1,
            time: now_micros(),
            payload: serde_json::json!({ "thingId": "t1" }),
        }
    }

    #[test]
    fn decodes_only_its_own_type_and_version() {
        let event = envelope("things.renamed", 2);
        let decoded = event
            .decode::<Renamed>()
            .expect("same type")
            .expect("readable");
        assert_eq!(decoded.thing_id, "t1");
        assert!(envelope("things.renamed", 1).decode::<Renamed>().is_none());
        assert!(envelope("things.deleted", 2).decode::<Renamed>().is_none());
        assert_eq!(event.domain(), "things");
    }

    #[test]
    fn serializes_with_the_documented_field_names() {
        let event = envelope("things.renamed", 2);
        let json = serde_json::to_value(&event).expect("serializes");
        let mut keys: Vec<&str> = json
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(
            keys,
            [
                "aggregateId",
                "id",
                "payload",
                "sequence",
                "time",
                "type",
                "version"
            ]
        );
        let back: Envelope = serde_json::from_value(json).expect("deserializes");
        assert_eq!(back, event);
    }
}
