//! The subgraph side of subscriptions: `graphql-transport-ws` clients on subgraphs' URLs
//! (`http` → `ws`), multiplexed. Subscriptions to the same URL with the same forwarded
//! headers (so the same `connection_init`, the same viewer at the subgraph) share a
//! connection, each under its own id, up to `subscriptions.max_per_subgraph_connection`;
//! the first opens it (`connection_init` carrying the headers, `connection_ack`) and it closes
//! when its last subscription ends.
//!
//! One task per connection reads the subgraph's messages and hands each subscription its
//! events through a bounded queue of its own: a subscription that lets `subscriptions.buffer`
//! events wait is ended ([`UpstreamEvent::TooSlow`]) instead of holding up the others. A
//! connection that drops ends every subscription on it ([`UpstreamEvent::Closed`], which the
//! caller turns into `SUBGRAPH_SUBSCRIPTION_CLOSED`).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use http::{HeaderValue, Uri, header};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yoke::Yoke;

use super::WEBSOCKET_BUFFER_BYTES;
use crate::config::SubscriptionsConfig;
use crate::executor::client::{Headers, ParsedResponse, SubgraphResponse};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// What the subgraph said next to one subscription.
pub enum UpstreamEvent {
    /// An event: a GraphQL response for the subscription's root selection.
    Next(Arc<ParsedResponse>),
    /// The subgraph refused or ended the subscription with errors.
    Errors(Vec<Value>),
    /// The subgraph completed the subscription.
    Complete,
    /// The connection ended without `complete`; why.
    Closed(String),
    /// The subscription let `subscriptions.buffer` events wait: ended at the subgraph.
    TooSlow,
}

/// The subgraph connections of a router, by URL and forwarded headers.
pub struct Upstreams {
    connections: Mutex<HashMap<Key, Vec<Arc<Handle>>>>,
    /// Events waiting for one subscription (one more place is kept for its last message).
    buffer: usize,
    max_per_connection: usize,
    timeout: Duration,
}

/// What subscriptions must share to share a connection: the subgraph's WebSocket URL and
/// the headers its `connection_init` carries.
#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    url: String,
    headers: Headers,
}

/// A connection as subscribers see it: where to send commands, and how many subscriptions
/// it carries (counted up under the pool's lock by subscribers, down by its task).
struct Handle {
    commands: mpsc::UnboundedSender<Command>,
    open: AtomicUsize,
    next_id: AtomicU64,
}

enum Command {
    Subscribe {
        id: u64,
        message: String,
        events: mpsc::Sender<UpstreamEvent>,
        /// Answered once the `subscribe` message is sent, or with why it could not be.
        started: oneshot::Sender<Result<(), String>>,
    },
    /// The subscriber is gone: complete it at the subgraph (if it still runs there).
    Complete(u64),
}

/// One subscription at a subgraph. Dropping it completes it there.
pub struct UpstreamSubscription {
    id: u64,
    events: mpsc::Receiver<UpstreamEvent>,
    commands: mpsc::UnboundedSender<Command>,
    service: String,
}

impl UpstreamSubscription {
    /// The subgraph's next event for this subscription.
    pub async fn next(&mut self) -> UpstreamEvent {
        self.events
            .recv()
            .await
            .unwrap_or_else(|| UpstreamEvent::Closed("connection closed".into()))
    }

    pub fn service(&self) -> &str {
        &self.service
    }
}

impl Drop for UpstreamSubscription {
    fn drop(&mut self) {
        // A connection already gone has nothing left to complete.
        let _ = self.commands.send(Command::Complete(self.id));
    }
}

impl Upstreams {
    pub fn new(config: &SubscriptionsConfig) -> Arc<Self> {
        Arc::new(Self {
            connections: Mutex::new(HashMap::new()),
            buffer: config.buffer.max(1),
            max_per_connection: config.max_per_subgraph_connection,
            timeout: config.connection_init_timeout(),
        })
    }

    /// Subscribes at `service` (at `url`) on a connection carrying `headers`: a shared one
    /// with room, else a new one (connected and initialised within
    /// `connection_init_timeout_ms`).
    pub async fn subscribe(
        self: &Arc<Self>,
        url: &Uri,
        service: &str,
        headers: &Headers,
        query: &str,
        variables: &Map<String, Value>,
    ) -> Result<UpstreamSubscription, String> {
        let failed = |reason: String| format!("Subscription to '{service}' failed: {reason}");
        let key = Key {
            url: websocket_url(url).map_err(failed)?,
            headers: headers.clone(),
        };
        let (events_sender, events) = mpsc::channel(self.buffer + 1);
        let (started_sender, started) = oneshot::channel();
        let (id, commands) = {
            let mut connections = self.connections.lock().expect("the pool's lock");
            let pool = connections.entry(key.clone()).or_default();
            let max = self.max_per_connection;
            let handle = match pool
                .iter()
                .find(|h| max == 0 || h.open.load(Ordering::Acquire) < max)
            {
                Some(handle) => handle.clone(),
                None => {
                    let handle = self.spawn(key);
                    pool.push(handle.clone());
                    handle
                }
            };
            let id = handle.next_id.fetch_add(1, Ordering::Relaxed);
            let message = json!({
                "id": id.to_string(),
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            })
            .to_string();
            handle.open.fetch_add(1, Ordering::AcqRel);
            // The task outlives its handle's place in the pool, so this cannot fail.
            let _ = handle.commands.send(Command::Subscribe {
                id,
                message,
                events: events_sender,
                started: started_sender,
            });
            (id, handle.commands.clone())
        };
        // From here on, dropping the subscription completes it at the subgraph.
        let subscription = UpstreamSubscription {
            id,
            events,
            commands,
            service: service.to_owned(),
        };
        match tokio::time::timeout(self.timeout, started).await {
            Ok(Ok(Ok(()))) => Ok(subscription),
            Ok(Ok(Err(reason))) => Err(failed(reason)),
            Ok(Err(_)) => Err(failed("connection closed".into())),
            Err(_) => Err(failed(format!(
                "no connection_ack within {} ms",
                self.timeout.as_millis()
            ))),
        }
    }

    fn spawn(self: &Arc<Self>, key: Key) -> Arc<Handle> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let handle = Arc::new(Handle {
            commands,
            open: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
        });
        let connection = Connection {
            upstreams: self.clone(),
            key,
            handle: handle.clone(),
            commands: receiver,
            subscriptions: HashMap::new(),
        };
        tokio::spawn(connection.run());
        handle
    }

    /// Takes `handle` out of the pool when it carries no subscription (none queued either:
    /// subscribers count themselves in under this lock), or unconditionally (`force`, the
    /// connection is gone). False when it must stay.
    fn retire(&self, key: &Key, handle: &Arc<Handle>, force: bool) -> bool {
        let mut connections = self.connections.lock().expect("the pool's lock");
        if !force && handle.open.load(Ordering::Acquire) > 0 {
            return false;
        }
        if let Some(pool) = connections.get_mut(key) {
            pool.retain(|h| !Arc::ptr_eq(h, handle));
            if pool.is_empty() {
                connections.remove(key);
            }
        }
        true
    }
}

/// The task of one subgraph connection.
struct Connection {
    upstreams: Arc<Upstreams>,
    key: Key,
    handle: Arc<Handle>,
    commands: mpsc::UnboundedReceiver<Command>,
    subscriptions: HashMap<u64, mpsc::Sender<UpstreamEvent>>,
}

/// A message's kind and subscription id, read before its payload is.
#[derive(Deserialize)]
struct Header<'a> {
    #[serde(rename = "type", borrow)]
    kind: Cow<'a, str>,
    #[serde(default, borrow)]
    id: Option<Cow<'a, str>>,
}

/// A `next` message, whose payload the response tree borrows from.
#[derive(Deserialize)]
struct Next<'a> {
    #[serde(borrow)]
    payload: SubgraphResponse<'a>,
}

#[derive(Deserialize)]
struct ErrorMessage {
    #[serde(default)]
    payload: Vec<Value>,
}

impl Connection {
    async fn run(mut self) {
        let timeout = self.upstreams.timeout;
        let reason = match tokio::time::timeout(timeout, connect(&self.key)).await {
            Ok(Ok(mut socket)) => match self.serve(&mut socket).await {
                Ok(()) => {
                    // A subgraph that does not read is not waited for.
                    let close = socket.close(None);
                    let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
                    return;
                }
                Err(reason) => reason,
            },
            Ok(Err(reason)) => reason,
            Err(_) => format!("no connection_ack within {} ms", timeout.as_millis()),
        };
        tracing::debug!(url = %self.key.url, %reason, "subgraph subscription connection lost");
        self.upstreams.retire(&self.key, &self.handle, true);
        // Out of the pool: no subscriber sends to it any more, so this drains everything.
        while let Ok(command) = self.commands.try_recv() {
            if let Command::Subscribe { started, .. } = command {
                let _ = started.send(Err(reason.clone()));
            }
        }
        for (_, events) in self.subscriptions.drain() {
            // The place kept for the last message.
            let _ = events.try_send(UpstreamEvent::Closed(reason.clone()));
        }
    }

    /// Serves the subscriptions until the last one ends (`Ok`) or the connection fails.
    async fn serve(&mut self, socket: &mut Socket) -> Result<(), String> {
        loop {
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => self.command(socket, command).await?,
                    // Unreachable while the task holds its handle; nothing left to serve.
                    None => return Ok(()),
                },
                message = socket.next() => self.message(socket, message).await?,
            }
            if self.subscriptions.is_empty()
                && self.upstreams.retire(&self.key, &self.handle, false)
            {
                return Ok(());
            }
        }
    }

    async fn command(&mut self, socket: &mut Socket, command: Command) -> Result<(), String> {
        match command {
            Command::Subscribe {
                id,
                message,
                events,
                started,
            } => {
                if let Err(reason) = send(socket, message).await {
                    let _ = started.send(Err(reason.clone()));
                    return Err(reason);
                }
                self.subscriptions.insert(id, events);
                // A subscriber that gave up meanwhile already asked to complete it.
                let _ = started.send(Ok(()));
                Ok(())
            }
            Command::Complete(id) => self.end(socket, id, None).await,
        }
    }

    /// Ends subscription `id` here: its last event, if any, to its subscriber, and
    /// `complete` to the subgraph unless the subgraph ended it (`from_subgraph`).
    async fn end(
        &mut self,
        socket: &mut Socket,
        id: u64,
        last: Option<(UpstreamEvent, bool)>,
    ) -> Result<(), String> {
        let Some(events) = self.subscriptions.remove(&id) else {
            return Ok(());
        };
        self.handle.open.fetch_sub(1, Ordering::AcqRel);
        let from_subgraph = match last {
            Some((event, from_subgraph)) => {
                let _ = events.try_send(event);
                from_subgraph
            }
            None => false,
        };
        if from_subgraph {
            return Ok(());
        }
        send(
            socket,
            json!({"id": id.to_string(), "type": "complete"}).to_string(),
        )
        .await
    }

    /// Handles one message from the subgraph; `Err` when the connection is gone.
    async fn message(
        &mut self,
        socket: &mut Socket,
        message: Option<Result<Message, tokio_tungstenite::tungstenite::Error>>,
    ) -> Result<(), String> {
        let bytes = match message {
            None => return Err("connection closed".into()),
            Some(Err(error)) => return Err(error.to_string()),
            Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
            Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
            Some(Ok(Message::Close(frame))) => {
                return Err(frame.map_or_else(
                    || "connection closed".to_owned(),
                    |frame| format!("connection closed ({} {})", frame.code, frame.reason),
                ));
            }
            // WebSocket pings are answered by tungstenite.
            Some(Ok(_)) => return Ok(()),
        };
        let header = serde_json::from_slice::<Header<'_>>(&bytes)
            .map_err(|error| format!("invalid message: {error}"))?;
        let id = header.id.as_deref().and_then(|id| id.parse::<u64>().ok());
        match (header.kind.as_ref(), id) {
            ("next", Some(id)) => self.deliver(socket, id, bytes).await,
            ("error", Some(id)) => {
                let errors = serde_json::from_slice::<ErrorMessage>(&bytes)
                    .map(|message| message.payload)
                    .unwrap_or_default();
                let last = (UpstreamEvent::Errors(errors), true);
                self.end(socket, id, Some(last)).await
            }
            ("complete", Some(id)) => {
                self.end(socket, id, Some((UpstreamEvent::Complete, true)))
                    .await
            }
            ("ping", _) => send(socket, r#"{"type":"pong"}"#.into()).await,
            _ => Ok(()),
        }
    }

    /// Queues a `next` for its subscription; one whose queue is full is ended instead.
    async fn deliver(
        &mut self,
        socket: &mut Socket,
        id: u64,
        bytes: Vec<u8>,
    ) -> Result<(), String> {
        let Some(events) = self.subscriptions.get(&id) else {
            // Completed by its subscriber meanwhile.
            return Ok(());
        };
        if events.is_closed() {
            return self.end(socket, id, None).await;
        }
        // One place stays free for the last message.
        if events.capacity() <= 1 {
            return self
                .end(socket, id, Some((UpstreamEvent::TooSlow, false)))
                .await;
        }
        match parse_next(bytes) {
            Ok(event) => {
                let _ = events.try_send(event);
                Ok(())
            }
            Err(reason) => {
                let last = (UpstreamEvent::Closed(reason), false);
                self.end(socket, id, Some(last)).await
            }
        }
    }
}

/// Opens the WebSocket and initialises it: `connection_init` with the forwarded headers
/// (also sent on the upgrade request), then `connection_ack`.
async fn connect(key: &Key) -> Result<Socket, String> {
    let mut request = key
        .url
        .as_str()
        .into_client_request()
        .map_err(|e| e.to_string())?;
    request.headers_mut().insert(
        header::SEC_WEBSOCKET_PROTOCOL,
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let mut payload = Map::new();
    for (name, value) in key.headers.iter() {
        request.headers_mut().insert(name.clone(), value.clone());
        if let Ok(value) = value.to_str() {
            payload.insert(name.as_str().to_owned(), Value::from(value));
        }
    }
    let config = WebSocketConfig::default()
        .read_buffer_size(WEBSOCKET_BUFFER_BYTES)
        .write_buffer_size(WEBSOCKET_BUFFER_BYTES);
    let (mut socket, _) =
        tokio_tungstenite::connect_async_with_config(request, Some(config), false)
            .await
            .map_err(|e| e.to_string())?;
    let init = json!({"type": "connection_init", "payload": payload});
    send(&mut socket, init.to_string()).await?;
    await_ack(&mut socket).await?;
    Ok(socket)
}

fn parse_next(bytes: Vec<u8>) -> Result<UpstreamEvent, String> {
    let parsed = Yoke::try_attach_to_cart(bytes, |bytes| {
        serde_json::from_slice::<Next<'_>>(bytes).map(|next| {
            let mut response = next.payload;
            if let Some(data) = &mut response.data {
                crate::json::share_repeated_subtrees(data);
            }
            response
        })
    });
    parsed
        .map(|parsed| UpstreamEvent::Next(Arc::new(parsed)))
        .map_err(|error| format!("invalid next message: {error}"))
}

async fn send(socket: &mut Socket, message: String) -> Result<(), String> {
    socket
        .send(Message::text(message))
        .await
        .map_err(|e| e.to_string())
}

/// Waits for `connection_ack`, answering pings; anything else ends the connection.
async fn await_ack(socket: &mut Socket) -> Result<(), String> {
    loop {
        let text = match socket.next().await {
            Some(Ok(Message::Text(text))) => text,
            Some(Ok(Message::Close(frame))) => {
                return Err(frame.map_or_else(
                    || "closed before connection_ack".to_owned(),
                    |frame| {
                        format!(
                            "closed before connection_ack ({} {})",
                            frame.code, frame.reason
                        )
                    },
                ));
            }
            Some(Ok(_)) => continue,
            Some(Err(error)) => return Err(error.to_string()),
            None => return Err("closed before connection_ack".into()),
        };
        let header =
            serde_json::from_str::<Header<'_>>(text.as_str()).map_err(|e| e.to_string())?;
        match header.kind.as_ref() {
            "connection_ack" => return Ok(()),
            "ping" => send(socket, r#"{"type":"pong"}"#.into()).await?,
            other => return Err(format!("expected connection_ack, got {other}")),
        }
    }
}

/// The subgraph's URL with a WebSocket scheme.
fn websocket_url(url: &Uri) -> Result<String, String> {
    let rest = url.to_string();
    match url.scheme_str() {
        Some("http") => Ok(format!("ws{}", &rest[4..])),
        Some(other) => Err(format!(
            "subscriptions reach subgraphs over http:// only (got {other}://)"
        )),
        None => Err(format!("subgraph URL {url} has no scheme")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subgraph_urls_become_websocket_urls() {
        let url: Uri = "http://127.0.0.1:4007/graphql".parse().expect("a URL");
        assert_eq!(
            websocket_url(&url).expect("http"),
            "ws://127.0.0.1:4007/graphql"
        );
        let tls: Uri = "https://orders/graphql".parse().expect("a URL");
        assert!(websocket_url(&tls).is_err());
    }
}
