//! Live updates through the router: a customer places an order and subscribes to it over
//! WebSocket (`graphql-transport-ws`), getting it as it is; staff capture its payment through
//! the router, and the customer's subscription receives the order as it now is, with fields of other subgraphs
//! (the customer's display name from customers, the payment from payments). Another customer
//! is refused.

use std::net::SocketAddr;
use std::time::Duration;

use commerce_testkit::{Backend, on_both_backends};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::graph::Graph;
use crate::purchase_flow::{address, variant_on_sale};

const CARD_OK: &str = "4242 4242 4242 4242";

const ORDER_UPDATED: &str = "subscription OrderUpdated($id: ID!) {
  orderUpdated(id: $id) {
    id
    status
    timeline { kind }
    customer { displayName }
    payments { amountCaptured { amount currency } }
  }
}";

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A `graphql-transport-ws` connection to the router, signed in with `token`.
async fn connect(router: SocketAddr, token: &str) -> Socket {
    let mut request = format!("ws://{router}/graphql")
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the router accepts the WebSocket");
    let init =
        json!({"type": "connection_init", "payload": {"authorization": format!("Bearer {token}")}});
    socket
        .send(Message::text(init.to_string()))
        .await
        .expect("init");
    assert_eq!(receive(&mut socket).await["type"], "connection_ack");
    socket
}

async fn subscribe(socket: &mut Socket, order_id: &str) {
    let message = json!({
        "id": "order",
        "type": "subscribe",
        "payload": {"query": ORDER_UPDATED, "variables": {"id": order_id}},
    });
    socket
        .send(Message::text(message.to_string()))
        .await
        .expect("subscribe");
}

async fn receive(socket: &mut Socket) -> Value {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(20), socket.next())
            .await
            .expect("a message within 20 s")
            .expect("the connection is open")
            .expect("a message");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("JSON");
        }
    }
}

/// A customer's order, placed through the router as the storefront does; returns the
/// customer's token and the order's id.
async fn place_order(graph: &Graph, email: &str) -> (String, String) {
    let variant = variant_on_sale(graph).await;
    let customer = graph.sign_in(email).await;
    let created = graph
        .data(
            "storefront/cart_create",
            json!({ "currency": "EUR", "country": "DE" }),
            None,
        )
        .await;
    let guest = created["cartCreate"]["token"].clone();
    graph
        .data(
            "storefront/cart_add_line",
            json!({ "token": guest, "variantId": variant, "quantity": 1 }),
            None,
        )
        .await;
    let merged = graph
        .data(
            "storefront/cart_merge",
            json!({ "guestToken": guest }),
            Some(&customer),
        )
        .await;
    let cart_id = merged["cartMerge"]["id"].clone();
    graph
        .data(
            "storefront/cart_set_shipping_address",
            json!({ "cartId": cart_id, "address": address() }),
            Some(&customer),
        )
        .await;
    let page = graph
        .data(
            "storefront/cart",
            json!({ "cartId": cart_id }),
            Some(&customer),
        )
        .await;
    let method = page["cart"]["availableShippingMethods"][0]["method"]["id"].clone();
    let chosen = graph
        .data(
            "storefront/cart_set_shipping_method",
            json!({ "cartId": cart_id, "shippingMethodId": method }),
            Some(&customer),
        )
        .await;
    let total = chosen["cartSetShippingMethod"]["totals"]["grandTotal"]["amount"].clone();
    let total = if total.is_null() {
        let page = graph
            .data(
                "storefront/cart",
                json!({ "cartId": cart_id }),
                Some(&customer),
            )
            .await;
        page["cart"]["totals"]["grandTotal"]["amount"].clone()
    } else {
        total
    };
    let completed = graph
        .data(
            "storefront/checkout_complete",
            json!({
                "cartId": cart_id, "idempotencyKey": "live-1",
                "payment": { "provider": "test", "token": CARD_OK },
                "expectedTotal": total,
            }),
            Some(&customer),
        )
        .await;
    let order_id = completed["checkoutComplete"]["orderId"]
        .as_str()
        .unwrap_or_else(|| panic!("an order: {completed:#}"))
        .to_owned();
    (customer, order_id)
}

on_both_backends!(a_customer_sees_staff_capture_their_order_through_a_subscription);

async fn a_customer_sees_staff_capture_their_order_through_a_subscription(backend: Backend) {
    let graph = Graph::start(backend, 30).await;
    let (customer, order_id) = place_order(&graph, "alan@example.com").await;
    let mut socket = connect(graph.router, &customer).await;
    subscribe(&mut socket, &order_id).await;

    // Someone else's order: refused by the orders subgraph, as the `order` query is.
    let stranger = graph.sign_in("grace@example.com").await;
    let mut other = connect(graph.router, &stranger).await;
    subscribe(&mut other, &order_id).await;
    let refused = receive(&mut other).await;
    assert_eq!(refused["payload"]["data"], Value::Null, "{refused:#}");
    assert_eq!(
        refused["payload"]["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused:#}"
    );
    assert_eq!(receive(&mut other).await["type"], "complete");

    // The order as it is now comes first: the subscription is open at the orders subgraph.
    let first = receive(&mut socket).await;
    assert_eq!(
        first["payload"]["data"]["orderUpdated"]["status"], "PLACED",
        "{first:#}"
    );

    let staff = graph.staff_sign_in().await;
    let captured = graph
        .data(
            "dashboard/order_capture",
            json!({ "orderId": order_id, "idempotencyKey": "capture-live" }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        captured["orderCapturePayment"]["status"], "PAID",
        "{captured:#}"
    );

    let event = receive(&mut socket).await;
    assert_eq!(event["type"], "next", "{event:#}");
    assert_eq!(event["id"], "order");
    let order = &event["payload"]["data"]["orderUpdated"];
    assert_eq!(event["payload"].get("errors"), None, "{event:#}");
    assert_eq!(order["id"], order_id.as_str());
    assert_eq!(order["status"], "PAID");
    assert_eq!(order["customer"]["displayName"], "Alan T.", "{order:#}");
    assert_eq!(
        order["payments"][0]["amountCaptured"]["currency"], "EUR",
        "{order:#}"
    );
    let kinds: Vec<&str> = order["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter_map(|entry| entry["kind"].as_str())
        .collect();
    assert!(kinds.len() >= 2, "placed and paid: {kinds:?}");
}
