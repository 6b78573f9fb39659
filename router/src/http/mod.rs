//! GraphQL over HTTP: POST and GET on `/graphql`, GraphiQL for browsers, `/health` and
//! `/ready`, body limits, CORS, compression and a request id on every response. Streams on
//! the same path: WebSocket upgrades (`websocket.rs`) and `Accept: text/event-stream`
//! (`sse.rs`) for subscriptions.

mod graphiql;
mod multipart;
pub mod server;
mod sse;
mod websocket;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ws::{WebSocketUpgrade, rejection::WebSocketUpgradeRejection};
use axum::extract::{Extension, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, StatusCode, header};
use serde_json::{Map, Value};
use tower_http::CompressionLevel;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::cors::{AllowOrigin, Any, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::info_span;

use crate::apq::PersistedQuery;
use crate::auth::AuthContext;
use crate::error::{ErrorCode, GraphQLError, errors_body};
use crate::{GraphQLRequest, Outcome, RouterState};

const GRAPHQL_RESPONSE_JSON: &str = "application/graphql-response+json; charset=utf-8";
const APPLICATION_JSON: &str = "application/json; charset=utf-8";

/// The router's HTTP application; bind it to any listener, or drive it with `oneshot`.
pub fn app(state: Arc<RouterState>) -> Router {
    let config = state.config().clone();
    let mut router = Router::new().route("/graphql", get(graphql_get).post(graphql_post));
    // Only when configured: the layer costs every request an allocation and a few moves.
    if state.rate_limiter().is_some() {
        router = router.route_layer(axum::middleware::from_fn_with_state(state.clone(), limit));
    }
    let mut router = router
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), measure))
        .route("/health", get(health))
        .route("/ready", get(ready))
        .merge(commerce_graphiql::routes());
    if state.cache_store().is_some() && config.response_cache.invalidation_token.is_some() {
        let path = config.response_cache.invalidation_path.clone();
        router = router.route(&path, axum::routing::post(invalidation));
    }
    if config.telemetry.metrics {
        router = router.route(&config.telemetry.metrics_path, get(metrics));
    }
    let router = router.with_state(state);
    let router = if config.cors.enabled {
        router.layer(cors(&config.cors))
    } else {
        router
    };
    router
        // Fastest levels: on large JSON they keep most of the size win for a fraction of CPU.
        // Never `@defer`'s parts: the encoder would hold the first one back until the last.
        .layer(
            CompressionLayer::new()
                .quality(CompressionLevel::Fastest)
                .compress_when(
                    DefaultPredicate::new().and(NotForContentType::const_new("multipart/mixed")),
                ),
        )
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<Body>| {
                let id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                let (method, path) = (request.method(), request.uri().path());
                if !commerce_otel::enabled() {
                    return info_span!("request", %method, %path, request_id = %id);
                }
                let span = info_span!(
                    "request",
                    %method,
                    %path,
                    request_id = %id,
                    otel.kind = "server",
                    commerce.service = "router",
                );
                // A client's trace, continued.
                commerce_otel::continue_trace(&span, request.headers());
                span
            }),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}

fn cors(config: &crate::config::CorsConfig) -> CorsLayer {
    let layer = CorsLayer::new()
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .max_age(Duration::from_secs(config.max_age_secs));
    if config.allow_origins.iter().any(|o| o == "*") {
        layer.allow_origin(Any).allow_headers(Any)
    } else {
        let origins: Vec<HeaderValue> = config
            .allow_origins
            .iter()
            .filter_map(|o| HeaderValue::from_str(o).ok())
            .collect();
        layer
            .allow_origin(AllowOrigin::list(origins))
            .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
            .allow_credentials(config.allow_credentials)
    }
}

async fn health() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, APPLICATION_JSON)],
        r#"{"status":"ok"}"#,
    )
}

async fn ready(State(state): State<Arc<RouterState>>) -> impl IntoResponse {
    let subgraphs = state.schema().subgraph_urls.len();
    (
        [(header::CONTENT_TYPE, APPLICATION_JSON)],
        format!(r#"{{"status":"ready","subgraphs":{subgraphs}}}"#),
    )
}

/// Which media type the client accepts for the response.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Media {
    GraphQLResponse,
    Json,
}

fn negotiate(headers: &HeaderMap) -> Media {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    // The first listed of the two wins; legacy clients (no Accept, */*) get application/json.
    let graphql = accept.find("application/graphql-response+json");
    let json = accept.find("application/json");
    match (graphql, json) {
        (Some(g), Some(j)) if j < g => Media::Json,
        (Some(_), _) => Media::GraphQLResponse,
        _ => Media::Json,
    }
}

fn respond(status: StatusCode, media: Media, body: Bytes) -> Response {
    let content_type = match media {
        Media::GraphQLResponse => GRAPHQL_RESPONSE_JSON,
        Media::Json => APPLICATION_JSON,
    };
    (status, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// The one answer to a request that failed as a whole: its status comes from its code.
fn request_error(media: Media, message: &str, code: ErrorCode) -> Response {
    let body = errors_body(&[GraphQLError::with_code(message, code)]);
    respond(code.status(), media, Bytes::from(body))
}

fn outcome_response(outcome: Outcome, media: Media) -> Response {
    match outcome {
        Outcome::Executed(body) => respond(StatusCode::OK, media, body),
        // application/json keeps 200 for document errors (the legacy behaviour clients expect).
        Outcome::RequestError(body) => {
            let status = match media {
                Media::GraphQLResponse => StatusCode::BAD_REQUEST,
                Media::Json => StatusCode::OK,
            };
            respond(status, media, body)
        }
        Outcome::MethodNotAllowed(body) => {
            let mut response = respond(StatusCode::METHOD_NOT_ALLOWED, media, body);
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("POST"));
            response
        }
        Outcome::ServerError(body) => respond(StatusCode::INTERNAL_SERVER_ERROR, media, body),
        Outcome::Unauthenticated(body) => respond(StatusCode::UNAUTHORIZED, media, body),
        Outcome::Timeout(body) => respond(StatusCode::GATEWAY_TIMEOUT, media, body),
    }
}

/// Counts and times each GraphQL request by its status.
async fn measure(
    State(state): State<Arc<RouterState>>,
    request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    state
        .metrics()
        .http_request(response.status(), started.elapsed());
    response
}

/// What authenticating the request gave, when the rate limiter did it (a token's tier needs
/// its verified claims): handlers take it from the request's extensions instead of verifying
/// the token again.
#[derive(Clone)]
struct Authenticated(Result<AuthContext, Outcome>);

/// Who is asking: verified once per request, by the rate limiter when limits are on.
async fn authenticate(
    state: &RouterState,
    headers: &HeaderMap,
    done: Option<Extension<Authenticated>>,
) -> Result<AuthContext, Outcome> {
    match done {
        Some(Extension(Authenticated(result))) => result,
        None => state.authenticate(headers).await,
    }
}

/// Answers 429 (with `Retry-After`) when the client is over its tier's rate limit. A token
/// that does not verify counts as no token (its 401 comes from the handler, as without limits).
async fn limit(
    State(state): State<Arc<RouterState>>,
    mut request: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let Some(limiter) = state.rate_limiter() else {
        return next.run(request).await; // not layered without a limiter
    };
    // A WebSocket authenticates with its `connection_init`: the upgrade counts by its header
    // token when it has one, which the connection verifies again with the payload's headers.
    let auth = state.authenticate(request.headers()).await;
    let client = limiter.client(
        request.headers(),
        request.extensions().get(),
        auth.as_ref().ok(),
    );
    let Err(wait) = limiter.check(&client).await else {
        request.extensions_mut().insert(Authenticated(auth));
        return next.run(request).await;
    };
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    retry_later(
        negotiate(request.headers()),
        &format!("Too many requests: retry in {seconds} s"),
        ErrorCode::RateLimited,
        seconds,
    )
}

/// An error that tells the client when to try again (`extensions.retryAfterSeconds`).
fn retry_error(message: &str, code: ErrorCode, seconds: u64) -> GraphQLError {
    let mut error = GraphQLError::with_code(message, code);
    error
        .extensions
        .insert("retryAfterSeconds".into(), Value::from(seconds));
    error
}

/// An answer that tells the client when to try again, in `Retry-After` too.
fn retry_later(media: Media, message: &str, code: ErrorCode, seconds: u64) -> Response {
    let error = retry_error(message, code, seconds);
    let mut response = respond(code.status(), media, Bytes::from(errors_body(&[error])));
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// The answer to a request past `server.max_concurrent_requests`: shed at once, so a burst
/// costs the router almost nothing instead of queueing work nobody will wait for.
fn overloaded(media: Media) -> Response {
    retry_later(
        media,
        "The router is at its limit of concurrent requests: retry in 1 s",
        ErrorCode::ServiceOverloaded,
        1,
    )
}

/// Tells hyper to close the connection after this response: the rest of the request body
/// was not read.
fn closing(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Reads a POST body within `body_limit` and `server.body_read_timeout_ms`. A declared
/// length over the limit is refused before any of the body is read, and a body without one
/// once it passes the limit, so an oversized body is never buffered whole.
async fn read_body(
    config: &crate::Config,
    headers: &HeaderMap,
    body: Body,
    media: Media,
) -> Result<Bytes, Response> {
    let limit = config.body_limit;
    let too_large = || {
        let message = format!("Request body larger than the {limit}-byte limit");
        let response = request_error(media, &message, ErrorCode::PayloadTooLarge);
        closing(response)
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|length| length > limit as u64) {
        return Err(too_large());
    }
    let read = axum::body::to_bytes(body, limit);
    let read = match config.server.body_read_timeout() {
        Some(deadline) => tokio::time::timeout(deadline, read).await.map_err(|_| {
            let message = format!(
                "Request body not received within {} ms",
                deadline.as_millis()
            );
            closing(request_error(media, &message, ErrorCode::RequestTimeout))
        })?,
        None => read.await,
    };
    read.map_err(|error| {
        if error.into_inner().is::<http_body_util::LengthLimitError>() {
            too_large()
        } else {
            // The client went away or sent a malformed body (chunked encoding).
            let message = "Failed to read the request body";
            closing(request_error(media, message, ErrorCode::BadRequest))
        }
    })
}

async fn metrics(State(state): State<Arc<RouterState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics().render(),
    )
        .into_response()
}

async fn graphql_get(
    State(state): State<Arc<RouterState>>,
    headers: HeaderMap,
    authenticated: Option<Extension<Authenticated>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
    Query(params): Query<Vec<(String, String)>>,
) -> Response {
    let media = negotiate(&headers);
    if websocket::is_upgrade(&headers) {
        return match upgrade {
            Ok(upgrade) => websocket::upgrade(state, headers, upgrade),
            Err(rejection) => rejection.into_response(),
        };
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if wants_html && param("query").is_none() && state.config().graphiql {
        return graphiql::page();
    }
    let variables = match param("variables") {
        None | Some("") => Map::new(),
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(map)) => map,
            Ok(Value::Null) => Map::new(),
            _ => {
                return request_error(
                    media,
                    "Invalid variables: `variables` must be a JSON object",
                    ErrorCode::BadRequest,
                );
            }
        },
    };
    let extensions = match param("extensions").filter(|e| !e.is_empty()) {
        None => Value::Null,
        Some(raw) => match serde_json::from_str::<Value>(raw) {
            Ok(value @ (Value::Object(_) | Value::Null)) => value,
            _ => {
                return request_error(
                    media,
                    "Invalid extensions: `extensions` must be a JSON object",
                    ErrorCode::BadRequest,
                );
            }
        },
    };
    let persisted_query = match PersistedQuery::from_extensions(&extensions) {
        Ok(persisted) => persisted,
        Err(message) => {
            return request_error(media, &message, ErrorCode::BadRequest);
        }
    };
    let query = param("query").filter(|q| !q.is_empty());
    if query.is_none() && persisted_query.is_none() {
        return request_error(
            media,
            "Missing query: send the `query` parameter",
            ErrorCode::BadRequest,
        );
    }
    let Some(_admitted) = state.admit() else {
        return overloaded(media);
    };
    let auth = match authenticate(&state, &headers, authenticated).await {
        Ok(auth) => auth,
        Err(outcome) => return outcome_response(outcome, media),
    };
    let request = GraphQLRequest {
        query: query.unwrap_or_default().to_string(),
        operation_name: param("operationName")
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        variables,
        forward_headers: forwarded(&state, &headers),
        persisted_query,
        auth,
    };
    if crate::defer::mentions_defer(&request.query) {
        return multipart::respond(&state, request, &headers, media, false).await;
    }
    if sse::wants_event_stream(&headers) {
        return sse::respond(&state, request, false, media).await;
    }
    cached_response(state.execute_cached(request, false).await, media)
}

async fn graphql_post(
    State(state): State<Arc<RouterState>>,
    headers: HeaderMap,
    authenticated: Option<Extension<Authenticated>>,
    body: Body,
) -> Response {
    let media = negotiate(&headers);
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if essence.is_empty() {
        return request_error(
            media,
            "Missing Content-Type: send `application/json`",
            ErrorCode::UnsupportedMediaType,
        );
    }
    if essence != "application/json" && essence != "application/graphql-response+json" {
        return request_error(
            media,
            &format!("Unsupported Content-Type `{essence}`: send `application/json`"),
            ErrorCode::UnsupportedMediaType,
        );
    }
    let bytes = match read_body(state.config(), &headers, body, media).await {
        Ok(bytes) => bytes,
        Err(refusal) => return refusal,
    };
    // With batching off, an array is refused before its operations are parsed: parsing a
    // large one costs a millisecond.
    let batch = bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[');
    if batch && !state.config().batching.enabled {
        return request_error(
            Media::Json,
            "Batched requests are not enabled: send one operation per request",
            ErrorCode::BadRequest,
        );
    }
    let Some(_admitted) = state.admit() else {
        return overloaded(media);
    };
    let auth = match authenticate(&state, &headers, authenticated).await {
        Ok(auth) => auth,
        Err(outcome) => return outcome_response(outcome, media),
    };
    let value: Value = match serde_json::from_slice(&bytes) {
        Ok(value) => value,
        Err(e) => {
            let message = format!("Invalid JSON body: {e}");
            return request_error(media, &message, ErrorCode::BadRequest);
        }
    };
    let forward_headers = forwarded(&state, &headers);
    if let Value::Array(operations) = value {
        return graphql_batch(&state, operations, forward_headers, auth).await;
    }
    let request = match parse_request(value) {
        Ok(request) => GraphQLRequest {
            forward_headers,
            auth,
            ..request
        },
        Err(message) => {
            return request_error(media, &message, ErrorCode::BadRequest);
        }
    };
    // Before the event stream: urql accepts both and reads `@defer` from either.
    if crate::defer::mentions_defer(&request.query) {
        return multipart::respond(&state, request, &headers, media, true).await;
    }
    if sse::wants_event_stream(&headers) {
        return sse::respond(&state, request, true, media).await;
    }
    cached_response(state.execute_cached(request, true).await, media)
}

/// The response to an outcome, with `x-cache` when the response cache is on.
fn cached_response(
    (outcome, status): (Outcome, Option<crate::response_cache::CacheStatus>),
    media: Media,
) -> Response {
    let mut response = outcome_response(outcome, media);
    if let Some(status) = status {
        response
            .headers_mut()
            .insert("x-cache", HeaderValue::from_static(status.as_str()));
    }
    response
}

/// `POST <response_cache.invalidation_path>` with `Authorization: Bearer <token>` and a JSON
/// array of invalidations (see [`crate::response_cache`]): answers `{"invalidated": n}`.
async fn invalidation(
    State(state): State<Arc<RouterState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let expected = state.config().response_cache.invalidation_token.clone();
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let authorized = match (expected.as_deref(), given) {
        (Some(expected), Some(given)) => {
            // Compared in constant time: the token guards a way to empty the cache.
            expected.len() == given.len()
                && expected
                    .bytes()
                    .zip(given.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        _ => false,
    };
    if !authorized {
        return request_error(
            Media::Json,
            "Invalid invalidation token",
            ErrorCode::Unauthenticated,
        );
    }
    let entries: Vec<crate::response_cache::Invalidation> = match serde_json::from_slice(&body) {
        Ok(entries) => entries,
        Err(e) => {
            let message = format!("Invalid invalidation body: {e}");
            return request_error(Media::Json, &message, ErrorCode::BadRequest);
        }
    };
    let dropped = state.invalidate(&entries, "endpoint").await;
    (
        [(header::CONTENT_TYPE, APPLICATION_JSON)],
        format!(r#"{{"invalidated":{dropped}}}"#),
    )
        .into_response()
}

/// A JSON array of requests (Apollo Client's `BatchHttpLink`), when batching is on: they run
/// concurrently and the answer is the array of their responses, in order (always 200).
async fn graphql_batch(
    state: &Arc<RouterState>,
    operations: Vec<Value>,
    forward_headers: Vec<(http::HeaderName, HeaderValue)>,
    auth: AuthContext,
) -> Response {
    let batching = &state.config().batching;
    if operations.is_empty() || operations.len() > batching.max_size {
        let message = format!("A batch holds 1 to {} operations", batching.max_size);
        return request_error(Media::Json, &message, ErrorCode::BadRequest);
    }
    let responses = futures::future::join_all(operations.into_iter().map(|operation| {
        let request = parse_request(operation).map(|request| GraphQLRequest {
            forward_headers: forward_headers.clone(),
            auth: auth.clone(),
            ..request
        });
        async move {
            match request {
                Ok(request) => state.execute(request, true).await.into_body(),
                Err(message) => Bytes::from(errors_body(&[GraphQLError::with_code(
                    message,
                    ErrorCode::BadRequest,
                )])),
            }
        }
    }))
    .await;
    let mut body = Vec::with_capacity(responses.iter().map(|r| r.len() + 1).sum::<usize>() + 1);
    crate::json::write_raw_array(&mut body, &responses);
    respond(StatusCode::OK, Media::Json, Bytes::from(body))
}

/// Reads one request of a POST body: `{query, operationName?, variables?, extensions?}`.
fn parse_request(value: Value) -> Result<GraphQLRequest, String> {
    let Value::Object(mut body) = value else {
        return Err("Invalid request body: expected a JSON object".to_string());
    };
    let persisted_query = match body.remove("extensions") {
        None | Some(Value::Null) => None,
        Some(extensions @ Value::Object(_)) => PersistedQuery::from_extensions(&extensions)?,
        Some(_) => return Err("Invalid extensions: `extensions` must be a JSON object".to_string()),
    };
    let query = match body.remove("query") {
        Some(Value::String(q)) if !q.is_empty() => q,
        // With a persisted query the router may know the document by its hash.
        None | Some(Value::Null) if persisted_query.is_some() => String::new(),
        None | Some(Value::Null) | Some(Value::String(_)) => {
            return Err("Missing query: the body must contain a `query` string".to_string());
        }
        Some(_) => return Err("Invalid query: `query` must be a string".to_string()),
    };
    let operation_name = match body.remove("operationName") {
        None | Some(Value::Null) => None,
        Some(Value::String(name)) => Some(name).filter(|n| !n.is_empty()),
        Some(_) => return Err("Invalid operationName: must be a string".to_string()),
    };
    let variables = match body.remove("variables") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err("Invalid variables: `variables` must be a JSON object".to_string()),
    };
    Ok(GraphQLRequest {
        query,
        operation_name,
        variables,
        persisted_query,
        ..GraphQLRequest::default()
    })
}

/// The client headers the configuration says to pass on to subgraphs.
fn forwarded(state: &RouterState, headers: &HeaderMap) -> Vec<(http::HeaderName, HeaderValue)> {
    state
        .config()
        .forward_headers
        .iter()
        .filter_map(|name| {
            let name = http::HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes()).ok()?;
            let value = headers.get(&name)?.clone();
            Some((name, value))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_body_rejects_non_object_variables_and_missing_query() {
        let parse = |body: &str| parse_request(serde_json::from_str(body).expect("JSON"));
        assert!(parse(r#"{"query":"{a}","variables":[1]}"#).is_err());
        assert!(parse(r#"{"variables":{}}"#).is_err());
        assert!(parse(r#"{"query":1}"#).is_err());
        assert!(parse("[]").is_err());
        let ok =
            parse(r#"{"query":"{a}","operationName":null,"variables":null}"#).expect("valid body");
        assert_eq!(ok.query, "{a}");
        assert!(ok.operation_name.is_none());
    }

    #[test]
    fn negotiates_graphql_response_json_only_when_asked() {
        let mut headers = HeaderMap::new();
        assert!(negotiate(&headers) == Media::Json);
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/graphql-response+json, application/json"),
        );
        assert!(negotiate(&headers) == Media::GraphQLResponse);
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("application/json, application/graphql-response+json"),
        );
        assert!(negotiate(&headers) == Media::Json);
    }
}
