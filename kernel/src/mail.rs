//! Outgoing mail: a plain text message, the [`Mailer`] that delivers it, and the two
//! deliveries: [`SmtpMailer`] (lettre over SMTP, when `smtp_url` is configured) and
//! [`LogMailer`] (the development default, which only logs).
//!
//! A send either succeeds or returns an error; callers decide how to retry. Mail triggered by
//! events (order confirmations, stock alerts) is sent by consumers, so a failed send leaves
//! the event unapplied and it comes back; nothing is sent on a request's path.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::config::Config;

/// One message to one recipient, as plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub to: String,
    pub subject: String,
    pub text: String,
}

/// Delivers messages. An error means the message was not accepted and may be sent again.
#[async_trait]
pub trait Mailer: Send + Sync {
    async fn send(&self, message: &Message) -> anyhow::Result<()>;
}

/// The configured delivery: SMTP when `smtp_url` is set, the log otherwise.
pub fn from_config(config: &Config) -> anyhow::Result<Arc<dyn Mailer>> {
    match &config.smtp_url {
        Some(url) => Ok(Arc::new(SmtpMailer::new(url, &config.mail_from)?)),
        None => Ok(Arc::new(LogMailer)),
    }
}

/// Logs each message instead of sending it (no mail server in development). The body, which
/// may hold a single-use link, only at `debug`.
pub struct LogMailer;

#[async_trait]
impl Mailer for LogMailer {
    async fn send(&self, message: &Message) -> anyhow::Result<()> {
        tracing::info!(to = %message.to, subject = %message.subject, "mail (no smtp_url configured, not sent)");
        tracing::debug!(to = %message.to, body = %message.text, "mail body");
        Ok(())
    }
}

/// How long one SMTP exchange may take; a server that hangs fails the send, which is retried.
const SMTP_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends through an SMTP server: `smtp://[user:pass@]host[:port]` (plain, or with
/// `?tls=required` / `?tls=opportunistic` for STARTTLS) or `smtps://...` (TLS from the
/// start). A connection per message: these mails are few.
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl SmtpMailer {
    pub fn new(url: &str, from: &str) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .context("smtp_url is not a valid SMTP URL")?
            .timeout(Some(SMTP_TIMEOUT))
            .build();
        let from = from
            .parse()
            .with_context(|| format!("mail_from {from:?} is not a mail address"))?;
        Ok(Self { transport, from })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, message: &Message) -> anyhow::Result<()> {
        let to: Mailbox = message
            .to
            .parse()
            .with_context(|| format!("{:?} is not a mail address", message.to))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.as_str())
            .header(ContentType::TEXT_PLAIN)
            .body(message.text.clone())
            .context("building the message")?;
        self.transport
            .send(email)
            .await
            .context("the SMTP server did not accept the message")?;
        tracing::debug!(to = %message.to, subject = %message.subject, "mail sent");
        Ok(())
    }
}
