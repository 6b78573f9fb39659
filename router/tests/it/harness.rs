//! Test harness: start subgraphs on port 0, build the router in-process, send requests.

use std::sync::{Arc, Mutex};

use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::body::Body;
use axum::middleware::{self, Next};
use axum::routing::post_service;
use commerce_router::{Config, RouterState};
use http::{HeaderMap, Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt;

/// Serves an async-graphql schema at `/graphql` on a free port; returns its URL.
pub async fn spawn_subgraph<Q, M, S>(schema: Schema<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    serve_app(Router::new().route("/graphql", post_service(GraphQL::new(schema)))).await
}

/// Serves `app` on a free port; returns the URL of its `/graphql`.
pub async fn serve_app(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a test server");
    let addr = listener.local_addr().expect("test server address");
    tokio::spawn(async move {
        axum::serve(listener, app).await.expect("test server");
    });
    format!("http://{addr}/graphql")
}

/// A POST to `/graphql` with a JSON content type, to add headers to before its body.
pub fn graphql_post() -> http::request::Builder {
    Request::post("/graphql").header("content-type", "application/json")
}

/// A POST of `body` as JSON to `/graphql`.
pub fn json_post(body: &Value) -> Request<Body> {
    graphql_post()
        .body(Body::from(body.to_string()))
        .expect("request")
}

/// A URL where nothing listens, for subgraph-down cases.
pub async fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    drop(listener);
    format!("http://{addr}/graphql")
}

pub fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"))
}

pub struct TestRouter {
    state: std::sync::Arc<RouterState>,
    app: Router,
    fetch_nested_entities_by_key: bool,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Value,
}

impl TestRouter {
    /// Builds a router for a fixture supergraph with subgraph URLs replaced.
    pub fn new(supergraph: &str, urls: &[(&str, &str)]) -> Self {
        Self::with_config(supergraph, urls, Config::default())
    }

    /// The benchmark's products supergraph in front of these four subgraphs.
    pub fn products(
        accounts: &str,
        products: &str,
        inventory: &str,
        reviews: &str,
        config: Config,
    ) -> Self {
        let urls = [
            ("accounts", accounts),
            ("products", products),
            ("inventory", inventory),
            ("reviews", reviews),
        ];
        Self::with_config("products.graphql", &urls, config)
    }

    /// With `config`, but responses without the demand-control estimate: most tests compare
    /// whole responses, and `demand_control.rs` tests the estimate.
    pub fn with_config(supergraph: &str, urls: &[(&str, &str)], mut config: Config) -> Self {
        config.demand_control.expose_estimate = false;
        Self::with_config_as_is(supergraph, urls, config)
    }

    /// With `config` exactly as given.
    pub fn with_config_as_is(supergraph: &str, urls: &[(&str, &str)], mut config: Config) -> Self {
        for (name, url) in urls {
            config = config.with_subgraph_url(name, *url);
        }
        let fetch_nested_entities_by_key = config.fetch_nested_entities_by_key;
        let state = RouterState::from_sdl(&fixture(supergraph), config).expect("valid supergraph");
        let app = commerce_router::app(state.clone());
        Self {
            state,
            app,
            fetch_nested_entities_by_key,
        }
    }

    pub fn state(&self) -> std::sync::Arc<RouterState> {
        self.state.clone()
    }

    /// POSTs a query with variables and returns the JSON body (asserting a 200).
    pub async fn query(&self, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let response = self.post_json(&body).await;
        assert_eq!(response.status, StatusCode::OK, "body: {}", response.body);
        response.body
    }

    /// POSTs `body` as JSON to `/graphql`.
    pub async fn post_json(&self, body: &Value) -> TestResponse {
        self.send(json_post(body)).await
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self
            .app
            .clone()
            .oneshot(request)
            .await
            .expect("router response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        TestResponse {
            status,
            headers,
            body,
        }
    }
}

impl TestRouter {
    /// Serves this router as the binary does, on a port-0 listener; returns its address.
    pub async fn listen(&self) -> std::net::SocketAddr {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("address");
        tokio::spawn(commerce_router::serve(
            listener,
            self.state(),
            std::future::pending(),
        ));
        addr
    }

    /// POSTs a JSON body and returns the response text unparsed (to check field order).
    pub async fn raw(&self, body: Value) -> String {
        let response = self
            .app
            .clone()
            .oneshot(json_post(&body))
            .await
            .expect("router response");
        let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        String::from_utf8_lossy(&bytes).into_owned()
    }
}

/// A fake subgraph answering every POST with a fixed status and body after `delay`.
pub async fn spawn_canned(status: u16, body: &'static str, delay: std::time::Duration) -> String {
    let handler = move || async move {
        tokio::time::sleep(delay).await;
        (
            StatusCode::from_u16(status).expect("status"),
            [("content-type", "application/json")],
            body,
        )
    };
    serve_app(Router::new().route("/graphql", axum::routing::post(handler))).await
}

/// A fake subgraph answering `{ me { name } }` with the `authorization` header it received.
pub async fn spawn_header_echo() -> String {
    let handler = |headers: HeaderMap| async move {
        let auth = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .map(|v| Value::String(v.to_string()))
            .unwrap_or(Value::Null);
        axum::Json(serde_json::json!({ "data": { "me": { "name": auth } } }))
    };
    serve_app(Router::new().route("/graphql", axum::routing::post(handler))).await
}

/// A fake subgraph that counts its requests and answers `{ me { name } }` after `delay`.
pub async fn spawn_counting(
    delay: std::time::Duration,
) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let handler = move || {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(delay).await;
            axum::Json(serde_json::json!({ "data": { "me": { "name": "Ada" } } }))
        }
    };
    let url = serve_app(Router::new().route("/graphql", axum::routing::post(handler))).await;
    (url, hits)
}

impl TestRouter {
    /// The query plan the router would run for `query`, pretty-printed.
    pub async fn plan(&self, query: &str) -> String {
        let options = commerce_router::pipeline::PlanningOptions {
            timeout: std::time::Duration::from_secs(10),
            override_flags: Default::default(),
            limits: Default::default(),
            fetch_nested_entities_by_key: self.fetch_nested_entities_by_key,
        };
        let schema = self.state.schema();
        let prepared = commerce_router::pipeline::Pipeline::new(options)
            .prepare(&schema, query, None)
            .await
            .expect("plans");
        prepared
            .plan
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default()
    }
}

/// The request bodies a subgraph received, in order.
pub type Recorded = Arc<Mutex<Vec<Value>>>;

/// Serves `app` and records every request body it receives.
pub async fn spawn_recording(app: Router) -> (String, Recorded) {
    let recorded = Recorded::default();
    let sink = recorded.clone();
    let app = app.layer(middleware::from_fn(
        move |request: Request<Body>, next: Next| {
            let sink = sink.clone();
            async move {
                let (parts, body) = request.into_parts();
                let bytes = axum::body::to_bytes(body, usize::MAX).await.expect("body");
                let json = serde_json::from_slice(&bytes).expect("a JSON request");
                sink.lock().expect("lock").push(json);
                next.run(Request::from_parts(parts, Body::from(bytes)))
                    .await
            }
        },
    ));
    (serve_app(app).await, recorded)
}

/// The `Cache-Control` a test subgraph answers with, changed while it runs (`None`: what the
/// subgraph itself sends).
pub type CacheControl = Arc<Mutex<Option<String>>>;

/// `app` answering with the `Cache-Control` that `control` holds at the time.
pub fn with_cache_control(app: Router, control: CacheControl) -> Router {
    app.layer(middleware::from_fn(
        move |request: Request<Body>, next: Next| {
            let control = control.clone();
            async move {
                let mut response = next.run(request).await;
                let value = control.lock().expect("cache control").clone();
                if let Some(value) = value {
                    response.headers_mut().insert(
                        http::header::CACHE_CONTROL,
                        http::HeaderValue::from_str(&value).expect("a header value"),
                    );
                }
                response
            }
        },
    ))
}

/// The `_entities` requests a subgraph recorded: the representations each one sent.
pub fn entity_requests(recorded: &Recorded) -> Vec<Vec<Value>> {
    recorded
        .lock()
        .expect("lock")
        .iter()
        .filter_map(|body| body["variables"]["representations"].as_array().cloned())
        .collect()
}
