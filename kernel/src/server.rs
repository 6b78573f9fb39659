//! HTTP serving shared by every subgraph: the GraphQL endpoint with GraphiQL, `/health`
//! (process alive), `/ready` (database reachable), `/metrics` (Prometheus), and graceful
//! shutdown on SIGTERM/Ctrl-C.
//!
//! Each GraphQL request carries its verified [`Viewer`](crate::viewer::Viewer) and its [`ClientAddress`] in the
//! async-graphql request data (`ctx.data::<Viewer>()`), and, when it has a token, that token's
//! [`Credential`](crate::auth::Credential) (to revoke it). Subscriptions are served over
//! WebSocket (`graphql-transport-ws`, or the older `graphql-ws`) on `GET /graphql`; their
//! viewer comes from the `connection_init` payload (`{"authorization": "Bearer ..."}`, as the
//! router sends it), else from the upgrade request's headers. A subgraph that puts a
//! [`ResponseCache`] in its schema's data has anonymous queries answered from it.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{
    BatchRequest, BatchResponse, Data, ErrorExtensions, ObjectType, Pos, Schema, SubscriptionType,
};
use async_graphql_axum::{GraphQLBatchRequest, GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Body;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{Extensions, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tracing::Instrument;

use crate::auth::Verifier;
use crate::projection::json_body;
use crate::subgraph::{ResponseCache, SubgraphExecutor};
use crate::telemetry::metrics;
use crate::viewer::Viewer;

/// The subgraph's routes: `POST /graphql`, GraphiQL on `GET /graphql` (subscriptions when it
/// is a WebSocket upgrade), `/health`, `/ready`, `/metrics`; bearer tokens are checked with `verifier`,
/// the service's own (from its configuration).
pub fn graphql_app<Q, M, S>(
    schema: Schema<Q, M, S>,
    db: DatabaseConnection,
    verifier: Arc<Verifier>,
) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let state = GraphqlState {
        response_cache: schema.data::<Arc<ResponseCache>>().cloned(),
        executor: SubgraphExecutor::new(schema),
        verifier,
    };
    Router::new()
        .route(
            "/graphql",
            get(graphiql_or_websocket::<Q, M, S>).post(execute::<Q, M, S>),
        )
        .with_state(state)
        .merge(commerce_graphiql::routes())
        .merge(health_routes(db))
        .route("/metrics", get(metrics))
}

/// The process's metrics in Prometheus' text format (see [`crate::telemetry::metrics`]).
async fn metrics() -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::telemetry::metrics::metrics().render(),
    )
}

struct GraphqlState<Q, M, S> {
    executor: SubgraphExecutor<Q, M, S>,
    verifier: Arc<Verifier>,
    /// When the subgraph put one in its schema's data.
    response_cache: Option<Arc<ResponseCache>>,
}

impl<Q, M, S> Clone for GraphqlState<Q, M, S> {
    fn clone(&self) -> Self {
        Self {
            executor: self.executor.clone(),
            verifier: self.verifier.clone(),
            response_cache: self.response_cache.clone(),
        }
    }
}

/// Where a request came from: the first `X-Forwarded-For` hop (set by the router, which is the
/// trust boundary in front of the subgraphs), else the TCP peer. For per-address rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ClientAddress(pub Option<IpAddr>);

impl ClientAddress {
    pub fn from_request(headers: &HeaderMap, extensions: &Extensions) -> Self {
        let forwarded = headers
            .get("x-forwarded-for")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(',').next())
            .and_then(|first| first.trim().parse().ok());
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        Self(forwarded.or(peer))
    }
}

async fn execute<Q, M, S>(
    State(state): State<GraphqlState<Q, M, S>>,
    headers: HeaderMap,
    extensions: Extensions,
    request: GraphQLBatchRequest,
) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let span = server_span(&headers, &extensions);
    async move {
        let started = Instant::now();
        let (viewer, credential) = match state.verifier.authenticate(&headers).await {
            Ok(authenticated) => authenticated,
            Err(error) => {
                let error = error.extend().into_server_error(Pos::default());
                let response = async_graphql::Response::from_errors(vec![error]);
                return answer(response.into());
            }
        };
        let anonymous = viewer == Viewer::Anonymous && credential.is_none();
        let mut request = request
            .into_inner()
            .data(viewer)
            .data(ClientAddress::from_request(&headers, &extensions));
        if let Some(credential) = credential {
            request = request.data(credential);
        }
        match (state.response_cache.as_deref(), request) {
            (Some(cache), BatchRequest::Single(request)) if anonymous => {
                cached_or_executed(cache, &state.executor, request, started).await
            }
            (_, request) => answer(state.executor.execute_for_http(request).await),
        }
    }
    .instrument(span)
    .await
}

/// An anonymous request's answer from `cache`, else executed (and kept when it may be).
async fn cached_or_executed<Q, M, S>(
    cache: &ResponseCache,
    executor: &SubgraphExecutor<Q, M, S>,
    request: async_graphql::Request,
    started: Instant,
) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let Some(key) = cache.key(&request) else {
        return answer(executor.execute_for_http(request.into()).await);
    };
    if let Some(answer) = cache.get(&key) {
        metrics::metrics().response_cache_hit(started.elapsed());
        return answer;
    }
    metrics::metrics().response_cache_miss();
    let (operation, response) = executor.run(request).await;
    let keep = operation == "query" && response.is_ok() && response.cache_control.public;
    let response = answer(response.into());
    if keep {
        cache.insert(key, response).await
    } else {
        response
    }
}

/// `response` as an HTTP answer, as async-graphql-axum's `GraphQLResponse` makes it, with the
/// lists that projection wrote copied in as they are.
fn answer(response: BatchResponse) -> Response {
    let mut answer = Response::new(Body::from(json_body(&response)));
    let headers = answer.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/graphql-response+json"),
    );
    if response.is_ok()
        && let Some(cache_control) = response.cache_control().value()
        && let Ok(value) = HeaderValue::from_str(&cache_control)
    {
        headers.insert(CACHE_CONTROL, value);
    }
    headers.extend(response.http_headers());
    answer
}

/// The request's server span, continuing the caller's trace (the router's fetch); none while
/// tracing is off.
fn server_span(headers: &HeaderMap, extensions: &Extensions) -> tracing::Span {
    let service = extensions
        .get::<crate::telemetry::ServiceName>()
        .map_or("subgraph", |name| &*name.0);
    let span = commerce_otel::span!("subgraph", otel.kind = "server", commerce.service = service);
    commerce_otel::continue_trace(&span, headers);
    span
}

/// GraphiQL, or the WebSocket of a subscription client (the router) when the request is an
/// upgrade naming a GraphQL WebSocket protocol.
async fn graphiql_or_websocket<Q, M, S>(
    State(state): State<GraphqlState<Q, M, S>>,
    headers: HeaderMap,
    extensions: Extensions,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    protocol: Result<GraphQLProtocol, StatusCode>,
) -> Response
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let (upgrade, protocol) = match (upgrade, protocol) {
        (Ok(upgrade), Ok(protocol)) => (upgrade, protocol),
        (Ok(_), Err(status)) => return status.into_response(),
        (Err(_), _) => return graphiql().await.into_response(),
    };
    let address = ClientAddress::from_request(&headers, &extensions);
    upgrade
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, state.executor.clone(), protocol)
                .on_connection_init(move |payload| async move {
                    let headers = connection_headers(headers, &payload);
                    let viewer = state
                        .verifier
                        .viewer(&headers)
                        .await
                        .map_err(|error| error.extend())?;
                    let mut data = Data::default();
                    data.insert(viewer);
                    data.insert(address);
                    Ok(data)
                })
                .serve()
        })
}

/// The upgrade request's headers, overridden by the string entries of the `connection_init`
/// payload (browsers cannot set headers on a WebSocket, so clients put the token there).
fn connection_headers(mut headers: HeaderMap, payload: &serde_json::Value) -> HeaderMap {
    let entries = payload.as_object().into_iter().flatten();
    for (name, value) in entries {
        let Some(value) = value.as_str() else {
            continue;
        };
        let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes());
        if let (Ok(name), Ok(value)) = (name, HeaderValue::from_str(value)) {
            headers.insert(name, value);
        }
    }
    headers
}

/// `/health` answers while the process runs; `/ready` only while the database answers, so a
/// load balancer stops sending traffic to an instance that lost its database.
pub fn health_routes(db: DatabaseConnection) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .with_state(db)
}

async fn ready(State(db): State<DatabaseConnection>) -> impl IntoResponse {
    if crate::db::ping(&db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

/// GraphiQL with its files served by this process (`/graphiql/...`), so it works offline.
async fn graphiql() -> Response {
    commerce_graphiql::page("GraphiQL · commerce subgraph")
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, letting in-flight requests finish.
pub async fn serve(listener: TcpListener, app: Router) -> anyhow::Result<()> {
    serve_until(listener, app, shutdown_signal()).await
}

/// Serves until `shutdown` resolves; tests pass their own signal.
pub async fn serve_until(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // Connect info gives handlers the peer address (see `ClientAddress`).
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::{Context, EmptyMutation, EmptySubscription, Object};
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    use super::*;
    use crate::auth::{AccessClaims, SigningKey, SubjectKind};
    use crate::viewer::Viewer;

    struct Query;

    #[Object]
    impl Query {
        async fn whoami(&self, ctx: &Context<'_>) -> String {
            format!("{:?}", ctx.data_unchecked::<Viewer>())
        }
    }

    async fn post(app: Router, authorization: Option<&str>) -> serde_json::Value {
        let mut request = Request::post("/graphql").header("content-type", "application/json");
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let request = request
            .body(Body::from(r#"{"query":"{ whoami }"}"#))
            .expect("request");
        let response = app.oneshot(request).await.expect("response");
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .expect("body");
        serde_json::from_slice(&body).expect("json")
    }

    #[tokio::test]
    async fn puts_the_verified_viewer_into_each_request() {
        let key = SigningKey::generate().expect("key");
        let verifier = Arc::new(Verifier::with_keys(
            &[key.public_key().clone()],
            "commerce",
            "commerce",
        ));
        let db = sea_orm::Database::connect("sqlite::memory:")
            .await
            .expect("db");
        let schema = Schema::new(Query, EmptyMutation, EmptySubscription);
        let app = graphql_app(schema, db, verifier);
        let now = i64::try_from(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .expect("after 1970")
                .as_secs(),
        )
        .expect("fits");
        let token = key
            .sign(&AccessClaims {
                sub: "s1".into(),
                kind: SubjectKind::Staff,
                iss: "commerce".into(),
                aud: "commerce".into(),
                iat: now,
                exp: now + 60,
                jti: None,
                groups: vec![],
                permissions: vec!["orders:read".into()],
            })
            .expect("signs");

        let anonymous = post(app.clone(), None).await;
        assert_eq!(anonymous["data"]["whoami"], "Anonymous");
        let staff = post(app.clone(), Some(&format!("Bearer {token}"))).await;
        assert_eq!(
            staff["data"]["whoami"],
            r#"Staff { id: "s1", permissions: ["orders:read"] }"#
        );
        let invalid = post(app, Some("Bearer not.a.token")).await;
        assert_eq!(
            invalid["errors"][0]["extensions"]["code"],
            "UNAUTHENTICATED"
        );
        assert_eq!(invalid["data"], serde_json::Value::Null);
    }
}
