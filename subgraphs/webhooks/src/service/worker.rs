//! The delivery worker of an instance: claims due deliveries (several instances share the
//! work safely, see `store::claim_due`), sends at most `concurrency` at once, signed, each
//! within the timeout, and records every attempt. A 2xx answer delivers; anything else (an
//! error status, a refused connection, a timeout) schedules the next attempt or, once the
//! schedule is exhausted, dead-letters the delivery. An endpoint that keeps failing is
//! disabled with its reason.

use std::time::{Duration, Instant};

use tokio::task::{JoinHandle, JoinSet};
use tokio_util::sync::CancellationToken;

use super::{WebhooksService, micros, now, target};
use crate::domain::{Attempt, signature_header};
use crate::store::{self, Claimed, Next, Outcome};

/// A claim outlives the attempt by this much before another worker may take the delivery
/// over (its worker died mid-attempt).
const CLAIM_MARGIN: Duration = Duration::from_secs(30);
/// How often old log rows and `processed_events` are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);
/// Error texts kept in the log are cut to this many characters.
const MAX_ERROR: usize = 500;
/// Bytes of a response body read (and dropped) so the connection can be reused.
const MAX_BODY: usize = 64 * 1024;

/// Starts the worker until `shutdown`; deliveries in flight then finish (each within the
/// timeout).
pub fn spawn_worker(
    service: WebhooksService,
    shutdown: CancellationToken,
) -> anyhow::Result<JoinHandle<()>> {
    let mut client = reqwest::Client::builder()
        .timeout(service.settings.timeout)
        // A redirect is an answer other than 2xx: the endpoint's URL is what staff registered.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("commerce-webhooks/", env!("CARGO_PKG_VERSION")));
    if !service.settings.allow_private_targets {
        // Names are judged when resolved for the connection; a proxy would resolve them
        // itself, unseen.
        client = client
            .dns_resolver(std::sync::Arc::new(target::PublicOnly))
            .no_proxy();
    }
    let client = client.build()?;
    let worker = Worker { service, client };
    Ok(tokio::spawn(worker.run(shutdown)))
}

#[derive(Clone)]
struct Worker {
    service: WebhooksService,
    client: reqwest::Client,
}

impl Worker {
    async fn run(self, shutdown: CancellationToken) {
        let settings = self.service.settings.clone();
        let mut in_flight = JoinSet::new();
        let mut last_prune = Instant::now();
        let mut pause = Duration::ZERO;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            let free = settings.concurrency.saturating_sub(in_flight.len());
            if free > 0 {
                match self.claim(free).await {
                    Ok(claimed) => {
                        pause = Duration::ZERO;
                        for delivery in claimed {
                            in_flight.spawn(self.clone().deliver(delivery));
                        }
                    }
                    Err(error) => {
                        pause = (pause * 2).clamp(settings.poll, Duration::from_secs(10));
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "claiming webhook deliveries failed"
                        );
                    }
                }
            }
            if last_prune.elapsed() >= PRUNE_EVERY {
                last_prune = Instant::now();
                if let Err(error) = store::prune(&self.service.db, now()).await {
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "pruning the webhook log failed"
                    );
                }
            }
            // Look again when a local event or replay made deliveries, a delivery finished
            // (the next event of its aggregate may now go), or at the poll interval (retries
            // falling due, other instances' events).
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = self.service.wake.notified(), if pause.is_zero() => {}
                Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
                () = tokio::time::sleep(pause.max(settings.poll)) => {}
            }
        }
        while in_flight.join_next().await.is_some() {}
    }

    async fn claim(&self, limit: usize) -> anyhow::Result<Vec<Claimed>> {
        let now = now();
        let hold = micros(self.service.settings.timeout + CLAIM_MARGIN);
        Ok(store::claim_due(&self.service.db, limit, now, now + hold).await?)
    }

    async fn deliver(self, delivery: Claimed) {
        let attempt = self.send(&delivery).await;
        let settings = &self.service.settings;
        let next = if attempt.succeeded {
            Next::Delivered
        } else {
            let step = usize::try_from(delivery.step).unwrap_or(usize::MAX);
            match settings.schedule.wait(step) {
                Some(wait) => Next::RetryAt {
                    at: now() + micros(wait),
                    step: delivery.step + 1,
                },
                None => Next::Dead,
            }
        };
        if next == Next::Dead {
            tracing::warn!(
                delivery = delivery.delivery_id,
                endpoint = delivery.endpoint.id,
                event = delivery.event_id,
                attempts = attempt.number,
                "webhook delivery dead-lettered"
            );
        }
        let outcome = Outcome {
            endpoint_id: delivery.endpoint.id,
            attempt,
            next,
        };
        match store::record(&self.service.db, &outcome, &settings.disable, now()).await {
            Ok(Some(reason)) => {
                tracing::warn!(
                    endpoint = delivery.endpoint.id,
                    reason,
                    "webhook endpoint disabled"
                );
            }
            Ok(None) => {}
            // The claim lapses and the delivery is sent again: receivers deduplicate by id.
            Err(error) => tracing::error!(
                delivery = delivery.delivery_id,
                error = format!("{error:#}"),
                "recording a webhook attempt failed"
            ),
        }
    }

    /// One signed POST of the delivery's body.
    async fn send(&self, delivery: &Claimed) -> Attempt {
        let started_at = now();
        let timestamp = started_at.div_euclid(1_000_000);
        let secrets = delivery.endpoint.signing_secrets(started_at);
        let signature = signature_header(
            &secrets,
            &delivery.event_id,
            timestamp,
            delivery.body.as_bytes(),
        );
        let started = Instant::now();
        if !self.service.settings.allow_private_targets
            && let Err(refused) = target::check_literal(&delivery.endpoint.url)
        {
            return Attempt {
                delivery_id: delivery.delivery_id,
                number: delivery.attempts + 1,
                started_at,
                status_code: None,
                latency_ms: 0,
                error: Some(refused.to_string()),
                succeeded: false,
            };
        }
        let response = self
            .client
            .post(&delivery.endpoint.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.body.clone())
            .send()
            .await;
        let latency_ms = i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (status_code, error, succeeded) = match response {
            Ok(response) => {
                let status = response.status();
                drain(response).await;
                let error = (!status.is_success()).then(|| format!("HTTP {status}"));
                (Some(i32::from(status.as_u16())), error, status.is_success())
            }
            Err(error) => (None, Some(describe(error)), false),
        };
        Attempt {
            delivery_id: delivery.delivery_id,
            number: delivery.attempts + 1,
            started_at,
            status_code,
            latency_ms,
            error,
            succeeded,
        }
    }
}

/// Reads a little of the body so the connection can serve the next delivery.
async fn drain(mut response: reqwest::Response) {
    let mut read = 0;
    while read < MAX_BODY {
        match response.chunk().await {
            Ok(Some(chunk)) => read += chunk.len(),
            _ => return,
        }
    }
}

/// The error and its causes, without the URL (the log belongs to the endpoint already).
fn describe(error: reqwest::Error) -> String {
    if error.is_timeout() {
        return "timed out".to_owned();
    }
    let error = error.without_url();
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(MAX_ERROR).collect()
}
