//! Who may call what: staff mutations, the checkout reservation cycle, the movement log and
//! reservation reads need `inventory:write`; warehouses and stock stay public.

use commerce_inventory::domain::{Quantity, ReservationStatus, ReservationTtl};
use commerce_inventory::service::{MovementFilter, ReserveLine};
use commerce_kernel::pagination::PageRequest;
use commerce_kernel::viewer::Viewer;
use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::support::{
    Backend, TestApp, app, describe_error, execute_as, key, on_both_backends, staff, variant,
};

on_both_backends!(
    customers_staff_without_the_permission_and_anonymous_callers_change_nothing,
    staff_with_the_permission_run_the_mutations,
);

/// Every gated operation, each naming the warehouse `north`, variant 1 and reservation `held`.
fn gated_operations(warehouse: &str) -> Vec<(&'static str, String)> {
    let v1 = variant(1);
    let v1 = v1.as_str();
    vec![
        (
            "createWarehouse",
            r#"mutation { createWarehouse(input: { code: "south", name: "South" }, idempotencyKey: "w") { __typename } }"#.to_owned(),
        ),
        (
            "setStock",
            format!(
                r#"mutation {{ setStock(input: {{ variantId: "{v1}", warehouseId: "{warehouse}", onHand: 50 }}, idempotencyKey: "s") {{ __typename }} }}"#
            ),
        ),
        (
            "adjustStock",
            format!(
                r#"mutation {{ adjustStock(input: {{ variantId: "{v1}", warehouseId: "{warehouse}", delta: -3 }}, idempotencyKey: "a") {{ __typename }} }}"#
            ),
        ),
        (
            "reserveStock",
            format!(
                r#"mutation {{ reserveStock(input: {{ lines: [{{ variantId: "{v1}", quantity: 2 }}], ttlSeconds: 900 }}, idempotencyKey: "r") {{ __typename }} }}"#
            ),
        ),
        (
            "releaseReservation",
            r#"mutation { releaseReservation(key: "held") { __typename } }"#.to_owned(),
        ),
        (
            "commitReservation",
            r#"mutation { commitReservation(key: "held") { __typename } }"#.to_owned(),
        ),
        (
            "stockMovements",
            "{ stockMovements(first: 10) { totalCount } }".to_owned(),
        ),
        (
            "reservation",
            r#"{ reservation(key: "held") { status } }"#.to_owned(),
        ),
    ]
}

/// Ten on hand for variant 1 in `north`, two of them held by the reservation `held`.
async fn seeded(backend: Backend) -> (TestApp, String) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 10).await;
    let line = ReserveLine {
        variant: variant(1),
        quantity: Quantity::parse(2).expect("valid quantity"),
    };
    app.inventory()
        .reserve(
            &key("held"),
            vec![line],
            ReservationTtl::parse(900).expect("valid ttl"),
        )
        .await
        .expect("reserves");
    (app, north.global())
}

/// What the caller could have changed: warehouses, availability, the log, the reservation.
async fn books(app: &TestApp) -> Value {
    let warehouses = app
        .inventory()
        .warehouses()
        .await
        .expect("reads warehouses");
    let request = PageRequest::parse(Some(100), None, None, None).expect("a page");
    let (_, movements) = app
        .inventory()
        .movements(&MovementFilter::default(), &request)
        .await
        .expect("reads movements");
    let reservation = app
        .inventory()
        .reservation("held")
        .await
        .expect("reads the reservation")
        .expect("the reservation exists");
    json!({
        "warehouses": warehouses.len(),
        "available": app.available(&variant(1)).await,
        "movements": movements,
        "reservation": format!("{:?}", reservation.status),
    })
}

fn first_error(response: &Value) -> Value {
    describe_error(&response["errors"][0])
}

async fn customers_staff_without_the_permission_and_anonymous_callers_change_nothing(
    backend: Backend,
) {
    let (app, north) = seeded(backend).await;
    let before = books(&app).await;
    let callers = [
        ("customer", commerce_testkit::customer(1, &["vip"])),
        (
            "staff without inventory:write",
            commerce_testkit::staff(&["catalog:write", "orders:write"]),
        ),
        ("anonymous", Viewer::Anonymous),
    ];
    let mut outcomes = serde_json::Map::new();
    for (caller, viewer) in callers {
        let mut per_operation = serde_json::Map::new();
        for (operation, query) in gated_operations(&north) {
            let response = execute_as(&app, viewer.clone(), &query, json!({})).await;
            assert_eq!(response["data"], Value::Null, "{caller} {operation}");
            assert_eq!(
                response["errors"].as_array().map(Vec::len),
                Some(1),
                "{caller} {operation}: {response}"
            );
            per_operation.insert(operation.to_owned(), first_error(&response));
        }
        outcomes.insert(caller.to_owned(), Value::Object(per_operation));
    }
    assert_eq!(
        books(&app).await,
        before,
        "a refused caller changed the books"
    );
    assert_json_snapshot!(before, @r#"
    {
      "warehouses": 1,
      "available": 8,
      "movements": 2,
      "reservation": "Active"
    }
    "#);
    assert_json_snapshot!(outcomes, @r#"
    {
      "customer": {
        "createWarehouse": "FORBIDDEN: this needs the `inventory:write` permission",
        "setStock": "FORBIDDEN: this needs the `inventory:write` permission",
        "adjustStock": "FORBIDDEN: this needs the `inventory:write` permission",
        "reserveStock": "FORBIDDEN: this needs the `inventory:write` permission",
        "releaseReservation": "FORBIDDEN: this needs the `inventory:write` permission",
        "commitReservation": "FORBIDDEN: this needs the `inventory:write` permission",
        "stockMovements": "FORBIDDEN: this needs the `inventory:write` permission",
        "reservation": "FORBIDDEN: this needs the `inventory:write` permission"
      },
      "staff without inventory:write": {
        "createWarehouse": "FORBIDDEN: this needs the `inventory:write` permission",
        "setStock": "FORBIDDEN: this needs the `inventory:write` permission",
        "adjustStock": "FORBIDDEN: this needs the `inventory:write` permission",
        "reserveStock": "FORBIDDEN: this needs the `inventory:write` permission",
        "releaseReservation": "FORBIDDEN: this needs the `inventory:write` permission",
        "commitReservation": "FORBIDDEN: this needs the `inventory:write` permission",
        "stockMovements": "FORBIDDEN: this needs the `inventory:write` permission",
        "reservation": "FORBIDDEN: this needs the `inventory:write` permission"
      },
      "anonymous": {
        "createWarehouse": "UNAUTHENTICATED: sign in first",
        "setStock": "UNAUTHENTICATED: sign in first",
        "adjustStock": "UNAUTHENTICATED: sign in first",
        "reserveStock": "UNAUTHENTICATED: sign in first",
        "releaseReservation": "UNAUTHENTICATED: sign in first",
        "commitReservation": "UNAUTHENTICATED: sign in first",
        "stockMovements": "UNAUTHENTICATED: sign in first",
        "reservation": "UNAUTHENTICATED: sign in first"
      }
    }
    "#);
    app.assert_books_balance().await;
}

async fn staff_with_the_permission_run_the_mutations(backend: Backend) {
    let (app, north) = seeded(backend).await;
    let mut outcomes = serde_json::Map::new();
    for (operation, query) in gated_operations(&north) {
        let response = execute_as(&app, staff(), &query, json!({})).await;
        assert_eq!(response["errors"], Value::Null, "{operation}: {response}");
        outcomes.insert(operation.to_owned(), response["data"].clone());
    }
    assert_json_snapshot!(outcomes, @r#"
    {
      "createWarehouse": {
        "createWarehouse": {
          "__typename": "Warehouse"
        }
      },
      "setStock": {
        "setStock": {
          "__typename": "StockLevel"
        }
      },
      "adjustStock": {
        "adjustStock": {
          "__typename": "StockLevel"
        }
      },
      "reserveStock": {
        "reserveStock": {
          "__typename": "Reservation"
        }
      },
      "releaseReservation": {
        "releaseReservation": {
          "__typename": "Reservation"
        }
      },
      "commitReservation": {
        "commitReservation": {
          "__typename": "ReservationClosed"
        }
      },
      "stockMovements": {
        "stockMovements": {
          "totalCount": 6
        }
      },
      "reservation": {
        "reservation": {
          "status": "RELEASED"
        }
      }
    }
    "#);
    let reservation = app
        .inventory()
        .reservation("held")
        .await
        .expect("reads the reservation")
        .expect("the reservation exists");
    assert_eq!(reservation.status, ReservationStatus::Released);
    app.assert_books_balance().await;
}
