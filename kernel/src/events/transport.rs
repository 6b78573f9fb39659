//! Where the relay publishes and consumers read: Redis Streams when `redis_url` is set, the
//! in-process [`Bus`] otherwise.

use std::sync::Arc;

use anyhow::Context;

use super::Envelope;
use super::bus::Bus;
use super::redis_streams::RedisStreams;
use crate::config::Config;

#[derive(Clone)]
pub enum Transport {
    Redis(RedisStreams),
    InProcess(Arc<Bus>),
}

impl Transport {
    /// Redis Streams named `<events_namespace>:<domain>` when `redis_url` is set; otherwise
    /// the process's bus for this configuration's databases.
    pub async fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.redis_url {
            Some(url) => Ok(Self::Redis(
                RedisStreams::connect(url, &config.events_namespace)
                    .await
                    .context("the Redis for events")?,
            )),
            None => {
                let key = match &config.database_url {
                    Some(url) => url.clone(),
                    None => std::path::absolute(&config.data_dir)
                        .unwrap_or_else(|_| config.data_dir.clone())
                        .display()
                        .to_string(),
                };
                Ok(Self::InProcess(Bus::shared(&key)))
            }
        }
    }

    /// Redis Streams under `namespace` (tests give each their own).
    pub async fn redis(url: &str, namespace: &str) -> anyhow::Result<Self> {
        Ok(Self::Redis(RedisStreams::connect(url, namespace).await?))
    }

    pub(crate) async fn publish(&self, domain: &str, events: &[Envelope]) -> anyhow::Result<()> {
        match self {
            Self::Redis(redis) => redis.publish(domain, events).await,
            Self::InProcess(bus) => bus.publish(domain, events).await,
        }
    }

    /// `redis` or `in-process`, for logs.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Redis(_) => "redis",
            Self::InProcess(_) => "in-process",
        }
    }
}
