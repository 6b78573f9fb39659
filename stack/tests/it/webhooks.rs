//! Outbound webhooks through the whole graph: staff register an endpoint through the router,
//! a product changes in the catalog, and a local receiver gets the catalog's event, signed
//! with the endpoint's secret as the Standard Webhooks specification says.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use commerce_testkit::{Backend, on_both_backends};
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::graph::Graph;

on_both_backends!(a_product_change_reaches_a_registered_endpoint_signed);

type Requests = Arc<Mutex<Vec<(HeaderMap, Bytes)>>>;

/// Records every request and answers 204.
async fn receiver() -> (String, Requests) {
    async fn receive(
        State(requests): State<Requests>,
        headers: HeaderMap,
        body: Bytes,
    ) -> StatusCode {
        requests.lock().expect("not poisoned").push((headers, body));
        StatusCode::NO_CONTENT
    }
    let requests = Requests::default();
    let app = axum::Router::new()
        .route("/hook", axum::routing::post(receive))
        .with_state(requests.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds a free port");
    let url = format!("http://{}/hook", listener.local_addr().expect("an address"));
    tokio::spawn(axum::serve(listener, app).into_future());
    (url, requests)
}

/// The `v1` signature of the specification, computed as a receiver would.
fn signature(secret: &str, id: &str, timestamp: &str, body: &[u8]) -> String {
    let key = STANDARD
        .decode(secret.strip_prefix("whsec_").expect("a whsec_ secret"))
        .expect("base64");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("any key length");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

async fn a_product_change_reaches_a_registered_endpoint_signed(backend: Backend) {
    let graph = Graph::start(backend, 0).await;
    let token = graph.staff_sign_in().await;
    let (url, requests) = receiver().await;
    let staff = async |query: &str, variables: Value| {
        let response = graph
            .post(graph.router, query, variables, Some(&token))
            .await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"].clone()
    };

    let created = staff(
        "mutation($input: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $input) {
            ... on WebhookEndpointCreated { secret endpoint { id } } } }",
        json!({ "input": { "url": url, "eventTypes": ["catalog.product_changed"] } }),
    )
    .await;
    let secret = created["createWebhookEndpoint"]["secret"]
        .as_str()
        .expect("a secret")
        .to_owned();
    let endpoint = created["createWebhookEndpoint"]["endpoint"]["id"].clone();

    let product = staff(
        "mutation($input: CreateProductInput!) { createProduct(input: $input) {
            ... on Product { id } } }",
        json!({ "input": { "name": "Webhook Shirt", "status": "PUBLISHED" } }),
    )
    .await;
    let product_id = product["createProduct"]["id"].as_str().expect("an id");

    let deadline = Instant::now() + Duration::from_secs(10);
    let (headers, body) = loop {
        if let Some(request) = requests.lock().expect("not poisoned").first().cloned() {
            break request;
        }
        assert!(Instant::now() < deadline, "no delivery arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("a {name} header"))
            .to_owned()
    };
    let event: Value = serde_json::from_slice(&body).expect("a JSON body");
    assert_eq!(event["type"], "catalog.product_changed");
    assert_eq!(event["aggregateId"], product_id);
    assert_eq!(event["payload"]["change"], "CREATED");
    let id = header("webhook-id");
    assert_eq!(event["id"], id.as_str());
    let timestamp = header("webhook-timestamp");
    assert_eq!(
        header("webhook-signature"),
        signature(&secret, &id, &timestamp, &body)
    );

    // The attempt is recorded just after the receiver answered.
    let deadline = Instant::now() + Duration::from_secs(5);
    let log = loop {
        let log = staff(
            "query($id: ID!) { webhookDeliveries(endpointId: $id) {
                nodes { eventId status attempts { statusCode } } } }",
            json!({ "id": endpoint }),
        )
        .await;
        if log["webhookDeliveries"]["nodes"][0]["status"] == "DELIVERED" {
            break log;
        }
        assert!(Instant::now() < deadline, "{log:#}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(
        log["webhookDeliveries"]["nodes"],
        json!([{ "eventId": id, "status": "DELIVERED", "attempts": [{ "statusCode": 204 }] }])
    );
}
