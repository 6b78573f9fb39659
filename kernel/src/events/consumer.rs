//! Consumers and the task that feeds them: from a Redis consumer group, or from the
//! in-process bus, with the same [`Consumer`] code.

use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::bus::Delivery;
use super::redis_streams::{Entry, GroupReader, RedisStreams};
use super::{Envelope, Transport};

/// Code that reacts to one domain's events. It must tolerate redeliveries: an event can
/// arrive again after a crash or a failed acknowledgement (see [`super::apply_once`]).
#[async_trait]
pub trait Consumer: Send + Sync + 'static {
    /// The stream it reads and how instances share it.
    fn subscription(&self) -> Subscription;

    /// Applies one event. An error leaves the event to be delivered again later; events of
    /// types the consumer does not know should be skipped with `Ok(())`.
    async fn handle(&self, event: &Envelope) -> anyhow::Result<()>;
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The consumer group's name, stable across restarts (`catalog-cache`, `search-index`).
    pub group: String,
    /// The domain whose stream it reads.
    pub domain: String,
    pub fan_out: FanOut,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FanOut {
    /// Each event goes to one instance of the group; a new group starts at the oldest event
    /// the stream keeps. For effects in a database (with [`super::apply_once`]).
    Shared,
    /// Every running instance gets every event published after it started, in a group of
    /// its own that it removes when it stops. For state held in the process, such as an
    /// in-memory cache.
    EveryInstance,
}

/// Batching, blocking and redelivery settings of a consumer task.
#[derive(Debug, Clone)]
pub struct ConsumerOptions {
    /// Entries read at once.
    pub batch: usize,
    /// How long a read waits for new entries (Redis) before checking for shutdown.
    pub block: Duration,
    /// An entry pending this long in the group is taken over (its consumer died or failed).
    pub reclaim_idle: Duration,
    /// How often pending entries are looked for.
    pub reclaim_every: Duration,
    /// Deliveries after which an event that keeps failing is set aside (logged, and kept in
    /// the `:dead` stream on Redis) so that the rest flows.
    pub max_deliveries: usize,
    /// First pause before retrying after an error (doubled up to 30 s).
    pub retry_delay: Duration,
    /// An `EveryInstance` group whose instance has not shown it is alive for this long
    /// belongs to an instance that died; the next instance to start removes it.
    pub stale_after: Duration,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        Self {
            batch: 100,
            block: Duration::from_secs(2),
            reclaim_idle: Duration::from_secs(30),
            reclaim_every: Duration::from_secs(10),
            max_deliveries: 10,
            retry_delay: Duration::from_millis(100),
            stale_after: Duration::from_secs(300),
        }
    }
}

const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// Starts `consumer` on `transport` until `shutdown`. On the in-process bus it has joined its
/// group when this returns, so events published from then on reach it.
pub fn spawn_consumer(
    transport: &Transport,
    consumer: Arc<dyn Consumer>,
    options: ConsumerOptions,
    shutdown: CancellationToken,
) -> JoinHandle<()> {
    let subscription = consumer.subscription();
    let instance = Uuid::new_v4().simple().to_string();
    let group = match subscription.fan_out {
        FanOut::Shared => subscription.group.clone(),
        FanOut::EveryInstance => format!("{}.{instance}", subscription.group),
    };
    let runner = Runner {
        consumer,
        options,
        shutdown,
        group,
        instance,
        subscription,
    };
    match transport {
        Transport::InProcess(bus) => {
            let deliveries = bus.subscribe(&runner.subscription.domain, &runner.group);
            tokio::spawn(runner.run_in_process(deliveries))
        }
        Transport::Redis(streams) => tokio::spawn(runner.run_redis(streams.clone())),
    }
}

struct Runner {
    consumer: Arc<dyn Consumer>,
    options: ConsumerOptions,
    shutdown: CancellationToken,
    group: String,
    instance: String,
    subscription: Subscription,
}

impl Runner {
    async fn run_in_process(self, mut deliveries: mpsc::Receiver<Delivery>) {
        loop {
            let delivery = tokio::select! {
                () = self.shutdown.cancelled() => return,
                delivery = deliveries.recv() => match delivery {
                    Some(delivery) => delivery,
                    None => return,
                },
            };
            for event in delivery.events.iter() {
                if !self.handle_with_retries(event).await {
                    // Stopped mid-batch: the relay publishes the batch again.
                    return;
                }
            }
            let _ = delivery.done.send(());
        }
    }

    /// Handles one in-process event, retrying failures; false when shutdown interrupted.
    async fn handle_with_retries(&self, event: &Envelope) -> bool {
        let mut delay = self.options.retry_delay;
        for attempt in 1..=self.options.max_deliveries {
            match self.consumer.handle(event).await {
                Ok(()) => return true,
                Err(error) if attempt == self.options.max_deliveries => {
                    self.give_up(event, &error);
                    return true;
                }
                Err(error) => {
                    tracing::warn!(group = self.group, event = %event.id, attempt, error = format!("{error:#}"), "event handling failed; retrying");
                }
            }
            if !self.pause(&mut delay).await {
                return false;
            }
        }
        true
    }

    fn give_up(&self, event: &Envelope, error: &anyhow::Error) {
        tracing::error!(
            group = self.group,
            event = %event.id,
            event_type = event.event_type,
            aggregate = event.aggregate_id,
            error = format!("{error:#}"),
            "event set aside after {} failed deliveries",
            self.options.max_deliveries
        );
    }

    /// Sleeps `delay` (then doubles it); false when shutdown came first.
    async fn pause(&self, delay: &mut Duration) -> bool {
        let slept = tokio::select! {
            () = self.shutdown.cancelled() => false,
            () = tokio::time::sleep(*delay) => true,
        };
        *delay = (*delay * 2).min(MAX_RETRY_DELAY);
        slept
    }

    async fn run_redis(self, streams: RedisStreams) {
        let mut delay = self.options.retry_delay;
        loop {
            match self.join(&streams).await {
                Ok(mut reader) => {
                    let stopped = self.serve(&mut reader).await;
                    if stopped {
                        self.leave(&mut reader).await;
                        return;
                    }
                }
                Err(error) => {
                    tracing::warn!(
                        group = self.group,
                        error = format!("{error:#}"),
                        "joining the event stream failed; retrying"
                    );
                }
            }
            if !self.pause(&mut delay).await {
                return;
            }
        }
    }

    async fn join(&self, streams: &RedisStreams) -> anyhow::Result<GroupReader> {
        let start = match self.subscription.fan_out {
            FanOut::Shared => "0",
            FanOut::EveryInstance => "$",
        };
        let alone = self.subscription.fan_out == FanOut::EveryInstance;
        let mut reader = GroupReader::join(
            streams,
            &self.subscription.domain,
            &self.group,
            &self.instance,
            start,
            self.options.block,
            alone.then_some(self.options.stale_after),
        )
        .await?;
        if alone && let Err(error) = reader.prune_stale_groups(&self.subscription.group).await {
            tracing::debug!(
                group = self.group,
                error = format!("{error:#}"),
                "could not look for stopped instances' groups"
            );
        }
        Ok(reader)
    }

    /// Reads, handles and acknowledges until shutdown (true) or a Redis error (false).
    async fn serve(&self, reader: &mut GroupReader) -> bool {
        let mut last_reclaim: Option<Instant> = None;
        let mut last_beat = Instant::now();
        loop {
            if self.shutdown.is_cancelled() {
                return true;
            }
            if self.subscription.fan_out == FanOut::EveryInstance
                && last_beat.elapsed() >= self.options.stale_after / 4
            {
                last_beat = Instant::now();
                if let Err(error) = reader.beat(self.options.stale_after).await {
                    tracing::warn!(
                        group = self.group,
                        error = format!("{error:#}"),
                        "marking the group alive failed"
                    );
                    return false;
                }
            }
            if last_reclaim.is_none_or(|at| at.elapsed() >= self.options.reclaim_every) {
                last_reclaim = Some(Instant::now());
                if let Err(error) = self.reclaim(reader).await {
                    tracing::warn!(
                        group = self.group,
                        error = format!("{error:#}"),
                        "reclaiming pending events failed"
                    );
                    return false;
                }
            }
            let entries = tokio::select! {
                () = self.shutdown.cancelled() => return true,
                entries = reader.read_new(self.options.batch) => entries,
            };
            let result = match entries {
                Ok(entries) => self.handle_entries(reader, entries).await,
                Err(error) => Err(error),
            };
            if let Err(error) = result {
                tracing::warn!(
                    group = self.group,
                    error = format!("{error:#}"),
                    "reading events failed"
                );
                return false;
            }
        }
    }

    /// Handles entries in order and acknowledges those handled; failures stay pending and
    /// come back through the reclaim.
    async fn handle_entries(
        &self,
        reader: &mut GroupReader,
        entries: Vec<Entry>,
    ) -> anyhow::Result<()> {
        let mut handled = Vec::with_capacity(entries.len());
        for entry in entries {
            match &entry.envelope {
                Ok(event) => match self.consumer.handle(event).await {
                    Ok(()) => handled.push(entry.id),
                    Err(error) => {
                        tracing::warn!(group = self.group, event = %event.id, error = format!("{error:#}"), "event handling failed; it stays pending");
                    }
                },
                Err(reason) => {
                    tracing::error!(
                        group = self.group,
                        entry = entry.id,
                        reason,
                        "unreadable event entry set aside"
                    );
                    reader.bury(&entry, reason).await?;
                }
            }
        }
        reader.ack(&handled).await
    }

    async fn reclaim(&self, reader: &mut GroupReader) -> anyhow::Result<()> {
        let claimed = reader
            .reclaim(self.options.reclaim_idle, self.options.batch)
            .await?;
        let mut retry = Vec::with_capacity(claimed.len());
        for (entry, deliveries) in claimed {
            if deliveries > self.options.max_deliveries {
                if let Ok(event) = &entry.envelope {
                    self.give_up(event, &anyhow::anyhow!("delivered {deliveries} times"));
                }
                reader.bury(&entry, "too many deliveries").await?;
            } else {
                retry.push(entry);
            }
        }
        if !retry.is_empty() {
            tracing::debug!(
                group = self.group,
                count = retry.len(),
                "handling reclaimed events"
            );
        }
        self.handle_entries(reader, retry).await
    }

    /// A group of this instance alone is removed as it stops; a shared group stays.
    async fn leave(&self, reader: &mut GroupReader) {
        if self.subscription.fan_out == FanOut::EveryInstance
            && let Err(error) = reader.destroy_group().await
        {
            tracing::debug!(
                group = self.group,
                error = format!("{error:#}"),
                "could not remove the instance's group"
            );
        }
    }
}
