//! Every movement of an intent's money publishes one event in its own transaction
//! (`payments.payment_authorized`, `_captured`, `_refunded`, `_voided`, `_failed`); refused
//! movements and replays publish nothing.

use commerce_testkit::events::publish_pending;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::support::{DECLINED, TestApp, checkout, operations};

on_both_backends!(each_movement_publishes_one_event_and_refusals_publish_none);

async fn each_movement_publishes_one_event_and_refusals_publish_none(backend: Backend) {
    let app = TestApp::new(backend).await;
    let paid = app.authorized("100.00").await;
    let order = commerce_kernel::GlobalId::encode("Order", 7);
    let attached = app
        .execute_as(
            checkout(),
            operations::ATTACH,
            json!({ "intentId": paid, "orderId": order }),
        )
        .await;
    crate::support::assert_no_errors(&attached);
    app.capture(&paid, Some("40.00"), "c-1").await;
    let refused = app.capture(&paid, Some("60.01"), "c-2").await;
    assert_eq!(refused["__typename"], "CaptureExceedsAuthorized");
    app.capture(&paid, Some("40.00"), "c-1").await; // a replay
    app.refund(&paid, Some("15.50"), "r-1").await;
    let voided = app.authorized("5.00").await;
    app.void(&voided, "v-1").await;
    let declined = app.authorize(DECLINED, "9.99", "a-declined").await;
    assert_eq!(declined["__typename"], "PaymentDeclined", "{declined}");

    let events: Vec<(String, String, i64, Value)> =
        publish_pending(app.state.service.db(), "payments")
            .await
            .into_iter()
            .map(|e| (e.event_type, e.aggregate_id, e.sequence, e.payload))
            .collect();
    let payment = |intent: &str, order: Value, amount: &str, status: &str, totals: [&str; 3]| {
        json!({ "intentId": intent, "reference": "checkout-1", "orderId": order,
            "customerId": null, "currency": "EUR", "amount": amount, "status": status,
            "authorized": totals[0], "captured": totals[1], "refunded": totals[2] })
    };
    let failed_intent = events.last().map(|e| e.1.clone()).unwrap_or_default();
    let mut failed = payment(
        &failed_intent,
        Value::Null,
        "9.99",
        "FAILED",
        ["0.00", "0.00", "0.00"],
    );
    failed["reason"] = json!("CARD_DECLINED");
    let event = |kind: &str, intent: &str, sequence: i64, payload: Value| {
        (
            format!("payments.payment_{kind}"),
            intent.to_owned(),
            sequence,
            payload,
        )
    };
    assert_eq!(
        events,
        [
            event(
                "authorized",
                &paid,
                1,
                payment(
                    &paid,
                    Value::Null,
                    "100.00",
                    "AUTHORIZED",
                    ["100.00", "0.00", "0.00"]
                )
            ),
            event(
                "captured",
                &paid,
                2,
                payment(
                    &paid,
                    json!(order),
                    "40.00",
                    "PARTIALLY_CAPTURED",
                    ["100.00", "40.00", "0.00"]
                )
            ),
            event(
                "refunded",
                &paid,
                3,
                payment(
                    &paid,
                    json!(order),
                    "15.50",
                    "PARTIALLY_REFUNDED",
                    ["100.00", "40.00", "15.50"]
                )
            ),
            event(
                "authorized",
                &voided,
                1,
                payment(
                    &voided,
                    Value::Null,
                    "5.00",
                    "AUTHORIZED",
                    ["5.00", "0.00", "0.00"]
                )
            ),
            event(
                "voided",
                &voided,
                2,
                payment(
                    &voided,
                    Value::Null,
                    "5.00",
                    "VOIDED",
                    ["5.00", "0.00", "0.00"]
                )
            ),
            event("failed", &failed_intent, 1, failed),
        ]
    );
    assert_ne!(failed_intent, paid);
}
