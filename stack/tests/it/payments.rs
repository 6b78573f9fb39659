//! Payments through the real router: the dashboard's committed documents as the demo admin
//! (whose token the payments subgraph verifies too), and the internal mutations missing from
//! the public API whoever asks.

use std::net::SocketAddr;

use commerce_stack::{Listeners, Stack, Subgraphs, start};
use commerce_testkit::{Backend, TestConfig, test_config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const SEARCH: &str = include_str!("../../../schema/operations/dashboard/payments_search.graphql");
const DETAIL: &str = include_str!("../../../schema/operations/dashboard/payment_detail.graphql");
const REFUND: &str = include_str!("../../../schema/operations/dashboard/payment_refund.graphql");
const AUTHORIZE: &str =
    include_str!("../../../schema/operations/internal/payments/authorize_payment.graphql");

struct Running {
    router: SocketAddr,
    shutdown: CancellationToken,
    _stack: Stack,
    _config: TestConfig,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// The stack on free ports with the demo data of one product (and the demo payments).
async fn running() -> Running {
    let config = test_config(Backend::Sqlite).await;
    let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binds free ports");
    let stack_config = listeners.config(&config).expect("addresses");
    let subgraphs = Subgraphs::connect(&stack_config)
        .await
        .expect("subgraphs connect");
    subgraphs.load_demo(1).await.expect("demo data loads");
    let shutdown = CancellationToken::new();
    let stack = start(subgraphs, listeners, shutdown.clone())
        .await
        .expect("stack starts");
    Running {
        router: stack.router,
        shutdown,
        _stack: stack,
        _config: config,
    }
}

async fn post(router: SocketAddr, token: Option<&str>, query: &str, variables: Value) -> Value {
    let mut request = reqwest::Client::new()
        .post(format!("http://{router}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
        .send()
        .await
        .expect("router answers")
        .json()
        .await
        .expect("router answers JSON")
}

async fn admin_token(router: SocketAddr) -> String {
    let login = post(
        router,
        None,
        "mutation($email: String!, $password: String!) { staffLogin(email: $email, password: $password) { ... on AuthPayload { accessToken } } }",
        json!({
            "email": commerce_customers::demo::ADMIN_EMAIL,
            "password": commerce_customers::demo::ADMIN_PASSWORD,
        }),
    )
    .await;
    login["data"]["staffLogin"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a staff session: {login}"))
        .to_owned()
}

#[tokio::test]
async fn the_admin_finds_a_demo_payment_and_refunds_part_of_it_through_the_router() {
    let stack = running().await;
    let token = admin_token(stack.router).await;
    let filter = json!({ "filter": { "status": "CAPTURED" }, "first": 10 });
    let list = post(stack.router, Some(&token), SEARCH, filter).await;
    assert_eq!(list.get("errors"), None, "{list:#}");
    let captured = &list["data"]["paymentIntents"]["edges"][0]["node"];
    assert_eq!(captured["reference"], "demo-checkout-1", "{list:#}");
    let id = captured["id"].clone();

    let refund =
        json!({ "intentId": id, "amount": "9.90", "reason": "late", "idempotencyKey": "r1" });
    let refunded = post(stack.router, Some(&token), REFUND, refund).await;
    assert_eq!(refunded.get("errors"), None, "{refunded:#}");
    assert_eq!(
        refunded["data"]["refundPayment"]["status"],
        "PARTIALLY_REFUNDED"
    );
    let detail = post(stack.router, Some(&token), DETAIL, json!({ "id": id })).await;
    let ledger = detail["data"]["paymentIntent"]["ledger"]
        .as_array()
        .unwrap_or_else(|| panic!("a ledger: {detail:#}"));
    assert_eq!(
        ledger.last().map(|entry| &entry["note"]),
        Some(&json!("late"))
    );

    // Anonymous callers are asked to sign in by the payments subgraph.
    let anonymous = post(stack.router, None, SEARCH, json!({})).await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn the_internal_authorization_is_not_in_the_public_api() {
    let stack = running().await;
    let token = admin_token(stack.router).await;
    let variables = json!({
        "input": {
            "reference": "c",
            "amount": { "amount": "1.00", "currency": "EUR" },
            "method": { "token": "4242424242424242" },
        },
        "idempotencyKey": "k",
    });
    let response = post(stack.router, Some(&token), AUTHORIZE, variables).await;
    assert_eq!(response["data"], Value::Null, "{response:#}");
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("authorizePayment"), "{response:#}");
}
