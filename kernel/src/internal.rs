//! Calls from one subgraph to another's API: GraphQL over HTTP, straight to the subgraph (not
//! through the router), with a service token so the callee sees a [`Viewer::Service`] and lets
//! it use operations that are internal (`@inaccessible`, hence absent from the public schema).
//!
//! A callee that cannot be reached, times out or answers 5xx is `SERVICE_UNAVAILABLE`; an error
//! the callee reports keeps its code so the caller can tell a conflict from a bug.
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

impl InternalClient {
    /// A client calling as `caller` (its own domain), with the configured service key, URLs
    /// and timeout.
    pub fn from_config(config: &Config, caller: &str) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(config.internal_timeout_ms))
            .connect_timeout(Duration::from_millis(config.internal_timeout_ms.min(2_000)))
            .build()?;
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
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                tokens: ServiceTokens::from_config(config, caller)?,
                services,
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
        let response = self
            .inner
            .http
            .post(url)
            .bearer_auth(token)
            .json(&Request {
                query,
                variables: &variables,
            })
            .send()
            .await
            .map_err(|error| unavailable(describe(&error)))?;
        let status = response.status();
        if status.is_server_error() {
            return Err(unavailable(format!("it answered {status}")));
        }
        let body = response
            .bytes()
            .await
            .map_err(|error| unavailable(describe(&error)))?;
        decode(service, &body)
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
}
