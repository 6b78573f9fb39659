//! The subgraph side of a subscription: a `graphql-transport-ws` client on the subgraph's
//! URL (`http` → `ws`). One WebSocket per subscription: `connection_init` carrying the
//! forwarded headers (the caller's `authorization`), `connection_ack`, `subscribe`, then the
//! subgraph's `next` events parsed as subgraph responses, until `complete`, `error`, or the
//! connection dropping (which the caller turns into `SUBGRAPH_SUBSCRIPTION_CLOSED`).

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use http::{HeaderValue, Uri, header};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use yoke::Yoke;

use crate::executor::client::{Headers, ParsedResponse, SubgraphResponse};

/// The one subscription id each upstream connection carries.
const ID: &str = "1";

/// What the subgraph said next.
pub enum UpstreamEvent {
    /// An event: a GraphQL response for the subscription's root selection.
    Next(Arc<ParsedResponse>),
    /// The subgraph refused or ended the subscription with errors.
    Errors(Vec<Value>),
    /// The subgraph completed the subscription.
    Complete,
    /// The connection ended without `complete`; why.
    Closed(String),
}

pub struct Upstream {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    service: String,
}

/// A message's kind, read before its payload is.
#[derive(Deserialize)]
struct Kind<'a> {
    #[serde(rename = "type", borrow)]
    kind: &'a str,
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

impl Upstream {
    /// Connects to `service` at `url`, initialises the connection and subscribes, all within
    /// `timeout`.
    pub async fn open(
        url: &Uri,
        service: &str,
        headers: &Headers,
        query: &str,
        variables: &Map<String, Value>,
        timeout: Duration,
    ) -> Result<Self, String> {
        let failed = |reason: String| format!("Subscription to '{service}' failed: {reason}");
        let open = async {
            let mut request = websocket_url(url)?
                .into_client_request()
                .map_err(|e| e.to_string())?;
            request.headers_mut().insert(
                header::SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static("graphql-transport-ws"),
            );
            let mut payload = Map::new();
            for (name, value) in headers.iter() {
                request.headers_mut().insert(name.clone(), value.clone());
                if let Ok(value) = value.to_str() {
                    payload.insert(name.as_str().to_owned(), Value::from(value));
                }
            }
            let (mut socket, _) = tokio_tungstenite::connect_async(request)
                .await
                .map_err(|e| e.to_string())?;
            let init = json!({"type": "connection_init", "payload": payload});
            send(&mut socket, &init).await?;
            await_ack(&mut socket).await?;
            let subscribe = json!({
                "id": ID,
                "type": "subscribe",
                "payload": {"query": query, "variables": variables},
            });
            send(&mut socket, &subscribe).await?;
            Ok::<_, String>(socket)
        };
        match tokio::time::timeout(timeout, open).await {
            Ok(Ok(socket)) => Ok(Self {
                socket,
                service: service.to_owned(),
            }),
            Ok(Err(reason)) => Err(failed(reason)),
            Err(_) => Err(failed(format!(
                "no connection_ack within {} ms",
                timeout.as_millis()
            ))),
        }
    }

    /// The subgraph's next event; answers its pings on the way.
    pub async fn next(&mut self) -> UpstreamEvent {
        loop {
            let bytes = match self.socket.next().await {
                None => return UpstreamEvent::Closed("connection closed".into()),
                Some(Err(error)) => return UpstreamEvent::Closed(error.to_string()),
                Some(Ok(Message::Text(text))) => text.as_bytes().to_vec(),
                Some(Ok(Message::Binary(bytes))) => bytes.to_vec(),
                Some(Ok(Message::Close(frame))) => {
                    let reason = frame.map_or_else(
                        || "connection closed".to_owned(),
                        |frame| format!("connection closed ({} {})", frame.code, frame.reason),
                    );
                    return UpstreamEvent::Closed(reason);
                }
                // WebSocket pings are answered by tungstenite.
                Some(Ok(_)) => continue,
            };
            let kind = match serde_json::from_slice::<Kind<'_>>(&bytes) {
                Ok(kind) => kind.kind.to_owned(),
                Err(error) => return UpstreamEvent::Closed(format!("invalid message: {error}")),
            };
            match kind.as_str() {
                "next" => return parse_next(bytes),
                "error" => {
                    let errors = serde_json::from_slice::<ErrorMessage>(&bytes)
                        .map(|message| message.payload)
                        .unwrap_or_default();
                    return UpstreamEvent::Errors(errors);
                }
                "complete" => return UpstreamEvent::Complete,
                "ping" => {
                    if let Err(reason) = send(&mut self.socket, &json!({"type": "pong"})).await {
                        return UpstreamEvent::Closed(reason);
                    }
                }
                _ => {}
            }
        }
    }

    /// Ends the subscription from our side (the client left, or the router stops).
    pub async fn close(mut self) {
        let complete = json!({"id": ID, "type": "complete"});
        let close = async {
            let _ = send(&mut self.socket, &complete).await;
            let _ = self.socket.close(None).await;
        };
        // A subgraph that does not read is not waited for.
        let _ = tokio::time::timeout(Duration::from_secs(1), close).await;
    }

    pub fn service(&self) -> &str {
        &self.service
    }
}

fn parse_next(bytes: Vec<u8>) -> UpstreamEvent {
    let parsed = Yoke::try_attach_to_cart(bytes, |bytes| {
        serde_json::from_slice::<Next<'_>>(bytes).map(|next| {
            let mut response = next.payload;
            if let Some(data) = &mut response.data {
                crate::json::share_repeated_subtrees(data);
            }
            response
        })
    });
    match parsed {
        Ok(parsed) => UpstreamEvent::Next(Arc::new(parsed)),
        Err(error) => UpstreamEvent::Closed(format!("invalid next message: {error}")),
    }
}

async fn send(
    socket: &mut WebSocketStream<MaybeTlsStream<TcpStream>>,
    message: &Value,
) -> Result<(), String> {
    socket
        .send(Message::text(message.to_string()))
        .await
        .map_err(|e| e.to_string())
}

/// Waits for `connection_ack`, answering pings; anything else ends the connection.
async fn await_ack(socket: &mut WebSocketStream<MaybeTlsStream<TcpStream>>) -> Result<(), String> {
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
        let kind = serde_json::from_str::<Kind<'_>>(text.as_str()).map_err(|e| e.to_string())?;
        match kind.kind {
            "connection_ack" => return Ok(()),
            "ping" => send(socket, &json!({"type": "pong"})).await?,
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
