//! Redis Streams: one stream per domain (`<namespace>:<domain>`), each entry one envelope as
//! JSON in the field `envelope`. Consumers read through consumer groups (`XREADGROUP`),
//! acknowledge what they handled (`XACK`), and take over entries another consumer of their
//! group left pending for too long (`XAUTOCLAIM`); an entry delivered too often goes to
//! `<namespace>:<domain>:dead` and is acknowledged, so one bad event cannot stall a group.
//! A group of one instance keeps `<stream>:alive:<group>` alive while it runs; a group whose
//! key expired belongs to a killed instance, and the next instance to start removes it.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use redis::aio::MultiplexedConnection;
use redis::streams::{
    StreamAutoClaimReply, StreamId, StreamInfoGroupsReply, StreamPendingCountReply,
    StreamReadOptions, StreamReadReply,
};
use redis::{AsyncConnectionConfig, Client};

use super::Envelope;
use commerce_redis_link::LazyRedis;

/// The entry field holding the envelope.
const FIELD: &str = "envelope";
/// Entries a stream keeps (approximately): enough for consumers that were down for a while,
/// bounded so that a stream nobody reads cannot fill Redis.
const MAX_LEN: usize = 1_000_000;

/// How long publishing a batch may take.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Clone)]
pub struct RedisStreams {
    client: Client,
    /// Connected on first publish: a Redis that is down leaves events in the outbox (the
    /// relay retries) instead of stopping the subgraph from starting.
    publisher: Arc<LazyRedis>,
    namespace: String,
}

impl RedisStreams {
    /// Fails only on an invalid URL; Redis itself is reached when first used.
    pub async fn connect(url: &str, namespace: &str) -> anyhow::Result<Self> {
        let publisher = LazyRedis::open(url, "events", PUBLISH_TIMEOUT, 1)?;
        Ok(Self {
            client: publisher.client().clone(),
            publisher: Arc::new(publisher),
            namespace: namespace.to_owned(),
        })
    }

    /// The stream of `domain`'s events.
    pub fn stream_key(&self, domain: &str) -> String {
        format!("{}:{domain}", self.namespace)
    }

    /// Appends the batch with one round trip (a pipeline of `XADD`s, in order).
    pub(crate) async fn publish(&self, domain: &str, events: &[Envelope]) -> anyhow::Result<()> {
        let key = self.stream_key(domain);
        let mut pipe = redis::pipe();
        for event in events {
            let json = serde_json::to_string(event).context("serializing an envelope")?;
            pipe.cmd("XADD")
                .arg(&key)
                .arg("MAXLEN")
                .arg("~")
                .arg(MAX_LEN)
                .arg("*")
                .arg(FIELD)
                .arg(json)
                .ignore();
        }
        let mut connection = self
            .publisher
            .connection()
            .await
            .context("Redis is unreachable")?;
        pipe.query_async::<()>(&mut connection)
            .await
            .with_context(|| format!("publishing {} events to {key}", events.len()))
    }

    /// A connection of its own for one consumer: a blocking read holds its connection.
    async fn dedicated(&self, block: Duration) -> anyhow::Result<MultiplexedConnection> {
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Duration::from_secs(5))
            .set_response_timeout(block + Duration::from_secs(5));
        self.client
            .get_multiplexed_async_connection_with_config(&config)
            .await
            .context("connecting to Redis")
    }
}

/// One stream entry: its id and the envelope, or why it could not be read.
pub(crate) struct Entry {
    pub id: String,
    pub envelope: Result<Envelope, String>,
}

impl From<StreamId> for Entry {
    fn from(entry: StreamId) -> Self {
        let envelope = match entry.get::<String>(FIELD) {
            Some(json) => serde_json::from_str(&json).map_err(|error| error.to_string()),
            None => Err(format!("no {FIELD} field")),
        };
        Self {
            id: entry.id,
            envelope,
        }
    }
}

/// One consumer of a consumer group on one stream.
pub(crate) struct GroupReader {
    connection: MultiplexedConnection,
    key: String,
    dead_key: String,
    group: String,
    consumer: String,
    block: Duration,
}

impl GroupReader {
    /// Joins `group` (creating it and the stream if needed; a new group starts at `start`:
    /// `0` for the whole stream, `$` for new entries only). A group of one instance passes
    /// `heartbeat`: it is marked alive for that long, and must `beat` again before it ends.
    pub async fn join(
        streams: &RedisStreams,
        domain: &str,
        group: &str,
        consumer: &str,
        start: &str,
        block: Duration,
        heartbeat: Option<Duration>,
    ) -> anyhow::Result<Self> {
        let mut connection = streams.dedicated(block).await?;
        let key = streams.stream_key(domain);
        if let Some(ttl) = heartbeat {
            // Alive before it exists, so that no other instance takes it for a dead one.
            let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
            redis::cmd("SET")
                .arg(alive_key(&key, group))
                .arg(1)
                .arg("PX")
                .arg(millis)
                .query_async::<()>(&mut connection)
                .await
                .with_context(|| format!("marking group {group} alive"))?;
        }
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&key)
            .arg(group)
            .arg(start)
            .arg("MKSTREAM")
            .query_async(&mut connection)
            .await;
        match created {
            Ok(()) => {}
            Err(error) if error.code() == Some("BUSYGROUP") => {}
            Err(error) => {
                return Err(error).with_context(|| format!("creating group {group} on {key}"));
            }
        }
        Ok(Self {
            connection,
            dead_key: format!("{key}:dead"),
            key,
            group: group.to_owned(),
            consumer: consumer.to_owned(),
            block,
        })
    }

    /// New entries for this consumer, waiting up to the block time for some.
    pub async fn read_new(&mut self, count: usize) -> anyhow::Result<Vec<Entry>> {
        let block = usize::try_from(self.block.as_millis()).unwrap_or(usize::MAX);
        let options = StreamReadOptions::default()
            .group(&self.group, &self.consumer)
            .count(count)
            .block(block);
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg(&options)
            .arg("STREAMS")
            .arg(&self.key)
            .arg(">")
            .query_async(&mut self.connection)
            .await
            .with_context(|| format!("reading {} as {}", self.key, self.group))?;
        Ok(reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids)
            .map(Entry::from)
            .collect())
    }

    /// Takes over up to `count` entries pending longer than `min_idle` in the group (left by a
    /// consumer that died, or failed here), with how often each was delivered so far.
    pub async fn reclaim(
        &mut self,
        min_idle: Duration,
        count: usize,
    ) -> anyhow::Result<Vec<(Entry, usize)>> {
        let idle = u64::try_from(min_idle.as_millis()).unwrap_or(u64::MAX);
        let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(&self.key)
            .arg(&self.group)
            .arg(&self.consumer)
            .arg(idle)
            .arg("0-0")
            .arg("COUNT")
            .arg(count)
            .query_async(&mut self.connection)
            .await
            .with_context(|| format!("reclaiming pending entries of {}", self.key))?;
        // Entries trimmed from the stream while pending are gone: nothing left to handle.
        if !reply.deleted_ids.is_empty() {
            self.ack(&reply.deleted_ids).await?;
        }
        let (Some(first), Some(last)) = (reply.claimed.first(), reply.claimed.last()) else {
            return Ok(Vec::new());
        };
        let pending: StreamPendingCountReply = redis::cmd("XPENDING")
            .arg(&self.key)
            .arg(&self.group)
            .arg(&first.id)
            .arg(&last.id)
            .arg(reply.claimed.len())
            .arg(&self.consumer)
            .query_async(&mut self.connection)
            .await
            .with_context(|| format!("reading delivery counts of {}", self.key))?;
        Ok(reply
            .claimed
            .into_iter()
            .map(|entry| {
                let deliveries = pending
                    .ids
                    .iter()
                    .find(|p| p.id == entry.id)
                    .map_or(1, |p| p.times_delivered);
                (Entry::from(entry), deliveries)
            })
            .collect())
    }

    pub async fn ack(&mut self, ids: &[String]) -> anyhow::Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        redis::cmd("XACK")
            .arg(&self.key)
            .arg(&self.group)
            .arg(ids)
            .query_async::<()>(&mut self.connection)
            .await
            .with_context(|| format!("acknowledging entries of {}", self.key))
    }

    /// Moves an entry that keeps failing to the dead-letter stream, then acknowledges it.
    pub async fn bury(&mut self, entry: &Entry, reason: &str) -> anyhow::Result<()> {
        let envelope = match &entry.envelope {
            Ok(envelope) => serde_json::to_string(envelope).unwrap_or_default(),
            Err(error) => error.clone(),
        };
        redis::cmd("XADD")
            .arg(&self.dead_key)
            .arg("MAXLEN")
            .arg("~")
            .arg(MAX_LEN)
            .arg("*")
            .arg("group")
            .arg(&self.group)
            .arg("entry")
            .arg(&entry.id)
            .arg("reason")
            .arg(reason)
            .arg(FIELD)
            .arg(envelope)
            .query_async::<()>(&mut self.connection)
            .await
            .with_context(|| format!("dead-lettering an entry of {}", self.key))?;
        self.ack(std::slice::from_ref(&entry.id)).await
    }

    /// Marks this consumer's group alive for `ttl` (a group of one instance: see
    /// [`Self::prune_stale_groups`]).
    pub async fn beat(&mut self, ttl: Duration) -> anyhow::Result<()> {
        let millis = u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1);
        redis::cmd("SET")
            .arg(alive_key(&self.key, &self.group))
            .arg(1)
            .arg("PX")
            .arg(millis)
            .query_async::<()>(&mut self.connection)
            .await
            .with_context(|| format!("marking group {} alive", self.group))
    }

    /// Removes the other groups named `<prefix>.<anything>` whose instance stopped beating
    /// (a killed process never removes its own group). Returns how many it removed.
    pub async fn prune_stale_groups(&mut self, prefix: &str) -> anyhow::Result<usize> {
        let groups: StreamInfoGroupsReply = redis::cmd("XINFO")
            .arg("GROUPS")
            .arg(&self.key)
            .query_async(&mut self.connection)
            .await
            .with_context(|| format!("listing the groups of {}", self.key))?;
        let mut removed = 0;
        for group in groups.groups {
            let ours = group
                .name
                .strip_prefix(prefix)
                .is_some_and(|rest| rest.starts_with('.'));
            if !ours || group.name == self.group {
                continue;
            }
            let alive: bool = redis::cmd("EXISTS")
                .arg(alive_key(&self.key, &group.name))
                .query_async(&mut self.connection)
                .await
                .with_context(|| format!("checking group {}", group.name))?;
            if !alive {
                redis::cmd("XGROUP")
                    .arg("DESTROY")
                    .arg(&self.key)
                    .arg(&group.name)
                    .query_async::<()>(&mut self.connection)
                    .await
                    .with_context(|| format!("removing the stale group {}", group.name))?;
                tracing::info!(
                    group = group.name,
                    stream = self.key,
                    "removed a stopped instance's event group"
                );
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Removes the group and its mark (for a group only this consumer ever reads).
    pub async fn destroy_group(&mut self) -> anyhow::Result<()> {
        redis::pipe()
            .cmd("XGROUP")
            .arg("DESTROY")
            .arg(&self.key)
            .arg(&self.group)
            .ignore()
            .cmd("DEL")
            .arg(alive_key(&self.key, &self.group))
            .ignore()
            .query_async::<()>(&mut self.connection)
            .await
            .with_context(|| format!("removing group {} of {}", self.group, self.key))
    }
}

/// The key that says a one-instance group's instance is running.
fn alive_key(stream: &str, group: &str) -> String {
    format!("{stream}:alive:{group}")
}
