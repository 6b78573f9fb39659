//! Placing an order publishes `orders.order_placed`, and each change of status
//! `orders.order_status_changed`, in the transaction of the change; replays publish nothing.

use commerce_testkit::events::publish_pending;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::lifecycle::{fulfill, line_ids};
use crate::support::{TestApp, customer_id, paid};

on_both_backends!(placing_and_changing_status_publish_events_in_order);

async fn placing_and_changing_status_publish_events_in_order(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = paid(&app).await;
    let lines = line_ids(&app, &order).await;
    let all = json!([
        { "orderLineId": lines[0], "quantity": 2 },
        { "orderLineId": lines[1], "quantity": 1 },
    ]);
    let fulfilled = fulfill(&app, &order, all.clone(), "f1").await;
    assert_eq!(fulfilled["status"], json!("FULFILLED"), "{fulfilled}");
    // A replay of the same key changes nothing.
    fulfill(&app, &order, all, "f1").await;

    let events: Vec<(String, i64, Value)> = publish_pending(app.service().db(), "orders")
        .await
        .into_iter()
        .map(|e| {
            assert_eq!(e.aggregate_id, order.id.global());
            (e.event_type, e.sequence, e.payload)
        })
        .collect();
    let status = |sequence, from: &str, to: &str| {
        (
            "orders.order_status_changed".to_owned(),
            sequence,
            json!({ "orderId": order.id.global(), "number": order.number, "from": from, "to": to }),
        )
    };
    let placed = &events[0];
    assert_eq!((placed.0.as_str(), placed.1), ("orders.order_placed", 1));
    assert_eq!(placed.2["number"], order.number);
    assert_eq!(placed.2["customerId"], json!(customer_id(1)));
    assert_eq!(placed.2["currency"], "EUR");
    assert_eq!(placed.2["total"], order.totals.total.to_decimal_string());
    assert_eq!(placed.2["email"], order.email);
    assert_eq!(placed.2["lines"][0]["quantity"], 2);
    assert!(placed.2["lines"][0]["total"].is_string(), "{}", placed.2);
    assert_eq!(
        &events[1..],
        [status(2, "PLACED", "PAID"), status(3, "PAID", "FULFILLED")]
    );
}
