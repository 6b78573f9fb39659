//! GraphQL over WebSocket, the `graphql-transport-ws` protocol (graphql-ws): `GET /graphql`
//! upgraded with that subprotocol. `connection_init` (within
//! `subscriptions.connection_init_timeout_ms`, its payload's string entries taken as headers,
//! so `{"authorization": "Bearer ..."}` authenticates like the header) → `connection_ack`,
//! then any number of `subscribe` (each answered by `next`… and `complete`, or by `error`)
//! and `complete` from the client, `ping`/`pong` both ways.
//!
//! A connection holds at most `subscriptions.max_per_connection` subscriptions, and at most
//! `subscriptions.buffer` messages waiting for the client: one that lets more pile up is
//! too slow, and is closed (4429, `SUBSCRIPTION_CLIENT_TOO_SLOW`). Router shutdown completes
//! every subscription and closes with 1001.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, header};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tracing::debug;

use super::{Media, forwarded, parse_request, request_error};
use crate::auth::AuthContext;
use crate::error::{ErrorCode, GraphQLError};
use crate::subscriptions::{Message as Event, Started, WEBSOCKET_BUFFER_BYTES, errors_json};
use crate::{GraphQLRequest, Outcome, RouterState};

pub(super) const PROTOCOL: &str = "graphql-transport-ws";

/// Whether a GET asks to become a WebSocket.
pub(super) fn is_upgrade(headers: &HeaderMap) -> bool {
    headers
        .get(header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"))
}

/// Accepts the upgrade when the client speaks `graphql-transport-ws`.
pub(super) fn upgrade(
    state: Arc<RouterState>,
    headers: HeaderMap,
    upgrade: WebSocketUpgrade,
) -> Response {
    if !state.config().subscriptions.enabled {
        let message = "Subscriptions are not enabled on this router";
        return request_error(Media::Json, message, ErrorCode::BadRequest);
    }
    let offered = headers
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim() == PROTOCOL);
    if !offered {
        let message = format!("WebSocket clients must use the {PROTOCOL} subprotocol");
        return request_error(Media::Json, &message, ErrorCode::BadRequest);
    }
    let max_message = state.config().body_limit;
    upgrade
        .protocols([PROTOCOL])
        .max_message_size(max_message)
        .read_buffer_size(WEBSOCKET_BUFFER_BYTES)
        .write_buffer_size(WEBSOCKET_BUFFER_BYTES)
        .on_upgrade(move |socket| async move {
            let _open = state.subscriptions().connection();
            Connection::new(state, socket).run(headers).await;
        })
}

/// What a subscription's task hands the connection to write.
enum Outbound {
    Next(Arc<str>, Bytes),
    /// The subscription's last message: an error, or `complete` (`None`).
    Last(Arc<str>, Option<Bytes>),
}

/// Why the connection closes: a graphql-transport-ws close code and reason.
struct Close(u16, String);

struct Connection {
    state: Arc<RouterState>,
    socket: WebSocket,
    /// Cancelled when a subscription finds the client's queue full.
    too_slow: CancellationToken,
}

impl Connection {
    fn new(state: Arc<RouterState>, socket: WebSocket) -> Self {
        Self {
            state,
            socket,
            too_slow: CancellationToken::new(),
        }
    }

    async fn run(mut self, headers: HeaderMap) {
        let close = match self.initialise(headers).await {
            Ok((auth, forward)) => self.serve(auth, forward).await,
            Err(close) => close,
        };
        debug!(code = close.0, reason = %close.1, "subscription connection closed");
        let frame = CloseFrame {
            code: close.0,
            reason: close.1.into(),
        };
        // A client that reads nothing is not waited for.
        let goodbye = self.socket.send(Message::Close(Some(frame)));
        let _ = tokio::time::timeout(Duration::from_secs(1), goodbye).await;
    }

    /// `connection_init` → authentication → `connection_ack`.
    async fn initialise(
        &mut self,
        mut headers: HeaderMap,
    ) -> Result<(AuthContext, Vec<(HeaderName, HeaderValue)>), Close> {
        let timeout = self
            .state
            .subscriptions()
            .config()
            .connection_init_timeout();
        let init = match tokio::time::timeout(timeout, self.receive()).await {
            Err(_) => return Err(Close(4408, "Connection initialisation timeout".into())),
            Ok(None) => return Err(Close(1000, "Normal closure".into())),
            Ok(Some(message)) => message,
        };
        if init.get("type").and_then(Value::as_str) != Some("connection_init") {
            return Err(Close(4401, "Unauthorized".into()));
        }
        let entries = init.get("payload").and_then(Value::as_object);
        for (name, value) in entries.into_iter().flatten() {
            let Some(value) = value.as_str() else {
                continue;
            };
            let name = HeaderName::from_bytes(name.to_ascii_lowercase().as_bytes());
            if let (Ok(name), Ok(value)) = (name, HeaderValue::from_str(value)) {
                headers.insert(name, value);
            }
        }
        let auth = match self.state.authenticate(&headers).await {
            Ok(auth) => auth,
            Err(_) => return Err(Close(4403, "Forbidden".into())),
        };
        let forward = forwarded(&self.state, &headers);
        if !self.write(r#"{"type":"connection_ack"}"#.into()).await {
            return Err(Close(1000, "Normal closure".into()));
        }
        Ok((auth, forward))
    }

    /// The next JSON message, `None` when the client is gone.
    async fn receive(&mut self) -> Option<Value> {
        loop {
            match self.socket.recv().await? {
                Ok(Message::Text(text)) => {
                    return Some(serde_json::from_str(text.as_str()).unwrap_or(Value::Null));
                }
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Writes one message; false when the client is gone or was found too slow.
    async fn write(&mut self, text: String) -> bool {
        let too_slow = self.too_slow.clone();
        tokio::select! {
            sent = self.socket.send(Message::Text(text.into())) => sent.is_ok(),
            () = too_slow.cancelled() => false,
        }
    }

    async fn serve(&mut self, auth: AuthContext, forward: Vec<(HeaderName, HeaderValue)>) -> Close {
        let config = self.state.subscriptions().config().clone();
        let (outbound, mut queued) = mpsc::channel::<Outbound>(config.buffer.max(2));
        let shutdown = self.state.subscriptions().shutdown_token().clone();
        let mut running: HashMap<Arc<str>, CancellationToken> = HashMap::new();
        let close = loop {
            let too_slow = self.too_slow.clone();
            tokio::select! {
                message = self.receive() => {
                    let Some(message) = message else {
                        break Close(1000, "Normal closure".into());
                    };
                    let step = self.client_message(message, &mut running, &auth, &forward, &outbound);
                    if let Err(close) = step.await {
                        break close;
                    }
                }
                Some(out) = queued.recv() => {
                    let text = match out {
                        Outbound::Next(id, payload) => frame(&id, "next", Some(&payload)),
                        Outbound::Last(id, error) => {
                            // Not sent for a subscription the client completed itself.
                            if running.remove(&id).is_none() {
                                continue;
                            }
                            match error {
                                Some(errors) => frame(&id, "error", Some(&errors)),
                                None => frame(&id, "complete", None),
                            }
                        }
                    };
                    if !self.write(text).await {
                        break self.lost();
                    }
                }
                () = too_slow.cancelled() => break self.lost(),
                () = shutdown.cancelled() => {
                    for id in running.keys() {
                        if !self.write(frame(id, "complete", None)).await {
                            break;
                        }
                    }
                    break Close(1001, "Router shutting down".into());
                }
            }
        };
        for cancel in running.values() {
            cancel.cancel();
        }
        close
    }

    /// The close of a connection whose writes failed: gone, or too slow.
    fn lost(&self) -> Close {
        if self.too_slow.is_cancelled() {
            let reason = format!(
                "{}: more than {} messages waiting",
                ErrorCode::SubscriptionClientTooSlow.as_str(),
                self.state.subscriptions().config().buffer
            );
            Close(4429, reason)
        } else {
            Close(1000, "Normal closure".into())
        }
    }

    async fn client_message(
        &mut self,
        message: Value,
        running: &mut HashMap<Arc<str>, CancellationToken>,
        auth: &AuthContext,
        forward: &[(HeaderName, HeaderValue)],
        outbound: &mpsc::Sender<Outbound>,
    ) -> Result<(), Close> {
        let id = message.get("id").and_then(Value::as_str);
        match (message.get("type").and_then(Value::as_str), id) {
            (Some("subscribe"), Some(id)) => {
                let id: Arc<str> = id.into();
                if running.contains_key(&id) {
                    return Err(Close(4409, format!("Subscriber for {id} already exists")));
                }
                let max = self.state.subscriptions().config().max_per_connection;
                if max > 0 && running.len() >= max {
                    let error = GraphQLError::with_code(
                        format!("A connection holds at most {max} subscriptions"),
                        ErrorCode::SubscriptionLimitExceeded,
                    );
                    let errors = errors_json(&[error]);
                    self.write(frame(&id, "error", Some(&errors))).await;
                    return Ok(());
                }
                let payload = message.get("payload").cloned().unwrap_or(Value::Null);
                let request = match parse_request(payload) {
                    Ok(request) => GraphQLRequest {
                        forward_headers: forward.to_vec(),
                        auth: auth.clone(),
                        ..request
                    },
                    Err(message) => {
                        let error = GraphQLError::with_code(message, ErrorCode::BadRequest);
                        let errors = errors_json(&[error]);
                        self.write(frame(&id, "error", Some(&errors))).await;
                        return Ok(());
                    }
                };
                let cancel = CancellationToken::new();
                running.insert(id.clone(), cancel.clone());
                let task = SubscriptionTask {
                    state: self.state.clone(),
                    id,
                    outbound: outbound.clone(),
                    too_slow: self.too_slow.clone(),
                    cancel,
                };
                tokio::spawn(task.run(request));
                Ok(())
            }
            (Some("complete"), Some(id)) => {
                if let Some(cancel) = running.remove(id) {
                    cancel.cancel();
                }
                Ok(())
            }
            (Some("ping"), _) => {
                self.write(r#"{"type":"pong"}"#.into()).await;
                Ok(())
            }
            (Some("pong"), _) => Ok(()),
            (Some("connection_init"), _) => {
                Err(Close(4429, "Too many initialisation requests".into()))
            }
            _ => Err(Close(4400, "Invalid message".into())),
        }
    }
}

/// One subscription of a connection, run on its own task.
struct SubscriptionTask {
    state: Arc<RouterState>,
    id: Arc<str>,
    outbound: mpsc::Sender<Outbound>,
    too_slow: CancellationToken,
    cancel: CancellationToken,
}

impl SubscriptionTask {
    async fn run(self, request: GraphQLRequest) {
        let started = tokio::select! {
            started = self.state.start_stream(request, true) => started,
            () = self.cancel.cancelled() => return,
        };
        let last = match started {
            Err(outcome) => Some(Event::from_outcome(outcome)),
            Ok(Started::Single(Outcome::Executed(body))) => {
                self.deliver(Event::Next(body));
                None
            }
            Ok(Started::Single(outcome)) => Some(Event::from_outcome(outcome)),
            Ok(Started::Subscription(subscription)) => {
                let emit = |event| self.deliver(event);
                subscription
                    .run(emit, self.cancel.clone().cancelled_owned())
                    .await
            }
        };
        if self.cancel.is_cancelled() || self.too_slow.is_cancelled() {
            return;
        }
        let error = match last {
            Some(Event::Error(errors)) => Some(errors),
            _ => None,
        };
        // One last message per subscription: it waits for room.
        let _ = self.outbound.send(Outbound::Last(self.id, error)).await;
    }

    /// Queues an event for the client; false (and the connection marked too slow) when its
    /// queue is full. One place stays free for the last messages.
    fn deliver(&self, event: Event) -> bool {
        let Event::Next(payload) = event else {
            return true;
        };
        if self.outbound.capacity() <= 1 {
            self.too_slow.cancel();
            return false;
        }
        self.outbound
            .try_send(Outbound::Next(self.id.clone(), payload))
            .is_ok()
    }
}

/// A protocol message: `{"id":…,"type":…,"payload":…}` with the payload's JSON as is.
fn frame(id: &str, kind: &str, payload: Option<&Bytes>) -> String {
    let id = Value::from(id).to_string();
    match payload {
        Some(payload) => format!(
            r#"{{"id":{id},"type":"{kind}","payload":{}}}"#,
            String::from_utf8_lossy(payload)
        ),
        None => format!(r#"{{"id":{id},"type":"{kind}"}}"#),
    }
}
