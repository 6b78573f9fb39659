//! The account emails customers sends (a password reset, a registration of a taken address),
//! rendered into the kernel's plain message and delivered by the configured
//! [`commerce_kernel::mail::Mailer`] (SMTP, or the log in development). Sending happens in the
//! background, so no request waits for a mail server (nor takes longer when an address has an
//! account), and a failed send is retried. Tests capture messages with [`MemoryMailer`].

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use commerce_kernel::mail::{Mailer, Message};
use tokio::sync::Mutex;

/// First pause before sending a failed mail again; doubled after each failure.
const RETRY_DELAY: Duration = Duration::from_millis(500);
/// Attempts before a mail is given up (and logged as lost): about 15 s of a server being down.
const ATTEMPTS: u32 = 6;

const RESET_CODE_LABEL: &str = "Your reset code: ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mail {
    /// A single-use reset token.
    PasswordReset { to: String, token: String },
    /// Someone tried to register an address that already has an account; the owner learns of
    /// it, the person registering learns nothing.
    AlreadyRegistered { to: String },
}

impl Mail {
    pub fn render(&self) -> Message {
        match self {
            Self::PasswordReset { to, token } => Message {
                to: to.clone(),
                subject: "Reset your password".to_owned(),
                text: format!(
                    "Someone asked to reset the password of your account.\r\n\r\n\
                     {RESET_CODE_LABEL}{token}\r\n\r\n\
                     It works once. If you did not ask, ignore this mail:\r\n\
                     your password stays as it is.\r\n"
                ),
            },
            Self::AlreadyRegistered { to } => Message {
                to: to.clone(),
                subject: "Someone tried to register with your address".to_owned(),
                text: "Someone tried to create an account with this address, which\r\n\
                       already has one. If it was you, sign in or reset your password.\r\n\
                       If not, you need not do anything.\r\n"
                    .to_owned(),
            },
        }
    }

    /// The reset token a rendered [`Mail::PasswordReset`] carries (what the recipient types).
    pub fn reset_token(text: &str) -> Option<&str> {
        text.lines()
            .find_map(|line| line.trim().strip_prefix(RESET_CODE_LABEL))
            .map(str::trim)
    }
}

/// Renders `mail` and sends it in the background, retrying failures (500 ms, doubling) up to
/// [`ATTEMPTS`] times; a mail still refused then is logged as lost, with its recipient.
pub fn post(mailer: &Arc<dyn Mailer>, mail: Mail) {
    let mailer = mailer.clone();
    let message = mail.render();
    tokio::spawn(async move {
        let mut delay = RETRY_DELAY;
        for attempt in 1..=ATTEMPTS {
            match mailer.send(&message).await {
                Ok(()) => return,
                Err(error) if attempt < ATTEMPTS => {
                    tracing::warn!(to = %message.to, attempt, error = format!("{error:#}"), "sending an account mail failed; retrying");
                }
                Err(error) => {
                    tracing::error!(to = %message.to, subject = %message.subject, error = format!("{error:#}"), "account mail not sent");
                    return;
                }
            }
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    });
}

/// Keeps every message, for tests.
#[derive(Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<Message>>,
}

#[async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, message: &Message) -> anyhow::Result<()> {
        self.sent.lock().await.push(message.clone());
        Ok(())
    }
}

impl MemoryMailer {
    pub async fn sent(&self) -> Vec<Message> {
        self.sent.lock().await.clone()
    }

    /// The messages sent once at least `count` were, waiting up to two seconds for the
    /// background sends.
    pub async fn wait_for(&self, count: usize) -> Vec<Message> {
        for _ in 0..200 {
            let sent = self.sent().await;
            if sent.len() >= count {
                return sent;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.sent().await
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
                .filter(|message| message.to == to)
                .find_map(|message| Mail::reset_token(&message.text).map(str::to_owned));
            if found.is_some() {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        None
    }
}
