//! Capture, cancel, refund and return: the refusals decided here (as data, before any call),
//! and payments or inventory being down (SERVICE_UNAVAILABLE, the order unchanged). The calls
//! that succeed run against the real subgraphs in the lead's whole-graph tests.

use commerce_orders::domain::{Order, OrderStatus};
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::lifecycle::{fulfill, line_ids, ship};
use crate::support::{TestApp, customer, order_input, paid, writer};

const CAPTURE: &str = include_str!("../../../../schema/operations/dashboard/order_capture.graphql");
const CANCEL: &str = include_str!("../../../../schema/operations/dashboard/order_cancel.graphql");
const REFUND: &str = include_str!("../../../../schema/operations/dashboard/order_refund.graphql");
const RETURN: &str = include_str!("../../../../schema/operations/dashboard/order_return.graphql");
const DELIVERED: &str =
    include_str!("../../../../schema/operations/dashboard/order_mark_delivered.graphql");

on_both_backends!(
    with_payments_down_nothing_changes_and_the_error_says_so,
    refusals_are_data_and_need_no_other_service,
    an_order_without_payment_or_stock_cancels_on_its_own,
    customers_cannot_move_money,
);

/// The order as stored now, and how long its timeline is.
async fn stored(app: &TestApp, order: &Order) -> (Order, usize) {
    let now = app
        .service()
        .order(order.id)
        .await
        .expect("reads")
        .expect("exists");
    let events = app
        .service()
        .timelines(&[order.id])
        .await
        .expect("reads")
        .remove(&order.id)
        .unwrap_or_default();
    (now, events.len())
}

async fn delivered(app: &TestApp) -> Order {
    let order = paid(app).await;
    let lines = line_ids(app, &order).await;
    let all = json!([
        { "orderLineId": lines[0], "quantity": 2 },
        { "orderLineId": lines[1], "quantity": 1 }
    ]);
    let fulfilled = fulfill(app, &order, all, &format!("f-{}", order.number)).await;
    ship(
        app,
        &fulfilled["fulfillments"][0]["id"],
        &format!("s-{}", order.number),
    )
    .await;
    let variables =
        json!({ "orderId": order.id.global(), "idempotencyKey": format!("d-{}", order.number) });
    let response = app.execute_as(writer(), DELIVERED, variables).await;
    assert_eq!(
        response["data"]["orderMarkDelivered"]["status"],
        json!("DELIVERED"),
        "{response}"
    );
    stored(app, &order).await.0
}

async fn run(app: &TestApp, query: &str, variables: Value) -> Value {
    app.execute_as(writer(), query, variables).await
}

async fn with_payments_down_nothing_changes_and_the_error_says_so(backend: Backend) {
    let app = TestApp::new(backend).await;
    let placed = app.place(Some(1), "28.90").await;
    let before = stored(&app, &placed).await;
    let capture = run(
        &app,
        CAPTURE,
        json!({ "orderId": placed.id.global(), "idempotencyKey": "c1" }),
    )
    .await;
    assert_eq!(error_code(&capture), "SERVICE_UNAVAILABLE", "{capture}");
    let cancel =
        json!({ "orderId": placed.id.global(), "reason": "changed mind", "idempotencyKey": "x1" });
    let cancel = run(&app, CANCEL, cancel).await;
    assert_eq!(error_code(&cancel), "SERVICE_UNAVAILABLE", "{cancel}");
    assert_eq!(stored(&app, &placed).await, before);

    let order = paid(&app).await;
    let before = stored(&app, &order).await;
    let refund = json!({
        "orderId": order.id.global(),
        "amount": { "currency": "EUR", "amount": "5.00" },
        "reason": "late",
        "idempotencyKey": "r1",
    });
    let refund = run(&app, REFUND, refund).await;
    assert_eq!(error_code(&refund), "SERVICE_UNAVAILABLE", "{refund}");
    assert!(
        refund["errors"][0]["message"]
            .as_str()
            .is_some_and(|message| message.contains("payments service is unavailable")),
        "{refund}"
    );
    assert_eq!(stored(&app, &order).await, before);

    let order = delivered(&app).await;
    let before = stored(&app, &order).await;
    let lines = line_ids(&app, &order).await;
    let ret = json!({
        "orderId": order.id.global(),
        "lines": [{ "orderLineId": lines[0], "quantity": 1 }],
        "restock": true,
        "idempotencyKey": "ret1",
    });
    let ret = run(&app, RETURN, ret).await;
    assert_eq!(error_code(&ret), "SERVICE_UNAVAILABLE", "{ret}");
    assert_eq!(stored(&app, &order).await, before);
}

async fn refusals_are_data_and_need_no_other_service(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = paid(&app).await;
    let capture = run(
        &app,
        CAPTURE,
        json!({ "orderId": order.id.global(), "idempotencyKey": "c1" }),
    )
    .await;
    assert_eq!(
        capture["data"]["orderCapturePayment"],
        json!({
            "__typename": "InvalidOrderTransition",
            "code": "CONFLICT",
            "message": "an order that is PAID cannot become PAID",
            "from": "PAID",
            "to": "PAID",
        })
    );
    let too_much = json!({
        "orderId": order.id.global(),
        "amount": { "currency": "EUR", "amount": "28.91" },
        "reason": "goodwill",
        "idempotencyKey": "r1",
    });
    let too_much = run(&app, REFUND, too_much).await;
    assert_eq!(
        too_much["data"]["orderRefund"],
        json!({
            "__typename": "RefundExceedsRefundable",
            "code": "BAD_USER_INPUT",
            "message": "28.91 EUR cannot be refunded: only 28.90 EUR is left to refund",
            "requested": { "amount": "28.91", "currency": "EUR" },
            "refundable": { "amount": "28.90", "currency": "EUR" },
        })
    );
    let dollars = json!({
        "orderId": order.id.global(),
        "amount": { "currency": "USD", "amount": "1.00" },
        "reason": "goodwill",
        "idempotencyKey": "r2",
    });
    assert_eq!(
        error_code(&run(&app, REFUND, dollars).await),
        "BAD_USER_INPUT"
    );

    let placed = app.place(Some(1), "28.90").await;
    let unpaid = json!({ "orderId": placed.id.global(), "reason": "x", "idempotencyKey": "r3" });
    let unpaid = run(&app, REFUND, unpaid).await;
    assert_eq!(
        unpaid["data"]["orderRefund"]["__typename"],
        json!("InvalidOrderTransition"),
        "{unpaid}"
    );
    let mut no_intent = order_input(Some(1), "28.90");
    no_intent["paymentIntentId"] = Value::Null;
    let bare = app.place_with("bare", no_intent).await;
    let capture = run(
        &app,
        CAPTURE,
        json!({ "orderId": bare.id.global(), "idempotencyKey": "c2" }),
    )
    .await;
    assert_eq!(
        capture["data"]["orderCapturePayment"]["__typename"],
        json!("OrderHasNoPayment"),
        "{capture}"
    );

    let shipped = delivered(&app).await;
    let cancel =
        json!({ "orderId": shipped.id.global(), "reason": "late", "idempotencyKey": "x1" });
    let cancel = run(&app, CANCEL, cancel).await;
    assert_eq!(
        (
            &cancel["data"]["orderCancel"]["from"],
            &cancel["data"]["orderCancel"]["to"]
        ),
        (&json!("DELIVERED"), &json!("CANCELLED")),
        "{cancel}"
    );
    let lines = line_ids(&app, &shipped).await;
    let too_many = json!({
        "orderId": shipped.id.global(),
        "lines": [{ "orderLineId": lines[1], "quantity": 2 }],
        "idempotencyKey": "ret1",
    });
    let too_many = run(&app, RETURN, too_many).await;
    assert_eq!(
        too_many["data"]["orderReturn"]["__typename"],
        json!("InvalidOrderLines"),
        "{too_many}"
    );
    let early = json!({
        "orderId": order.id.global(),
        "lines": [{ "orderLineId": line_ids(&app, &order).await[0], "quantity": 1 }],
        "idempotencyKey": "ret2",
    });
    let early = run(&app, RETURN, early).await;
    assert_eq!(
        early["data"]["orderReturn"]["to"],
        json!("RETURNED"),
        "{early}"
    );
}

async fn an_order_without_payment_or_stock_cancels_on_its_own(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut input = order_input(None, "28.90");
    input["paymentIntentId"] = Value::Null;
    input["reservationKey"] = Value::Null;
    let order = app.place_with("bare", input).await;
    let variables =
        json!({ "orderId": order.id.global(), "reason": "fraud check", "idempotencyKey": "x1" });
    let cancelled = run(&app, CANCEL, variables.clone()).await;
    assert_eq!(
        cancelled["data"]["orderCancel"]["status"],
        json!("CANCELLED"),
        "{cancelled}"
    );
    let replay = run(&app, CANCEL, variables).await;
    assert_eq!(replay, cancelled);
    let (now, events) = stored(&app, &order).await;
    assert_eq!((now.status, events), (OrderStatus::Cancelled, 2));
    let timeline = app.service().timelines(&[order.id]).await.expect("reads");
    let last = timeline[&order.id].last().cloned().expect("an event");
    assert_eq!(
        last.data,
        Some(json!({ "from": "PLACED", "to": "CANCELLED", "reason": "fraud check" }))
    );
}

async fn customers_cannot_move_money(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = app.place(Some(1), "28.90").await;
    let id = order.id.global();
    let attempts = [
        (CAPTURE, json!({ "orderId": id, "idempotencyKey": "k" })),
        (
            CANCEL,
            json!({ "orderId": id, "reason": "x", "idempotencyKey": "k" }),
        ),
        (
            REFUND,
            json!({ "orderId": id, "reason": "x", "idempotencyKey": "k" }),
        ),
        (
            RETURN,
            json!({ "orderId": id, "lines": [], "idempotencyKey": "k" }),
        ),
    ];
    for (query, variables) in attempts {
        let refused = app.execute_as(customer(1), query, variables).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
}
