//! GraphQL over Server-Sent Events, "distinct connections mode": a POST (or, for queries and
//! subscriptions, a GET) to `/graphql` with `Accept: text/event-stream` runs one operation
//! and streams its results as `event: next` messages, then `event: complete`. A request that
//! fails as a whole before any result (parse, validation, limits, authentication, the
//! subgraph unreachable) gets the plain HTTP answer it would get without streaming. An error
//! later (the subgraph's connection dropped, the client too slow) is sent as a last `next`
//! whose payload has only `errors`, before `complete`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use http::{HeaderMap, StatusCode, header};
use tokio::sync::mpsc;

use super::{Media, outcome_response};
use crate::error::{ErrorCode, GraphQLError};
use crate::subscriptions::{Message, Started, errors_json};
use crate::{GraphQLRequest, Outcome, RouterState};

/// Whether the client asks for an event stream.
pub(super) fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|accept| accept.contains("text/event-stream"))
}

/// Runs `request` and answers with its event stream.
pub(super) async fn respond(
    state: &Arc<RouterState>,
    request: GraphQLRequest,
    allow_mutations: bool,
    media: Media,
) -> Response {
    // The caller holds the request's admission until the stream starts; the stream itself
    // is bounded by `subscriptions.max_total`.
    let subscription = match state.start_stream(request, allow_mutations).await {
        Err(outcome) => return outcome_response(outcome, media),
        Ok(Started::Single(Outcome::Executed(body))) => {
            let mut events = event("next", &body).to_vec();
            events.extend_from_slice(&event("complete", b""));
            return stream_response(Body::from(events));
        }
        Ok(Started::Single(outcome)) => return outcome_response(outcome, media),
        Ok(Started::Subscription(subscription)) => subscription,
    };
    let buffer = state.subscriptions().config().buffer.max(2);
    let (events, queued) = mpsc::channel::<Bytes>(buffer);
    tokio::spawn(async move {
        let mut too_slow = false;
        let emit = |message| {
            let Message::Next(payload) = message else {
                return true;
            };
            // One place stays free for the last messages.
            if events.capacity() <= 1 {
                too_slow = true;
                return false;
            }
            events.try_send(event("next", &payload)).is_ok()
        };
        let gone = events.clone();
        let last = subscription
            .run(emit, async move { gone.closed().await })
            .await;
        let error = match last {
            Some(Message::Error(errors)) => Some(errors),
            _ if too_slow => Some(errors_json(&[GraphQLError::with_code(
                format!("The client let more than {buffer} events wait: dropped"),
                ErrorCode::SubscriptionClientTooSlow,
            )])),
            _ => None,
        };
        if let Some(errors) = error {
            let mut payload = b"{\"errors\":".to_vec();
            payload.extend_from_slice(&errors);
            payload.push(b'}');
            let _ = events.send(event("next", &payload)).await;
        }
        let _ = events.send(event("complete", b"")).await;
    });
    let body = futures::stream::unfold(queued, |mut queued| async move {
        let event = queued.recv().await?;
        Some((Ok::<_, Infallible>(event), queued))
    });
    stream_response(Body::from_stream(body))
}

fn stream_response(body: Body) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// One event: `event: <kind>` and its data line (the JSON has no newline).
fn event(kind: &str, data: &[u8]) -> Bytes {
    let mut bytes = Vec::with_capacity(data.len() + kind.len() + 16);
    bytes.extend_from_slice(b"event: ");
    bytes.extend_from_slice(kind.as_bytes());
    bytes.extend_from_slice(b"\ndata: ");
    bytes.extend_from_slice(data);
    bytes.extend_from_slice(b"\n\n");
    Bytes::from(bytes)
}
