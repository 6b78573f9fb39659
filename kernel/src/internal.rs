//! Calls from one subgraph to another's API: GraphQL over HTTP, straight to the subgraph (not
//! through the router), with a service token so the callee sees a [`Viewer::Service`] and lets
//! it use operations that are internal (`@inaccessible`, hence absent from the public schema).
//!
//! A callee that cannot be reached, times out or answers 5xx is `SERVICE_UNAVAILABLE`; an error
//! the callee reports keeps its code so the caller can tell a conflict from a bug. A query that
//! got no answer (the connection failed or broke, or a balancer said 502/503/504: an instance
//! going away) is sent again, twice at most; a mutation never is (it may have run), nor is a
//! call that timed out.
//!
//! [`Viewer::Service`]: crate::viewer::Viewer::Service

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::auth::ServiceTokens;
use crate::config::Config;
use crate::error::{DomainError, ErrorCode};

/// Where each subgraph listens when nothing else is configured.
pub const DEFAULT_PORTS: [(&str, u16); 10] = [
    ("catalog", 4001),
    ("inventory", 4002),
    ("reviews", 4003),
    ("pricing", 4004),
    ("customers", 4005),
    ("checkout", 4006),
    ("orders", 4007),
    ("payments", 4008),
    ("webhooks", 4009),
    ("analytics", 4010),
];

/// A token is reused for this long (it is valid for a minute), so a burst of calls signs once.
const TOKEN_REUSE: Duration = Duration::from_secs(30);

/// The waits before each retry of a query that got no answer.
const RETRY_WAITS: [Duration; 2] = [Duration::from_millis(50), Duration::from_millis(200)];

/// Why a call to another subgraph failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InternalError {
    #[error("the {service} service is unavailable: {reason}")]
    Unavailable { service: String, reason: String },
    /// The callee answered with a GraphQL error; `code` is its `extensions.code`.
    #[error("the {service} service refused the call ({code}): {message}")]
    Refused {
        service: String,
        code: String,
        message: String,
    },
    /// The callee answered something this caller cannot read: a contract between the two broke.
    #[error("the {service} service answered unexpectedly: {reason}")]
    Contract { service: String, reason: String },
}

impl DomainError for InternalError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Unavailable { .. } => ErrorCode::ServiceUnavailable,
            // Conflicts and bad input pass through; anything else (a refused service token, a
            // callee's internal error) is this shop's fault, not the client's.
            Self::Refused { code, .. } => match code.as_str() {
                "CONFLICT" => ErrorCode::Conflict,
                "BAD_USER_INPUT" => ErrorCode::BadUserInput,
                "NOT_FOUND" => ErrorCode::NotFound,
                "SERVICE_UNAVAILABLE" => ErrorCode::ServiceUnavailable,
                _ => ErrorCode::InternalServerError,
            },
            Self::Contract { .. } => ErrorCode::InternalServerError,
        }
    }
}

/// A client for other subgraphs' APIs. Cheap to clone.
#[derive(Clone)]
pub struct InternalClient {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    tokens: ServiceTokens,
    services: Vec<(String, String)>,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Serialize)]
struct Request<'a> {
    query: &'a str,
    variables: &'a serde_json::Value,
}

#[derive(Deserialize)]
struct Response<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<ResponseError>,
}

#[derive(Deserialize)]
struct ResponseError {
    message: String,
    #[serde(default)]
    extensions: Option<serde_json::Value>,
}

/// Where each subgraph's GraphQL endpoint is: `services.<name>`, else its default port on
/// this machine.
pub fn service_urls(config: &Config) -> Vec<(String, String)> {
    let mut services: Vec<(String, String)> = DEFAULT_PORTS
        .iter()
        .map(|(name, port)| {
            let url = format!("http://127.0.0.1:{port}/graphql");
            ((*name).to_owned(), url)
        })
        .collect();
    for (name, url) in &config.services {
        match services.iter_mut().find(|(known, _)| known == name) {
            Some(entry) => entry.1.clone_from(url),
            None => services.push((name.clone(), url.clone())),
        }
    }
    services
}

impl InternalClient {
    /// A client calling as `caller` (its own domain), with the configured service key, URLs
    /// and timeout.
    pub fn from_config(config: &Config, caller: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.internal_timeout_ms))
            .connect_timeout(Duration::from_millis(config.internal_timeout_ms.min(2_000)))
            .build()?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                tokens: ServiceTokens::from_config(config, caller)?,
                services: service_urls(config),
                token: Mutex::default(),
            }),
        })
    }

    /// Sends `query` with `variables` to `service` and decodes its `data` into `T`.
    pub async fn execute<T: DeserializeOwned>(
        &self,
        service: &str,
        query: &str,
        variables: serde_json::Value,
    ) -> Result<T, InternalError> {
        let url = self.url(service)?;
        let unavailable = |reason: String| InternalError::Unavailable {
            service: service.to_owned(),
            reason,
        };
        let token = self
            .token()
            .await
            .map_err(|error| InternalError::Contract {
                service: service.to_owned(),
                reason: format!("signing a service token: {error:#}"),
            })?;
        let retries: &[Duration] = if is_query(query) { &RETRY_WAITS } else { &[] };
        let mut waits = retries.iter();
        loop {
            let sent = self
                .inner
                .http
                .post(url)
                .bearer_auth(&token)
                .json(&Request {
                    query,
                    variables: &variables,
                })
                .send()
                .await;
            let (reason, retryable) = match sent {
                Ok(response) if !response.status().is_server_error() => {
                    let body = response
                        .bytes()
                        .await
                        .map_err(|error| unavailable(describe(&error)))?;
                    return decode(service, &body);
                }
                Ok(response) => {
                    let status = response.status();
                    let gone = matches!(status.as_u16(), 502..=504);
                    (format!("it answered {status}"), gone)
                }
                Err(error) => (describe(&error), !error.is_timeout()),
            };
            match waits.next() {
                Some(wait) if retryable => tokio::time::sleep(*wait).await,
                _ => return Err(unavailable(reason)),
            }
        }
    }

    fn url(&self, service: &str) -> Result<&str, InternalError> {
        self.inner
            .services
            .iter()
            .find(|(name, _)| name == service)
            .map(|(_, url)| url.as_str())
            .ok_or_else(|| InternalError::Contract {
                service: service.to_owned(),
                reason: "no URL is configured for it".to_owned(),
            })
    }

    async fn token(&self) -> anyhow::Result<String> {
        let mut cached = self.inner.token.lock().await;
        if let Some((token, at)) = cached.as_ref()
            && at.elapsed() < TOKEN_REUSE
        {
            return Ok(token.clone());
        }
        let token = self.inner.tokens.issue()?;
        *cached = Some((token.clone(), Instant::now()));
        Ok(token)
    }
}

/// Whether `document` is a query (no operation keyword, or `query`), which may be sent again.
fn is_query(document: &str) -> bool {
    let start = document.trim_start();
    start.starts_with('{') || start.starts_with("query")
}

fn describe(error: &reqwest::Error) -> String {
    if error.is_timeout() {
        "it did not answer in time".to_owned()
    } else if error.is_connect() {
        "it cannot be reached".to_owned()
    } else {
        error.to_string()
    }
}

fn decode<T: DeserializeOwned>(service: &str, body: &[u8]) -> Result<T, InternalError> {
    let contract = |reason: String| InternalError::Contract {
        service: service.to_owned(),
        reason,
    };
    let response: Response<serde_json::Value> =
        serde_json::from_slice(body).map_err(|error| contract(error.to_string()))?;
    if let Some(error) = response.errors.into_iter().next() {
        let code = error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get("code"))
            .and_then(serde_json::Value::as_str)
            .unwrap_or("INTERNAL_SERVER_ERROR")
            .to_owned();
        return Err(InternalError::Refused {
            service: service.to_owned(),
            code,
            message: error.message,
        });
    }
    let data = response
        .data
        .ok_or_else(|| contract("no data and no errors".to_owned()))?;
    serde_json::from_value(data).map_err(|error| contract(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Data {
        value: i64,
    }

    #[test]
    fn decodes_data_and_keeps_the_callees_error_code() {
        let data: Data = decode("pricing", br#"{"data":{"value":3}}"#).expect("data");
        assert_eq!(data, Data { value: 3 });
        let refused = decode::<Data>(
            "payments",
            br#"{"data":null,"errors":[{"message":"key reused","extensions":{"code":"CONFLICT"}}]}"#,
        )
        .expect_err("refused");
        assert_eq!(refused.code(), ErrorCode::Conflict);
        let forbidden = decode::<Data>(
            "payments",
            br#"{"errors":[{"message":"no","extensions":{"code":"FORBIDDEN"}}]}"#,
        )
        .expect_err("refused");
        // A callee refusing our service token is our misconfiguration, masked for clients.
        assert_eq!(forbidden.code(), ErrorCode::InternalServerError);
        let broken = decode::<Data>("payments", br#"{"data":{"other":1}}"#).expect_err("shape");
        assert!(matches!(broken, InternalError::Contract { .. }));
    }

    /// A callee whose first `drop` connections are closed unanswered (an instance going away),
    /// then answers `{"data":{"value":3}}`; returns its URL and the connections it took.
    async fn flaky_callee(drop: usize) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/graphql", listener.local_addr().expect("address"));
        let taken = Arc::new(AtomicUsize::new(0));
        let counter = taken.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                if counter.fetch_add(1, Ordering::SeqCst) < drop {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    continue; // dropped: closed without an answer
                }
                let body = r#"{"data":{"value":3}}"#;
                let mut request = [0u8; 4096];
                let _ = socket.read(&mut request).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(answer.as_bytes()).await;
            }
        });
        (url, taken)
    }

    fn client_of(url: &str, data_dir: &std::path::Path) -> InternalClient {
        let mut config = Config {
            data_dir: data_dir.to_path_buf(),
            ..Config::default()
        };
        config.services.insert("pricing".into(), url.to_owned());
        InternalClient::from_config(&config, "checkout").expect("a client")
    }

    #[tokio::test]
    async fn a_query_that_got_no_answer_is_sent_again_and_a_mutation_is_not() {
        use std::sync::atomic::Ordering;
        let dir = tempfile::tempdir().expect("a directory");
        let (url, taken) = flaky_callee(2).await;
        let client = client_of(&url, dir.path());
        let data: Data = client
            .execute("pricing", "query { value }", serde_json::json!({}))
            .await
            .expect("answered on the third try");
        assert_eq!(data, Data { value: 3 });
        assert_eq!(taken.load(Ordering::SeqCst), 3);

        let (url, taken) = flaky_callee(1).await;
        let client = client_of(&url, dir.path());
        let refused = client
            .execute::<Data>("pricing", "mutation { value }", serde_json::json!({}))
            .await
            .expect_err("a mutation is sent once");
        assert_eq!(refused.code(), ErrorCode::ServiceUnavailable);
        assert_eq!(taken.load(Ordering::SeqCst), 1);
    }
}
