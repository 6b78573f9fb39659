//! `@defer` over HTTP: a query with deferred fragments answers `multipart/mixed` parts in the
//! incremental delivery format of `deferSpec=20220824` when the client accepts it (see
//! [`crate::defer`]), even if it accepts an event stream too (urql accepts both); otherwise it
//! runs whole, its fragments inlined, over the transport it would have had.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::{FutureExt, StreamExt};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::{Map, Value, json};

use super::{Media, cached_response, outcome_response};
use crate::{GraphQLRequest, Outcome, RouterState, defer};

const CONTENT_TYPE: &str = "multipart/mixed;boundary=\"graphql\";deferSpec=20220824";
const PART: &[u8] = b"\r\n--graphql\r\ncontent-type: application/json; charset=utf-8\r\n\r\n";
const END: &[u8] = b"\r\n--graphql--\r\n";

/// Whether the client reads incremental delivery (`Accept: multipart/mixed`, as Apollo Client
/// and urql send it with `deferSpec=20220824`).
pub(super) fn accepts_multipart(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|accept| accept.contains("multipart/mixed"))
}

/// Answers a request whose document mentions `@defer`; `allow_mutations` is false for GET.
pub(super) async fn respond(
    state: &Arc<RouterState>,
    request: GraphQLRequest,
    headers: &HeaderMap,
    media: Media,
    allow_mutations: bool,
) -> Response {
    // Parsed within the operation limits; a document that fails goes the usual way, which
    // reports why.
    let Ok(document) = state.parse_document(&request.query) else {
        return cached_response(state.execute_cached(request, allow_mutations).await, media);
    };
    let split = accepts_multipart(headers)
        .then(|| {
            defer::split(
                &document,
                request.operation_name.as_deref(),
                &request.variables,
            )
        })
        .flatten();
    // Rewritten documents are no longer the persisted one (its hash would not match).
    let rewritten = |query: String| GraphQLRequest {
        query,
        persisted_query: None,
        ..request.clone()
    };
    let Some(split) = split else {
        let whole = rewritten(defer::inlined(&document, &request.variables));
        if super::sse::wants_event_stream(headers) {
            return super::sse::respond(state, whole, allow_mutations, media).await;
        }
        return cached_response(state.execute_cached(whole, allow_mutations).await, media);
    };
    // Refused as the whole operation would be (a deferred fragment's invalid field would
    // otherwise only fail the last part); its plan is cached for the run below.
    let mut whole = rewritten(split.whole.clone());
    if let Err(refusal) = state.ready(&mut whole, allow_mutations, false).await {
        return outcome_response(refusal, media);
    }
    let (whole, whole_answer) = {
        let state = state.clone();
        let request = rewritten(split.whole);
        async move { state.execute(request, allow_mutations).await }.remote_handle()
    };
    // Dropping the response (the client left) drops `whole_answer`, which cancels it.
    tokio::spawn(whole);
    let primary = state
        .execute(rewritten(split.primary), allow_mutations)
        .await;
    let Outcome::Executed(body) = primary else {
        return outcome_response(primary, media);
    };
    let first = part(with_has_next(&body, true));
    let fragments = split.fragments;
    let rest = async move {
        let last = match whole_answer.await {
            Outcome::Executed(body) => {
                let whole: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                let incremental = defer::increments(&fragments, &whole);
                if incremental.is_empty() {
                    json!({ "hasNext": false })
                } else {
                    json!({ "incremental": incremental, "hasNext": false })
                }
            }
            other => {
                let body: Value = serde_json::from_slice(&other.into_body()).unwrap_or_default();
                json!({ "errors": body["errors"], "hasNext": false })
            }
        };
        let mut bytes = part(Bytes::from(last.to_string())).to_vec();
        bytes.extend_from_slice(END);
        Ok::<_, std::convert::Infallible>(Bytes::from(bytes))
    };
    let parts = futures::stream::once(async move { Ok(first) }).chain(futures::stream::once(rest));
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(parts),
    )
        .into_response()
}

fn part(json: Bytes) -> Bytes {
    let mut bytes = Vec::with_capacity(PART.len() + json.len());
    bytes.extend_from_slice(PART);
    bytes.extend_from_slice(&json);
    Bytes::from(bytes)
}

/// A response body with `hasNext`.
fn with_has_next(body: &Bytes, has_next: bool) -> Bytes {
    let mut value: Map<String, Value> = serde_json::from_slice(body).unwrap_or_default();
    value.insert("hasNext".into(), Value::Bool(has_next));
    Bytes::from(Value::Object(value).to_string())
}
