//! Outgoing account emails. Delivery is pluggable: the default only logs (this project ships no
//! mail transport); tests capture messages with [`MemoryMailer`].

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::Mutex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mail {
    /// A link with a single-use reset token.
    PasswordReset { to: String, token: String },
    /// Someone tried to register an address that already has an account; the owner learns of
    /// it, the person registering learns nothing.
    AlreadyRegistered { to: String },
}

#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, mail: Mail);
}

/// Logs that a message would be sent; the reset token itself only at `debug`.
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, mail: Mail) {
        match mail {
            Mail::PasswordReset { to, token } => {
                tracing::info!(%to, "password reset requested (no mail transport configured)");
                tracing::debug!(%to, %token, "password reset token");
            }
            Mail::AlreadyRegistered { to } => {
                tracing::info!(%to, "registration attempt for an existing account");
            }
        }
    }
}

/// Keeps every message, for tests.
#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Mail>>,
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, mail: Mail) {
        self.sent.lock().await.push(mail);
    }
}

impl MemoryMailer {
    pub async fn sent(&self) -> Vec<Mail> {
        self.sent.lock().await.clone()
    }

    /// The newest reset token mailed to `to`, waiting up to two seconds for background sends.
    pub async fn reset_token_for(&self, to: &str) -> Option<String> {
        for _ in 0..200 {
            let found = self
                .sent
                .lock()
                .await
                .iter()
                .rev()
                .find_map(|mail| match mail {
                    Mail::PasswordReset {
                        to: recipient,
                        token,
                    } if recipient == to => Some(token.clone()),
                    _ => None,
                });
            if found.is_some() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }
}
