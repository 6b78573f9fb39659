//! A real webhook receiver on a local port, written from the Standard Webhooks specification
//! as a receiver would write it (not with the subgraph's code): it checks the timestamp and
//! the `v1` signatures against the secrets it was given, and answers each request as its
//! script says: fail with a status, hang past the sender's timeout, or accept (slowly).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use tokio_util::sync::CancellationToken;

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// This status at once.
    Fail(u16),
    /// Nothing for this long (longer than the sender waits), then 200.
    Hang(Duration),
}

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub id: String,
    /// The `webhook-signature` header's entries.
    pub signatures: Vec<String>,
    /// Which of the receiver's secrets (by index) verify one of the signatures.
    pub verified_by: Vec<usize>,
    pub body: Value,
    /// The status it answered (0: none in time); `None` while it is being answered.
    pub status: Option<u16>,
}

impl Received {
    pub fn accepted(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }

    pub fn aggregate(&self) -> &str {
        self.body["aggregateId"].as_str().expect("an aggregate id")
    }

    pub fn sequence(&self) -> i64 {
        self.body["sequence"].as_i64().expect("a sequence")
    }
}

#[derive(Default)]
struct Inner {
    secrets: Vec<String>,
    script: VecDeque<Answer>,
    /// Every request after the script runs out fails with this status, when set.
    always_fail: Option<u16>,
    /// How long an accepted request takes.
    delay: Duration,
    log: Vec<Received>,
}

pub struct Receiver {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    shutdown: CancellationToken,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Receiver {
    pub async fn start() -> Self {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let app = axum::Router::new()
            .route("/hook", axum::routing::post(receive))
            .with_state(inner.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds a free port");
        let addr = listener.local_addr().expect("an address");
        let shutdown = CancellationToken::new();
        tokio::spawn(
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown.clone().cancelled_owned())
                .into_future(),
        );
        Self {
            addr,
            inner,
            shutdown,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn inner(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("not poisoned")
    }

    /// Adds a secret (`whsec_...`) the receiver verifies with.
    pub fn trust(&self, secret: &str) {
        self.inner().secrets.push(secret.to_owned());
    }

    /// The answers to the next requests, in order; later ones are accepted.
    pub fn script(&self, answers: &[Answer]) {
        self.inner().script.extend(answers.iter().copied());
    }

    /// Accepted requests take this long.
    pub fn slow(&self, delay: Duration) {
        self.inner().delay = delay;
    }

    /// Every request (after the script) fails with `status`.
    pub fn always_fail(&self, status: u16) {
        self.inner().always_fail = Some(status);
    }

    pub fn log(&self) -> Vec<Received> {
        self.inner().log.clone()
    }

    /// Accepted requests, each event id once (the first time), in the order accepted.
    pub fn deduplicated(&self) -> Vec<Received> {
        let mut seen = HashSet::new();
        self.log()
            .into_iter()
            .filter(|received| received.accepted() && seen.insert(received.id.clone()))
            .collect()
    }

    /// Waits until `count` distinct events were accepted; panics after `limit`.
    pub async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let received = self.deduplicated();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} events accepted; log: {:#?}",
                received.len(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Waits until `count` requests arrived (accepted or not); panics after `limit`.
    pub async fn wait_for_requests(&self, count: usize, limit: Duration) -> Vec<Received> {
        let deadline = Instant::now() + limit;
        loop {
            let log = self.log();
            if log.len() >= count && log.iter().all(|r| r.status.is_some()) {
                return log;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} requests arrived",
                log.len()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// Per aggregate, the sequences in the order the receiver accepted them.
pub fn sequences_by_aggregate(received: &[Received]) -> BTreeMap<String, Vec<i64>> {
    let mut by_aggregate: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for event in received {
        by_aggregate
            .entry(event.aggregate().to_owned())
            .or_default()
            .push(event.sequence());
    }
    by_aggregate
}

async fn receive(
    State(inner): State<Arc<Mutex<Inner>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let id = header("webhook-id");
    let timestamp: i64 = header("webhook-timestamp").parse().unwrap_or_default();
    let signatures: Vec<String> = header("webhook-signature")
        .split(' ')
        .map(str::to_owned)
        .collect();
    let (answer, delay, index) = {
        let mut inner = inner.lock().expect("not poisoned");
        let verified_by = inner
            .secrets
            .iter()
            .enumerate()
            .filter(|(_, secret)| verifies(secret, &id, timestamp, &body, &signatures))
            .map(|(index, _)| index)
            .collect();
        let answer = inner
            .script
            .pop_front()
            .or(inner.always_fail.map(Answer::Fail));
        inner.log.push(Received {
            id,
            signatures,
            verified_by,
            body: serde_json::from_slice(&body).unwrap_or(Value::Null),
            status: None,
        });
        (answer, inner.delay, inner.log.len() - 1)
    };
    let status = match answer {
        Some(Answer::Fail(status)) => status,
        Some(Answer::Hang(duration)) => {
            // Logged as unanswered (0) first: the sender gives up and drops the connection,
            // which may drop this handler too.
            inner.lock().expect("not poisoned").log[index].status = Some(0);
            tokio::time::sleep(duration).await;
            return StatusCode::OK;
        }
        None => {
            tokio::time::sleep(delay).await;
            204
        }
    };
    inner.lock().expect("not poisoned").log[index].status = Some(status);
    StatusCode::from_u16(status).expect("a valid status")
}

/// The specification's verification: a recent timestamp, and a `v1` signature equal to the
/// HMAC-SHA256 of `{id}.{timestamp}.{body}` under the base64 key after `whsec_`.
fn verifies(secret: &str, id: &str, timestamp: i64, body: &[u8], signatures: &[String]) -> bool {
    let now = chrono::Utc::now().timestamp();
    if (now - timestamp).abs() > 300 {
        return false;
    }
    let Some(key) = secret
        .strip_prefix("whsec_")
        .and_then(|key| STANDARD.decode(key).ok())
    else {
        return false;
    };
    signatures.iter().any(|signature| {
        let Some(given) = signature
            .strip_prefix("v1,")
            .and_then(|encoded| STANDARD.decode(encoded).ok())
        else {
            return false;
        };
        let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        // Constant time, as a receiver should compare.
        mac.verify_slice(&given).is_ok()
    })
}
