//! Subscriptions through the router, against real subgraphs on port-0 listeners: the orders
//! subgraph serves `graphql-transport-ws`, the catalog subgraph resolves the variants of each
//! event's order lines through the plan. WebSocket and SSE clients, the subgraph's own access
//! check, its connection dropping, the router's limits and authorization, and shutdown.
//! Subscriptions with the same forwarded headers share one connection to the subgraph
//! (counted at the subgraph), each ending on its own; a token's expiry ends what it opened.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql_axum::{GraphQL, GraphQLProtocol, GraphQLWebSocket};
use axum::Router;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::routing::post_service;
use commerce_router::Config;
use futures::{SinkExt, StreamExt};
use http::StatusCode;
use http_body_util::BodyExt;
use insta::assert_json_snapshot;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::harness::{TestRouter, graphql_post, serve_app, spawn_subgraph};
use crate::subgraphs::live::{self, Caller, Store};

const ORDER_UPDATED: &str = "subscription Watch($id: ID!) { orderUpdated(id: $id) { \
     id status lines { quantity variant { id name } } } }";

/// The orders subgraph with subscriptions over WebSocket; cancelling `kill` drops every
/// subscription connection at once, as a subgraph that dies does. `sockets` counts the
/// WebSockets open at the subgraph.
async fn spawn_orders(
    store: Arc<Store>,
    kill: CancellationToken,
    sockets: Arc<AtomicUsize>,
) -> String {
    let schema = live::orders(store);
    let websocket = {
        let schema = schema.clone();
        move |upgrade: WebSocketUpgrade, protocol: GraphQLProtocol| async move {
            upgrade
                .protocols(ALL_WEBSOCKET_PROTOCOLS)
                .on_upgrade(move |socket| async move {
                    sockets.fetch_add(1, Ordering::SeqCst);
                    let serve = GraphQLWebSocket::new(socket, schema, protocol)
                        .on_connection_init(|payload| async move {
                            let mut data = Data::default();
                            if let Some(token) = payload["authorization"].as_str() {
                                data.insert(Caller(token.trim_start_matches("Bearer ").into()));
                            }
                            Ok(data)
                        })
                        .serve();
                    tokio::select! {
                        () = serve => {}
                        () = kill.cancelled() => {}
                    }
                    sockets.fetch_sub(1, Ordering::SeqCst);
                })
        }
    };
    let app = Router::new().route(
        "/graphql",
        post_service(GraphQL::new(schema)).get(websocket),
    );
    serve_app(app).await
}

struct Setup {
    router: TestRouter,
    addr: SocketAddr,
    store: Arc<Store>,
    kill: CancellationToken,
    /// WebSockets open at the orders subgraph.
    sockets: Arc<AtomicUsize>,
}

async fn setup(config: Config) -> Setup {
    let catalog = spawn_subgraph(live::catalog()).await;
    setup_with_catalog(config, &catalog).await
}

async fn setup_with_catalog(config: Config, catalog: &str) -> Setup {
    let store = Store::new();
    let kill = CancellationToken::new();
    let sockets = Arc::new(AtomicUsize::new(0));
    let orders = spawn_orders(store.clone(), kill.clone(), sockets.clone()).await;
    let router = TestRouter::with_config(
        "subscriptions.graphql",
        &[("orders", &orders), ("catalog", catalog)],
        config,
    );
    let addr = router.listen().await;
    Setup {
        router,
        addr,
        store,
        kill,
        sockets,
    }
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A `graphql-transport-ws` client, acknowledged, with `payload` in its `connection_init`.
async fn connect(addr: SocketAddr, payload: Value) -> Socket {
    let mut request = format!("ws://{addr}/graphql")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the router accepts the WebSocket");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );
    send(
        &mut socket,
        json!({"type": "connection_init", "payload": payload}),
    )
    .await;
    assert_eq!(
        receive(&mut socket).await,
        json!({"type": "connection_ack"})
    );
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("send");
}

/// The next protocol message (panics after 10 s).
async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message within 10 s")
            .expect("the connection is open")
            .expect("a message");
        match message {
            Message::Text(text) => return serde_json::from_str(text.as_str()).expect("JSON"),
            Message::Close(frame) => {
                let frame = frame.expect("a close frame");
                return json!({"close": u16::from(frame.code), "reason": frame.reason.as_str()});
            }
            _ => {}
        }
    }
}

async fn subscribe(socket: &mut Socket, id: &str, query: &str, variables: Value) {
    let payload = json!({"query": query, "variables": variables});
    send(
        socket,
        json!({"id": id, "type": "subscribe", "payload": payload}),
    )
    .await;
}

/// Waits until the orders subgraph has `count` subscribers.
async fn subscribed(store: &Store, count: usize) {
    for _ in 0..500 {
        if store.subscribers() == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} subscribers at the orders subgraph, expected {count}",
        store.subscribers()
    );
}

/// Changes an order's status through the router, as a staff action would.
async fn set_status(router: &TestRouter, id: &str, status: &str) {
    let body = router
        .query(
            "mutation($id: ID!, $status: String!) { setStatus(id: $id, status: $status) { status } }",
            json!({"id": id, "status": status}),
        )
        .await;
    assert_eq!(body["data"]["setStatus"]["status"], status, "{body}");
}

#[tokio::test]
async fn a_websocket_client_gets_each_status_change_with_entity_fields_of_another_subgraph() {
    let setup = setup(Config::default()).await;
    let mut socket = connect(setup.addr, json!({"authorization": "Bearer customer-1"})).await;
    subscribe(&mut socket, "w1", ORDER_UPDATED, json!({"id": "1"})).await;
    subscribed(&setup.store, 1).await;

    set_status(&setup.router, "1", "PAID").await;
    set_status(&setup.router, "2", "PAID").await; // another order: not sent
    set_status(&setup.router, "1", "SHIPPED").await;

    assert_json_snapshot!(receive(&mut socket).await, @r#"
    {
      "id": "w1",
      "type": "next",
      "payload": {
        "data": {
          "orderUpdated": {
            "id": "1",
            "status": "PAID",
            "lines": [
              {
                "quantity": 1,
                "variant": {
                  "id": "v1",
                  "name": "Variant v1"
                }
              },
              {
                "quantity": 2,
                "variant": {
                  "id": "v2",
                  "name": "Variant v2"
                }
              }
            ]
          }
        }
      }
    }
    "#);
    let second = receive(&mut socket).await;
    assert_eq!(
        second["payload"]["data"]["orderUpdated"]["status"],
        "SHIPPED"
    );

    // The client completes: the router ends the subgraph's subscription too.
    send(&mut socket, json!({"id": "w1", "type": "complete"})).await;
    subscribed(&setup.store, 0).await;
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(receive(&mut socket).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn an_sse_client_gets_each_status_change_then_complete_when_the_subgraph_completes() {
    let setup = setup(Config::default()).await;
    let request = graphql_post()
        .header("accept", "text/event-stream")
        .header("authorization", "Bearer customer-1")
        .body(Body::from(
            json!({"query": ORDER_UPDATED, "variables": {"id": "1"}}).to_string(),
        ))
        .expect("request");
    let response = commerce_router::app(setup.router.state())
        .oneshot(request)
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/event-stream; charset=utf-8"
    );
    let mut body = response.into_body();
    subscribed(&setup.store, 1).await;
    set_status(&setup.router, "1", "SHIPPED").await;
    let event = next_event(&mut body).await;
    assert_eq!(event.0, "next");
    assert_eq!(
        event.1["data"]["orderUpdated"]["lines"][1]["variant"]["name"],
        "Variant v2"
    );
    assert_eq!(event.1["data"]["orderUpdated"]["status"], "SHIPPED");

    // The subgraph dies: the stream ends with the error, then `complete`.
    setup.kill.cancel();
    let (kind, error) = next_event(&mut body).await;
    assert_eq!(kind, "next");
    assert_eq!(
        error["errors"][0]["extensions"]["code"],
        "SUBGRAPH_SUBSCRIPTION_CLOSED"
    );
    assert_eq!(next_event(&mut body).await.0, "complete");
}

/// The next SSE event of `body`: its name and data.
async fn next_event(body: &mut Body) -> (String, Value) {
    let mut text = String::new();
    loop {
        if let Some(end) = text.find("\n\n") {
            let event = &text[..end];
            let name = event
                .lines()
                .find_map(|l| l.strip_prefix("event: "))
                .unwrap_or_default();
            let data = event
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .unwrap_or_default();
            let data = serde_json::from_str(data).unwrap_or(Value::Null);
            return (name.to_owned(), data);
        }
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("an event within 10 s")
            .expect("the stream is open")
            .expect("a frame");
        if let Some(data) = frame.data_ref() {
            text.push_str(std::str::from_utf8(data).expect("UTF-8"));
        }
    }
}

#[tokio::test]
async fn a_subscriber_the_subgraph_refuses_gets_its_error() {
    let setup = setup(Config::default()).await;
    let mut socket = connect(setup.addr, json!({"authorization": "Bearer customer-2"})).await;
    subscribe(&mut socket, "x", ORDER_UPDATED, json!({"id": "1"})).await;
    // async-graphql answers a resolver's error as a result with errors, then completes.
    assert_json_snapshot!(receive(&mut socket).await, @r#"
    {
      "id": "x",
      "type": "next",
      "payload": {
        "data": null,
        "errors": [
          {
            "message": "this order is not yours",
            "path": [
              "orderUpdated"
            ],
            "extensions": {
              "code": "FORBIDDEN",
              "serviceName": "orders"
            }
          }
        ]
      }
    }
    "#);
    assert_eq!(
        receive(&mut socket).await,
        json!({"id": "x", "type": "complete"})
    );
    // The connection stays usable.
    send(&mut socket, json!({"type": "ping"})).await;
    assert_eq!(receive(&mut socket).await, json!({"type": "pong"}));
}

#[tokio::test]
async fn a_dropped_subgraph_connection_ends_the_subscription_with_an_error() {
    let setup = setup(Config::default()).await;
    let mut socket = connect(setup.addr, json!({"authorization": "Bearer customer-1"})).await;
    subscribe(&mut socket, "k", ORDER_UPDATED, json!({"id": "1"})).await;
    subscribed(&setup.store, 1).await;
    setup.kill.cancel();
    let message = receive(&mut socket).await;
    assert_eq!(message["type"], "error", "{message}");
    assert_eq!(message["id"], "k");
    assert_eq!(
        message["payload"][0]["extensions"],
        json!({"code": "SUBGRAPH_SUBSCRIPTION_CLOSED", "serviceName": "orders"})
    );
}

#[tokio::test]
async fn subscriptions_go_through_the_routers_limits_and_authorization() {
    let mut config = Config::default();
    config.limits.max_depth = 3;
    config.subscriptions.max_per_connection = 1;
    let setup = setup(config).await;
    let mut socket = connect(setup.addr, json!({"authorization": "Bearer customer-1"})).await;

    // @authenticated on the root field: anonymous callers never reach the subgraph.
    subscribe(
        &mut socket,
        "a",
        "subscription { orderPlaced { id } }",
        json!({}),
    )
    .await;
    let denied = receive(&mut socket).await;
    assert_eq!(denied["type"], "error", "{denied}");
    assert_eq!(
        denied["payload"][0]["extensions"]["code"],
        "UNAUTHORIZED_FIELD_OR_TYPE"
    );
    subscribe(&mut socket, "d", ORDER_UPDATED, json!({"id": "1"})).await;
    let deep = receive(&mut socket).await;
    assert_eq!(
        deep["payload"][0]["extensions"]["code"], "MAX_DEPTH_EXCEEDED",
        "{deep}"
    );

    // One subscription per connection here.
    let shallow = "subscription { orderUpdated(id: \"1\") { status } }";
    subscribe(&mut socket, "one", shallow, json!({})).await;
    subscribed(&setup.store, 1).await;
    subscribe(&mut socket, "two", shallow, json!({})).await;
    let refused = receive(&mut socket).await;
    assert_eq!(refused["id"], "two");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "SUBSCRIPTION_LIMIT_EXCEEDED"
    );

    // Plain HTTP still refuses subscriptions.
    let http = setup.router.post_json(&json!({"query": shallow})).await;
    assert_eq!(
        http.body["errors"][0]["message"],
        "Subscriptions are not supported over this transport: use a WebSocket \
         (graphql-transport-ws) or Server-Sent Events (Accept: text/event-stream)"
    );
}

#[tokio::test]
async fn a_client_that_never_sends_connection_init_is_closed() {
    let mut config = Config::default();
    config.subscriptions.connection_init_timeout_ms = 100;
    let setup = setup(config).await;
    let mut request = format!("ws://{}/graphql", setup.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgraded");
    assert_eq!(
        receive(&mut socket).await,
        json!({"close": 4408, "reason": "Connection initialisation timeout"})
    );
}

#[tokio::test]
async fn shutting_down_completes_every_subscription_and_closes_with_1001() {
    let store = Store::new();
    let sockets = Arc::new(AtomicUsize::new(0));
    let orders = spawn_orders(store.clone(), CancellationToken::new(), sockets).await;
    let catalog = spawn_subgraph(live::catalog()).await;
    let router = TestRouter::new(
        "subscriptions.graphql",
        &[("orders", &orders), ("catalog", &catalog)],
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let stop = CancellationToken::new();
    let served = tokio::spawn(commerce_router::serve(
        listener,
        router.state(),
        stop.clone().cancelled_owned(),
    ));
    let mut socket = connect(addr, json!({"authorization": "Bearer customer-1"})).await;
    subscribe(&mut socket, "s", ORDER_UPDATED, json!({"id": "1"})).await;
    subscribed(&store, 1).await;

    stop.cancel();
    assert_eq!(
        receive(&mut socket).await,
        json!({"id": "s", "type": "complete"})
    );
    assert_eq!(
        receive(&mut socket).await,
        json!({"close": 1001, "reason": "Router shutting down"})
    );
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("the router stops")
        .expect("joins")
        .expect("serves");
    subscribed(&store, 0).await;
}

/// Waits until the orders subgraph has `count` WebSockets open.
async fn subgraph_sockets(setup: &Setup, count: usize) {
    for _ in 0..500 {
        if setup.sockets.load(Ordering::SeqCst) == count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!(
        "{} WebSockets open at the orders subgraph, expected {count}",
        setup.sockets.load(Ordering::SeqCst)
    );
}

const STATUS: &str = "subscription($id: ID!) { orderUpdated(id: $id) { status } }";

#[tokio::test]
async fn subscriptions_with_the_same_token_share_one_subgraph_connection_and_end_apart() {
    let setup = setup(Config::default()).await;
    let customer = json!({"authorization": "Bearer customer-1"});
    let mut first = connect(setup.addr, customer.clone()).await;
    let mut second = connect(setup.addr, customer).await;
    subscribe(&mut first, "a", ORDER_UPDATED, json!({"id": "1"})).await;
    subscribe(&mut second, "b", STATUS, json!({"id": "1"})).await;
    subscribed(&setup.store, 2).await;
    subgraph_sockets(&setup, 1).await;

    // Another caller has a connection of its own: the subgraph knows callers by their
    // connection_init.
    let mut other = connect(setup.addr, json!({"authorization": "Bearer customer-2"})).await;
    subscribe(&mut other, "o", STATUS, json!({"id": "2"})).await;
    subscribed(&setup.store, 3).await;
    subgraph_sockets(&setup, 2).await;

    // The first client leaves: the subscription sharing its subgraph connection goes on.
    send(&mut first, json!({"id": "a", "type": "complete"})).await;
    subscribed(&setup.store, 2).await;
    subgraph_sockets(&setup, 2).await;
    set_status(&setup.router, "1", "PAID").await;
    let event = receive(&mut second).await;
    assert_eq!(event["id"], "b", "{event}");
    assert_eq!(event["payload"]["data"]["orderUpdated"]["status"], "PAID");
    send(&mut first, json!({"type": "ping"})).await;
    assert_eq!(receive(&mut first).await, json!({"type": "pong"}));

    // The last subscription on a subgraph connection closes it.
    send(&mut second, json!({"id": "b", "type": "complete"})).await;
    subscribed(&setup.store, 1).await;
    subgraph_sockets(&setup, 1).await;
    set_status(&setup.router, "2", "SHIPPED").await;
    let event = receive(&mut other).await;
    assert_eq!(
        event["payload"]["data"]["orderUpdated"]["status"],
        "SHIPPED"
    );
}

#[tokio::test]
async fn a_subgraph_connection_carries_at_most_its_configured_subscriptions() {
    let mut config = Config::default();
    config.subscriptions.max_per_subgraph_connection = 2;
    let setup = setup(config).await;
    let mut socket = connect(setup.addr, json!({"authorization": "Bearer customer-1"})).await;
    for id in ["a", "b", "c"] {
        subscribe(&mut socket, id, STATUS, json!({"id": "1"})).await;
    }
    subscribed(&setup.store, 3).await;
    subgraph_sockets(&setup, 2).await;
    set_status(&setup.router, "1", "PAID").await;
    let mut ids: Vec<String> = Vec::new();
    for _ in 0..3 {
        let event = receive(&mut socket).await;
        assert_eq!(event["payload"]["data"]["orderUpdated"]["status"], "PAID");
        ids.push(event["id"].as_str().expect("an id").to_owned());
    }
    ids.sort();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[tokio::test]
async fn a_dropped_subgraph_connection_ends_every_subscription_it_carried_with_an_error() {
    let setup = setup(Config::default()).await;
    let customer = json!({"authorization": "Bearer customer-1"});
    let mut first = connect(setup.addr, customer.clone()).await;
    let mut second = connect(setup.addr, customer).await;
    subscribe(&mut first, "a", ORDER_UPDATED, json!({"id": "1"})).await;
    subscribe(&mut second, "b", STATUS, json!({"id": "1"})).await;
    subscribe(&mut second, "c", STATUS, json!({"id": "1"})).await;
    subscribed(&setup.store, 3).await;
    subgraph_sockets(&setup, 1).await;

    setup.kill.cancel();
    let mut ended = vec![receive(&mut first).await];
    ended.push(receive(&mut second).await);
    ended.push(receive(&mut second).await);
    let mut ids = Vec::new();
    for message in &ended {
        assert_eq!(message["type"], "error", "{message}");
        assert_eq!(
            message["payload"][0]["extensions"],
            json!({"code": "SUBGRAPH_SUBSCRIPTION_CLOSED", "serviceName": "orders"})
        );
        ids.push(message["id"].as_str().expect("an id"));
    }
    ids.sort_unstable();
    assert_eq!(ids, ["a", "b", "c"]);
}

#[tokio::test]
async fn a_subscription_that_falls_behind_ends_without_holding_up_the_others_on_its_connection() {
    // Each event of the subscription selecting variant names waits 300 ms for the catalog.
    async fn slow(
        request: axum::extract::Request,
        next: axum::middleware::Next,
    ) -> axum::response::Response {
        tokio::time::sleep(Duration::from_millis(300)).await;
        next.run(request).await
    }
    let catalog = serve_app(
        Router::new()
            .route("/graphql", post_service(GraphQL::new(live::catalog())))
            .layer(axum::middleware::from_fn(slow)),
    )
    .await;
    let mut config = Config::default();
    config.subscriptions.buffer = 1;
    let setup = setup_with_catalog(config, &catalog).await;
    let customer = json!({"authorization": "Bearer customer-1"});
    let mut behind = connect(setup.addr, customer.clone()).await;
    let mut quick = connect(setup.addr, customer).await;
    subscribe(&mut behind, "lines", ORDER_UPDATED, json!({"id": "1"})).await;
    subscribe(&mut quick, "status", STATUS, json!({"id": "1"})).await;
    subscribed(&setup.store, 2).await;
    subgraph_sockets(&setup, 1).await;

    for status in ["A", "B", "C", "D", "E"] {
        set_status(&setup.router, "1", status).await;
        let event = receive(&mut quick).await;
        assert_eq!(event["payload"]["data"]["orderUpdated"]["status"], status);
    }
    let ended = loop {
        let message = receive(&mut behind).await;
        if message["type"] != "next" {
            break message;
        }
    };
    assert_eq!(ended["type"], "error", "{ended}");
    assert_eq!(
        ended["payload"][0]["extensions"]["code"],
        "SUBSCRIPTION_CLIENT_TOO_SLOW"
    );
    // Ended at the subgraph too; the quick one goes on.
    subscribed(&setup.store, 1).await;
    set_status(&setup.router, "1", "F").await;
    let event = receive(&mut quick).await;
    assert_eq!(event["payload"]["data"]["orderUpdated"]["status"], "F");
}

#[tokio::test]
async fn a_subscription_ends_with_unauthenticated_when_the_token_that_opened_it_expires() {
    let jwks = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(jwks.path(), crate::authorization::JWKS).expect("write JWKS");
    let mut config = Config::default();
    config.authentication.jwt = Some(commerce_router::config::JwtConfig {
        jwks_files: vec![jwks.path().to_path_buf()],
        leeway_secs: 0,
        ..Default::default()
    });
    let setup = setup(config).await;
    let token = crate::authorization::token("", 2);
    let bearer = json!({"authorization": format!("Bearer {token}")});
    let mut socket = connect(setup.addr, bearer).await;
    let placed = "subscription { orderPlaced { id status } }";
    subscribe(&mut socket, "p", placed, json!({})).await;
    subscribed(&setup.store, 1).await;
    set_status(&setup.router, "1", "PAID").await;
    let event = receive(&mut socket).await;
    assert_eq!(event["payload"]["data"]["orderPlaced"]["status"], "PAID");

    let ended = receive(&mut socket).await;
    assert_json_snapshot!(ended, @r#"
    {
      "id": "p",
      "type": "error",
      "payload": [
        {
          "message": "Unauthenticated: the token that opened this subscription expired",
          "extensions": {
            "code": "UNAUTHENTICATED"
          }
        }
      ]
    }
    "#);
    subscribed(&setup.store, 0).await;
    // The connection's token is spent: nothing more opens on it.
    subscribe(&mut socket, "q", placed, json!({})).await;
    let refused = receive(&mut socket).await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}
