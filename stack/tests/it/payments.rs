//! Payments through the real router: the dashboard's committed documents as the demo admin
//! (whose token the payments subgraph verifies too), and the internal mutations missing from
//! the public API whoever asks.

use commerce_testkit::Backend;
use serde_json::{Value, json};

use crate::graph::Graph;

/// The stack with the demo data of one product (and the demo payments).
async fn running() -> Graph {
    Graph::start(Backend::Sqlite, 1).await
}

#[tokio::test]
async fn the_admin_finds_a_demo_payment_and_refunds_part_of_it_through_the_router() {
    let graph = running().await;
    let token = graph.staff_sign_in().await;
    let filter = json!({ "filter": { "status": "CAPTURED" }, "first": 10 });
    let list = graph
        .run("dashboard/payments_search", filter, Some(&token))
        .await;
    assert_eq!(list.get("errors"), None, "{list:#}");
    let captured = &list["data"]["paymentIntents"]["edges"][0]["node"];
    assert_eq!(captured["reference"], "demo-checkout-1", "{list:#}");
    let id = captured["id"].clone();

    let refund =
        json!({ "intentId": id, "amount": "9.90", "reason": "late", "idempotencyKey": "r1" });
    let refunded = graph
        .run("dashboard/payment_refund", refund, Some(&token))
        .await;
    assert_eq!(refunded.get("errors"), None, "{refunded:#}");
    assert_eq!(
        refunded["data"]["refundPayment"]["status"],
        "PARTIALLY_REFUNDED"
    );
    let detail = graph
        .run(
            "dashboard/payment_detail",
            json!({ "id": id }),
            Some(&token),
        )
        .await;
    let ledger = detail["data"]["paymentIntent"]["ledger"]
        .as_array()
        .unwrap_or_else(|| panic!("a ledger: {detail:#}"));
    assert_eq!(
        ledger.last().map(|entry| &entry["note"]),
        Some(&json!("late"))
    );

    // Anonymous callers are asked to sign in by the payments subgraph.
    let anonymous = graph
        .run("dashboard/payments_search", json!({}), None)
        .await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn the_internal_authorization_is_not_in_the_public_api() {
    let graph = running().await;
    let token = graph.staff_sign_in().await;
    let variables = json!({
        "input": {
            "reference": "c",
            "amount": { "amount": "1.00", "currency": "EUR" },
            "method": { "token": "4242424242424242" },
        },
        "idempotencyKey": "k",
    });
    let response = graph
        .run(
            "internal/payments/authorize_payment",
            variables,
            Some(&token),
        )
        .await;
    assert_eq!(response["data"], Value::Null, "{response:#}");
    let message = response["errors"][0]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(message.contains("authorizePayment"), "{response:#}");
}
