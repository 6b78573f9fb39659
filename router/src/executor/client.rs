//! The subgraph HTTP(S) client: one pooled keep-alive connection pool for all subgraphs,
//! a timeout per subgraph, and deduplication of identical in-flight query fetches. Responses
//! are parsed once, inside the shared fetch, so deduplicated requests share the parsed tree.

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
use yoke::Yoke;

use crate::inflight::InFlight;
use crate::json::Value;
use crate::telemetry::Metrics;

/// Why a subgraph fetch produced no usable response (the message reaches clients).
pub type FetchError = Arc<str>;

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
    dedupe: bool,
    inflight: InFlight<FetchResult>,
    metrics: Arc<Metrics>,
}

impl SubgraphClient {
    /// `extra_roots` are trusted for `https://` subgraphs besides the public web PKI roots
    /// (a private CA's certificates).
    pub fn new(
        default_timeout: Duration,
        timeouts: HashMap<String, Duration>,
        dedupe: bool,
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
            timeouts,
            default_timeout,
            dedupe,
            inflight: InFlight::default(),
            metrics,
        })
    }

    /// The underlying client, for the router's other outbound calls (JWKS).
    pub fn http(&self) -> HttpClient {
        self.http.clone()
    }

    /// POSTs a GraphQL request body; identical concurrent query bodies to the same URL share
    /// one network call (mutations never do: each must run).
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
            send(
                self.http.clone(),
                url.clone(),
                body.clone(),
                headers.clone(),
                timeout,
                subgraph.to_string(),
                self.metrics.clone(),
            )
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

async fn send(
    http: Client<Connector, Full<Bytes>>,
    url: Uri,
    body: Bytes,
    headers: Headers,
    timeout: Duration,
    subgraph: String,
    metrics: Arc<Metrics>,
) -> FetchResult {
    let started = std::time::Instant::now();
    let mut request = Request::builder()
        .method(Method::POST)
        .uri(url)
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json");
    for (name, value) in headers.iter() {
        request = request.header(name, value);
    }
    let request = request
        .body(Full::new(body))
        .map_err(|e| FetchError::from(format!("invalid request to subgraph '{subgraph}': {e}")))?;
    let call = async {
        let response = http.request(request).await.map_err(|e| {
            format!(
                "HTTP fetch failed from '{subgraph}': {:#}",
                anyhow::Error::new(e)
            )
        })?;
        let status = response.status();
        let hint = crate::response_cache::CacheHint::from_headers(response.headers());
        let mut body = response.into_body();
        // One buffer for the whole body, sized from Content-Length: the parsed tree borrows it.
        let expected = usize::try_from(hyper::body::Body::size_hint(&body).lower()).unwrap_or(0);
        let mut bytes = Vec::with_capacity(expected);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                format!(
                    "HTTP fetch failed from '{subgraph}': {:#}",
                    anyhow::Error::new(e)
                )
            })?;
            if let Some(data) = frame.data_ref() {
                bytes.extend_from_slice(data);
            }
        }
        // GraphQL-over-HTTP subgraphs may answer 4xx with a GraphQL body; keep it if it is JSON.
        if !status.is_success() && !bytes.starts_with(b"{") {
            return Err(format!("HTTP fetch failed from '{subgraph}': {status}"));
        }
        Ok((bytes, hint))
    };
    let (body, hint) = match tokio::time::timeout(timeout, call).await {
        Ok(Ok(answer)) => answer,
        Ok(Err(message)) => {
            metrics.subgraph_request(&subgraph, "error", started.elapsed());
            return Err(FetchError::from(message));
        }
        Err(_) => {
            metrics.subgraph_request(&subgraph, "timeout", started.elapsed());
            return Err(FetchError::from(format!(
                "HTTP fetch failed from '{subgraph}': request timed out after {}ms",
                timeout.as_millis()
            )));
        }
    };
    let parsed = parse(body, hint);
    let outcome = if parsed.is_ok() { "ok" } else { "error" };
    metrics.subgraph_request(&subgraph, outcome, started.elapsed());
    parsed.map(Arc::new).map_err(|e| {
        FetchError::from(format!(
            "HTTP fetch failed from '{subgraph}': invalid JSON response: {e}"
        ))
    })
}
