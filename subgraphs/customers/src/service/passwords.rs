//! argon2id off the async runtime: each hash runs on a blocking thread, and a semaphore caps
//! how many run at once so a burst of sign-ins cannot exhaust memory (19 MiB each by default).

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::domain::{HashingParams, Password, PasswordHasher};

pub struct Passwords {
    hasher: Arc<PasswordHasher>,
    permits: Semaphore,
}

impl Passwords {
    pub fn new(params: HashingParams) -> anyhow::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Ok(Self {
            hasher: Arc::new(PasswordHasher::new(params)?),
            permits: Semaphore::new(cores),
        })
    }

    pub async fn hash(&self, password: Password) -> anyhow::Result<String> {
        let _permit = self.permits.acquire().await?;
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || hasher.hash(&password)).await?
    }

    /// See [`PasswordHasher::verify`]: without a stored hash this costs the same and fails.
    pub async fn verify(&self, candidate: String, stored: Option<String>) -> anyhow::Result<bool> {
        let _permit = self.permits.acquire().await?;
        let hasher = self.hasher.clone();
        Ok(
            tokio::task::spawn_blocking(move || hasher.verify(&candidate, stored.as_deref()))
                .await?,
        )
    }

    /// A fresh hash of a just-verified password when `stored` uses outdated parameters.
    pub async fn upgrade(&self, verified: String, stored: &str) -> anyhow::Result<Option<String>> {
        if !self.hasher.needs_rehash(stored) {
            return Ok(None);
        }
        let _permit = self.permits.acquire().await?;
        let hasher = self.hasher.clone();
        tokio::task::spawn_blocking(move || hasher.rehash(&verified).map(Some)).await?
    }
}
