//! Staff mutations under concurrent retries: one key applies once, and racing keys never
//! fulfil more units than the order has.

use std::sync::Arc;

use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::lifecycle::line_ids;
use crate::support::{TestApp, paid, writer};

const FULFILL: &str = include_str!("../../../../schema/operations/dashboard/order_fulfill.graphql");
const DETAIL: &str = include_str!("../../../../schema/operations/dashboard/order_detail.graphql");
const WAREHOUSE: &str = "V2FyZWhvdXNlOjE";

on_both_backends!(
    twenty_concurrent_retries_of_one_fulfillment_make_one,
    racing_fulfillments_never_ship_more_than_was_ordered,
);

async fn fulfill_all(app: &Arc<TestApp>, variables: Vec<Value>) -> Vec<Value> {
    let calls = variables.into_iter().map(|variables| {
        let app = app.clone();
        tokio::spawn(async move { app.execute_as(writer(), FULFILL, variables).await })
    });
    futures::future::try_join_all(calls)
        .await
        .expect("no call panicked")
}

async fn fulfillments(app: &TestApp, order: &str) -> Value {
    let detail = app
        .execute_as(writer(), DETAIL, json!({ "id": order }))
        .await;
    detail["data"]["order"]["fulfillments"].clone()
}

async fn twenty_concurrent_retries_of_one_fulfillment_make_one(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let order = paid(&app).await;
    let lines = line_ids(&app, &order).await;
    let variables = json!({
        "orderId": order.id.global(),
        "input": { "warehouseId": WAREHOUSE, "lines": [{ "orderLineId": lines[0], "quantity": 1 }] },
        "idempotencyKey": "fulfil-once",
    });
    let answers = fulfill_all(&app, vec![variables; 20]).await;
    for answer in &answers {
        assert_eq!(answer, &answers[0], "every retry gets the first answer");
    }
    assert_eq!(
        answers[0]["data"]["orderFulfill"]["status"],
        json!("PARTIALLY_FULFILLED")
    );
    let stored = fulfillments(&app, &order.id.global()).await;
    assert_eq!(stored.as_array().map(Vec::len), Some(1), "{stored}");
}

async fn racing_fulfillments_never_ship_more_than_was_ordered(backend: Backend) {
    let app = Arc::new(TestApp::new(backend).await);
    let order = paid(&app).await;
    let lines = line_ids(&app, &order).await;
    // The first line has 2 units; ten staff members each try to ship one.
    let variables = (0..10)
        .map(|n| {
            json!({
                "orderId": order.id.global(),
                "input": { "warehouseId": WAREHOUSE, "lines": [{ "orderLineId": lines[0], "quantity": 1 }] },
                "idempotencyKey": format!("fulfil-{n}"),
            })
        })
        .collect();
    let answers = fulfill_all(&app, variables).await;
    let won = answers
        .iter()
        .filter(|answer| answer["data"]["orderFulfill"]["__typename"] == json!("Order"))
        .count();
    for answer in &answers {
        let typename = &answer["data"]["orderFulfill"]["__typename"];
        // A loser of a race for the order is retried inside the service, so losers only
        // hear that the units are gone.
        assert!(
            typename == &json!("Order") || typename == &json!("InvalidOrderLines"),
            "{answer}"
        );
    }
    let stored = fulfillments(&app, &order.id.global()).await;
    let shipped: i64 = stored
        .as_array()
        .expect("fulfillments")
        .iter()
        .map(|f| f["lines"][0]["quantity"].as_i64().expect("a quantity"))
        .sum();
    assert_eq!(shipped, i64::try_from(won).expect("small"));
    assert_eq!(won, 2);
    let detail = app
        .execute_as(writer(), DETAIL, json!({ "id": order.id.global() }))
        .await;
    assert_eq!(
        detail["data"]["order"]["lines"][0]["fulfilledQuantity"],
        json!(won)
    );
}
