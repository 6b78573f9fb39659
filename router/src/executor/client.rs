//! The subgraph HTTP(S) client: one pooled keep-alive connection pool for all subgraphs,
//! a timeout per subgraph, circuit breaking and retries of queries (`traffic.rs`), and
//! deduplication of identical in-flight query fetches. Responses are parsed once, inside the
//! shared fetch, so deduplicated requests share the parsed tree (and its retries).

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Method, Request, Uri, header};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::{Client, connect::HttpConnector};
use hyper_util::rt::TokioExecutor;
use rustls::pki_types::CertificateDer;
use serde::Deserialize;
use tracing::Instrument;
use yoke::Yoke;

use super::traffic::{SubgraphTraffic, Traffic};
use crate::error::ErrorCode;
use crate::inflight::InFlight;
use crate::json::Value;
use crate::telemetry::Metrics;

/// Why a subgraph fetch produced no usable response (the message reaches clients).
#[derive(Debug)]
pub struct FetchFailure {
    pub message: String,
    pub code: ErrorCode,
}

pub type FetchError = Arc<FetchFailure>;

fn fetch_error(message: String) -> FetchError {
    Arc::new(FetchFailure {
        message,
        code: ErrorCode::SubgraphRequestFailed,
    })
}

/// How one attempt at a fetch failed: `retryable` when the subgraph gave no answer (the
/// connection failed, or a proxy in front of it said 502/503/504), so a query may be sent again.
struct AttemptFailure {
    message: String,
    retryable: bool,
}

/// Client request headers forwarded to every subgraph (shared, cheap to clone).
pub type Headers = Arc<[(http::HeaderName, http::HeaderValue)]>;

/// A subgraph's GraphQL response; its values borrow from the body.
#[derive(Deserialize, yoke::Yokeable)]
pub struct SubgraphResponse<'a> {
    #[serde(default, borrow)]
    pub data: Option<Value<'a>>,
    #[serde(default)]
    pub errors: Option<Vec<serde_json::Value>>,
    /// What the response's `Cache-Control` header allows (the response cache reads it).
    #[serde(skip)]
    pub cache: crate::response_cache::CacheHint,
}

/// A parsed response together with the body it borrows from.
pub type ParsedResponse = Yoke<SubgraphResponse<'static>, Vec<u8>>;

type FetchResult = Result<Arc<ParsedResponse>, FetchError>;

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// The pooled HTTP(S) client, with the subgraphs' trust roots.
pub type HttpClient = Client<Connector, Full<Bytes>>;

pub struct SubgraphClient {
    http: HttpClient,
    timeouts: HashMap<String, Duration>,
    default_timeout: Duration,
    traffic: Traffic,
    dedupe: bool,
    inflight: InFlight<FetchResult>,
    metrics: Arc<Metrics>,
}

impl SubgraphClient {
    /// `extra_roots` are trusted for `https://` subgraphs besides the public web PKI roots
    /// (a private CA's certificates).
    pub fn new(
        config: &crate::Config,
        extra_roots: Vec<CertificateDer<'static>>,
        metrics: Arc<Metrics>,
    ) -> anyhow::Result<Self> {
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        connector.enforce_http(false);
        let mut roots = rustls::RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        for certificate in extra_roots {
            roots.add(certificate)?;
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(connector);
        let http = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build(connector);
        Ok(Self {
            http,
            timeouts: config.subgraph_timeouts(),
            default_timeout: Duration::from_millis(config.subgraph_timeout_ms),
            traffic: Traffic::new(config),
            dedupe: config.dedupe.subgraph,
            inflight: InFlight::default(),
            metrics,
        })
    }

    /// The underlying client, for the router's other outbound calls (JWKS).
    pub fn http(&self) -> HttpClient {
        self.http.clone()
    }

    /// POSTs a GraphQL request body; identical concurrent query bodies to the same URL share
    /// one network call and its retries (mutations never do: each must run, once).
    pub async fn post(
        &self,
        subgraph: &str,
        url: &Uri,
        body: Bytes,
        headers: &Headers,
        is_query: bool,
    ) -> FetchResult {
        let timeout = self
            .timeouts
            .get(subgraph)
            .copied()
            .unwrap_or(self.default_timeout);
        // Built only by the call that sends: the others share its answer.
        let fetch = || {
            let attempt = Attempt {
                http: self.http.clone(),
                url: url.clone(),
                body: body.clone(),
                headers: headers.clone(),
                timeout,
                subgraph: subgraph.to_string(),
                metrics: self.metrics.clone(),
            };
            attempt.run(self.traffic.of(subgraph), is_query)
        };
        if !(self.dedupe && is_query) {
            return fetch().await;
        }
        let key = {
            let mut hasher = xxhash_rust::xxh3::Xxh3::new();
            url.hash(&mut hasher);
            body.hash(&mut hasher);
            // Forwarded headers (e.g. the viewer's token) can change the answer.
            for (name, value) in headers.iter() {
                name.as_str().hash(&mut hasher);
                value.as_bytes().hash(&mut hasher);
            }
            hasher.finish()
        };
        self.inflight.run(key, fetch).await.0
    }
}

/// Parses a GraphQL response body into a tree that borrows from it, each repeated subtree
/// stored once.
pub(super) fn parse(
    body: Vec<u8>,
    hint: crate::response_cache::CacheHint,
) -> Result<ParsedResponse, serde_json::Error> {
    Yoke::try_attach_to_cart(body, |bytes| {
        serde_json::from_slice(bytes).map(|mut response: SubgraphResponse<'_>| {
            if let Some(data) = &mut response.data {
                crate::json::share_repeated_subtrees(data);
            }
            response.cache = hint;
            response
        })
    })
}

/// The subgraph gave no answer: the connection failed or broke.
fn transport_failure(
    subgraph: &str,
    error: impl std::error::Error + Send + Sync + 'static,
) -> AttemptFailure {
    AttemptFailure {
        message: format!(
            "HTTP fetch failed from '{subgraph}': {:#}",
            anyhow::Error::new(error)
        ),
        retryable: true,
    }
}

/// One subgraph request, as often as its traffic settings allow.
struct Attempt {
    http: Client<Connector, Full<Bytes>>,
    url: Uri,
    body: Bytes,
    headers: Headers,
    timeout: Duration,
    subgraph: String,
    metrics: Arc<Metrics>,
}

impl Attempt {
    async fn run(self, traffic: Arc<SubgraphTraffic>, is_query: bool) -> FetchResult {
        let subgraph = &self.subgraph;
        let admission = traffic.admit().map_err(|open_for| {
            self.metrics.circuit_open(subgraph);
            Arc::new(FetchFailure {
                message: format!(
                    "Subgraph '{subgraph}' is unavailable: it failed repeatedly, and is tried again in {} ms",
                    open_for.as_millis()
                ),
                code: ErrorCode::SubgraphUnavailable,
            })
        })?;
        let mut retries = 0;
        loop {
            let failure = match self.send(retries + 1).await {
                Ok(parsed) => {
                    admission.succeeded();
                    return Ok(Arc::new(parsed));
                }
                Err(failure) => failure,
            };
            retries += 1;
            let wait = (is_query && failure.retryable)
                .then(|| traffic.retry_after(retries))
                .flatten();
            let Some(wait) = wait else {
                admission.failed();
                return Err(fetch_error(failure.message));
            };
            self.metrics.subgraph_retry(subgraph);
            tokio::time::sleep(wait).await;
        }
    }

    /// Sends the request once; `attempt` counts from 1.
    async fn send(&self, attempt: u32) -> Result<ParsedResponse, AttemptFailure> {
        let subgraph = &self.subgraph;
        let span = commerce_otel::span!(
            "fetch",
            otel.kind = "client",
            subgraph = %subgraph,
            attempt,
        );
        let started = std::time::Instant::now();
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(self.url.clone())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json");
        for (name, value) in self.headers.iter() {
            request = request.header(name, value);
        }
        let mut request =
            request
                .body(Full::new(self.body.clone()))
                .map_err(|e| AttemptFailure {
                    message: format!("invalid request to subgraph '{subgraph}': {e}"),
                    retryable: false,
                })?;
        // The subgraph's server span continues this fetch's trace.
        commerce_otel::inject(&span, request.headers_mut());
        let call = async {
            let response = self
                .http
                .request(request)
                .await
                .map_err(|e| transport_failure(subgraph, e))?;
            let status = response.status();
            let hint = crate::response_cache::CacheHint::from_headers(response.headers());
            let mut body = response.into_body();
            // One buffer for the whole body, sized from Content-Length: the parsed tree borrows it.
            let expected =
                usize::try_from(hyper::body::Body::size_hint(&body).lower()).unwrap_or(0);
            let mut bytes = Vec::with_capacity(expected);
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| transport_failure(subgraph, e))?;
                if let Some(data) = frame.data_ref() {
                    bytes.extend_from_slice(data);
                }
            }
            // GraphQL-over-HTTP subgraphs may answer 4xx with a GraphQL body; keep it if it is JSON.
            if !status.is_success() && !bytes.starts_with(b"{") {
                return Err(AttemptFailure {
                    message: format!("HTTP fetch failed from '{subgraph}': {status}"),
                    // What a load balancer says while an instance is down or restarting.
                    retryable: matches!(status.as_u16(), 502..=504),
                });
            }
            Ok((bytes, hint))
        };
        let (body, hint) = match tokio::time::timeout(self.timeout, call.instrument(span)).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(failure)) => {
                self.metrics
                    .subgraph_request(subgraph, "error", started.elapsed());
                return Err(failure);
            }
            Err(_) => {
                self.metrics
                    .subgraph_request(subgraph, "timeout", started.elapsed());
                return Err(AttemptFailure {
                    message: format!(
                        "HTTP fetch failed from '{subgraph}': request timed out after {}ms",
                        self.timeout.as_millis()
                    ),
                    retryable: false,
                });
            }
        };
        let parsed = parse(body, hint);
        let outcome = if parsed.is_ok() { "ok" } else { "error" };
        self.metrics
            .subgraph_request(subgraph, outcome, started.elapsed());
        parsed.map_err(|e| AttemptFailure {
            message: format!("HTTP fetch failed from '{subgraph}': invalid JSON response: {e}"),
            retryable: false,
        })
    }
}
