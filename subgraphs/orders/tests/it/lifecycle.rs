//! The order's life through the staff mutations: every allowed step, the refused ones as
//! data, and idempotent replays.

use commerce_orders::domain::{Order, OrderStatus};
use commerce_testkit::{Backend, error_code, on_both_backends, service};
use serde_json::{Value, json};

use crate::support::{MARK_PAID, TestApp, paid, writer};

const FULFILL: &str = include_str!("../../../../schema/operations/dashboard/order_fulfill.graphql");
const SHIP: &str = include_str!("../../../../schema/operations/dashboard/order_ship.graphql");
const DELIVERED: &str =
    include_str!("../../../../schema/operations/dashboard/order_mark_delivered.graphql");
const DETAIL: &str = include_str!("../../../../schema/operations/dashboard/order_detail.graphql");

on_both_backends!(
    a_paid_order_is_fulfilled_in_parts_shipped_and_delivered,
    refused_transitions_and_bad_lines_come_back_as_data,
    replays_return_the_first_result_and_reused_keys_conflict,
);

const WAREHOUSE: &str = "V2FyZWhvdXNlOjE";

/// The ids of an order's lines, in cart order.
pub async fn line_ids(app: &TestApp, order: &Order) -> Vec<String> {
    let detail = app
        .execute_as(writer(), DETAIL, json!({ "id": order.id.global() }))
        .await;
    detail["data"]["order"]["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines in {detail}"))
        .iter()
        .map(|line| line["id"].as_str().expect("an id").to_owned())
        .collect()
}

pub async fn fulfill(app: &TestApp, order: &Order, lines: Value, key: &str) -> Value {
    let variables = json!({
        "orderId": order.id.global(),
        "input": { "warehouseId": WAREHOUSE, "lines": lines, "trackingNumbers": ["TRACK-1"] },
        "idempotencyKey": key,
    });
    app.execute_as(writer(), FULFILL, variables).await["data"]["orderFulfill"].clone()
}

pub async fn ship(app: &TestApp, fulfillment: &Value, key: &str) -> Value {
    let variables = json!({ "fulfillmentId": fulfillment, "idempotencyKey": key });
    app.execute_as(writer(), SHIP, variables).await["data"]["orderShip"].clone()
}

async fn a_paid_order_is_fulfilled_in_parts_shipped_and_delivered(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = paid(&app).await;
    assert_eq!(order.status, OrderStatus::Paid);
    assert_eq!(order.captured, order.totals.total);
    let lines = line_ids(&app, &order).await;

    let first = fulfill(
        &app,
        &order,
        json!([{ "orderLineId": lines[0], "quantity": 2 }]),
        "f1",
    )
    .await;
    assert_eq!(first["status"], json!("PARTIALLY_FULFILLED"), "{first}");
    assert_eq!(first["lines"][0]["fulfilledQuantity"], json!(2));
    let shipped_part = ship(&app, &first["fulfillments"][0]["id"], "s1").await;
    assert_eq!(
        shipped_part["status"],
        json!("PARTIALLY_FULFILLED"),
        "{shipped_part}"
    );
    assert_eq!(shipped_part["fulfillments"][0]["status"], json!("SHIPPED"));
    assert_eq!(
        shipped_part["fulfillments"][0]["trackingNumbers"],
        json!(["TRACK-1"])
    );

    let rest = fulfill(
        &app,
        &order,
        json!([{ "orderLineId": lines[1], "quantity": 1 }]),
        "f2",
    )
    .await;
    assert_eq!(rest["status"], json!("FULFILLED"), "{rest}");
    let shipped = ship(&app, &rest["fulfillments"][1]["id"], "s2").await;
    assert_eq!(shipped["status"], json!("SHIPPED"), "{shipped}");

    let variables = json!({ "orderId": order.id.global(), "idempotencyKey": "d1" });
    let delivered = app.execute_as(writer(), DELIVERED, variables).await;
    assert_eq!(
        delivered["data"]["orderMarkDelivered"]["status"],
        json!("DELIVERED")
    );

    let detail = app
        .execute_as(writer(), DETAIL, json!({ "id": order.id.global() }))
        .await;
    let timeline: Vec<(&str, &str)> = detail["data"]["order"]["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .map(|event| {
            (
                event["kind"].as_str().expect("kind"),
                event["actor"].as_str().expect("actor"),
            )
        })
        .collect();
    let staff = commerce_kernel::GlobalId::encode("StaffMember", 1);
    assert_eq!(
        timeline,
        vec![
            ("PLACED", "service:checkout"),
            ("STATUS_CHANGED", "service:checkout"),
            ("FULFILLED", staff.as_str()),
            ("SHIPPED", staff.as_str()),
            ("FULFILLED", staff.as_str()),
            ("SHIPPED", staff.as_str()),
            ("DELIVERED", staff.as_str()),
        ]
    );
    let statuses: Vec<&str> = detail["data"]["order"]["fulfillments"]
        .as_array()
        .expect("fulfillments")
        .iter()
        .map(|f| f["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses, vec!["DELIVERED", "DELIVERED"]);
}

async fn refused_transitions_and_bad_lines_come_back_as_data(backend: Backend) {
    let app = TestApp::new(backend).await;
    let placed = app.place(Some(1), "28.90").await;
    let lines = line_ids(&app, &placed).await;
    let unpaid = fulfill(
        &app,
        &placed,
        json!([{ "orderLineId": lines[0], "quantity": 1 }]),
        "f0",
    )
    .await;
    assert_eq!(
        unpaid,
        json!({
            "__typename": "InvalidOrderTransition",
            "code": "CONFLICT",
            "message": "an order that is PLACED cannot become PARTIALLY_FULFILLED: capture its payment first",
            "from": "PLACED",
            "to": "PARTIALLY_FULFILLED",
        })
    );
    let order = paid(&app).await;
    let lines = line_ids(&app, &order).await;
    let too_many = fulfill(
        &app,
        &order,
        json!([{ "orderLineId": lines[0], "quantity": 3 }]),
        "f1",
    )
    .await;
    assert_eq!(
        too_many["__typename"],
        json!("InvalidOrderLines"),
        "{too_many}"
    );
    assert_eq!(too_many["code"], json!("BAD_USER_INPUT"));
    let foreign = line_ids(&app, &placed).await;
    let elsewhere = fulfill(
        &app,
        &order,
        json!([{ "orderLineId": foreign[0], "quantity": 1 }]),
        "f2",
    )
    .await;
    assert_eq!(
        elsewhere["__typename"],
        json!("InvalidOrderLines"),
        "{elsewhere}"
    );
    let variables = json!({ "orderId": order.id.global(), "idempotencyKey": "d1" });
    let early = app.execute_as(writer(), DELIVERED, variables).await;
    let early = &early["data"]["orderMarkDelivered"];
    assert_eq!(
        (&early["from"], &early["to"]),
        (&json!("PAID"), &json!("DELIVERED")),
        "{early}"
    );
    let missing = json!({ "orderId": commerce_orders::domain::OrderId(999).global(), "idempotencyKey": "d2" });
    let missing = app.execute_as(writer(), DELIVERED, missing).await;
    assert_eq!(
        missing["data"]["orderMarkDelivered"]["__typename"],
        json!("OrderNotFound")
    );
    let unknown = ship(
        &app,
        &json!(commerce_kernel::GlobalId::encode("Fulfillment", 9)),
        "s9",
    )
    .await;
    assert_eq!(
        unknown["__typename"],
        json!("FulfillmentNotFound"),
        "{unknown}"
    );
    let again = json!({ "id": order.id.global(), "key": "again" });
    let again = app.execute_as(service("checkout"), MARK_PAID, again).await;
    assert_eq!(
        again["data"]["markOrderPaid"],
        json!({ "__typename": "InvalidOrderTransition", "from": "PAID", "to": "PAID" })
    );
}

async fn replays_return_the_first_result_and_reused_keys_conflict(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = paid(&app).await;
    let lines = line_ids(&app, &order).await;
    let pick = json!([{ "orderLineId": lines[0], "quantity": 1 }]);
    let first = fulfill(&app, &order, pick.clone(), "f1").await;
    let replay = fulfill(&app, &order, pick, "f1").await;
    assert_eq!(replay, first);
    assert_eq!(first["fulfillments"].as_array().map(Vec::len), Some(1));
    let variables = json!({
        "orderId": order.id.global(),
        "input": { "warehouseId": WAREHOUSE, "lines": [{ "orderLineId": lines[0], "quantity": 1 }] },
        "idempotencyKey": "f1",
    });
    let reused = app.execute_as(writer(), FULFILL, variables).await;
    assert_eq!(error_code(&reused), "CONFLICT", "{reused}");
}
