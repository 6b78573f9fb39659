//! `returnReservation`: a cancelled order's committed stock comes back once, through the
//! committed document the orders subgraph sends, and only for a service.

use commerce_kernel::viewer::Viewer;
use commerce_testkit::{error_code, service};
use serde_json::json;

use crate::support::{Backend, app, execute_as, key, on_both_backends, staff, variant};
use commerce_inventory::domain::{Quantity, ReservationTtl};
use commerce_inventory::service::ReserveLine;

const RETURN: &str =
    include_str!("../../../../schema/operations/internal/inventory/return_reservation.graphql");
const RESTOCK: &str =
    include_str!("../../../../schema/operations/internal/inventory/restock_returned.graphql");

on_both_backends!(
    a_committed_reservation_comes_back_on_hand_once,
    an_active_reservation_is_released_and_only_services_may_return,
    returned_units_are_restocked_through_the_orders_document,
);

async fn reserve(app: &crate::support::TestApp, k: &str, quantity: i64) {
    let line = ReserveLine {
        variant: variant(1),
        quantity: Quantity::parse(quantity).expect("valid quantity"),
    };
    let ttl = ReservationTtl::parse(600).expect("valid ttl");
    app.inventory()
        .reserve(&key(k), vec![line], ttl)
        .await
        .expect("reserves");
}

async fn a_committed_reservation_comes_back_on_hand_once(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 10).await;
    reserve(&app, "order-1", 3).await;
    app.inventory().commit("order-1").await.expect("commits");
    assert_eq!(app.available(&variant(1)).await, 7);

    let variables = json!({ "key": "order-1", "idempotencyKey": "cancel-1" });
    let returned = execute_as(&app, service("orders"), RETURN, variables.clone()).await;
    assert_eq!(
        returned,
        json!({ "data": { "returnReservation": {
            "__typename": "Reservation", "key": "order-1", "status": "RETURNED"
        } } })
    );
    assert_eq!(app.available(&variant(1)).await, 10);
    // A replay, and a second return under another key, change nothing.
    let replay = execute_as(&app, service("orders"), RETURN, variables).await;
    assert_eq!(replay, returned);
    let other = json!({ "key": "order-1", "idempotencyKey": "cancel-2" });
    let again = execute_as(&app, service("orders"), RETURN, other).await;
    assert_eq!(
        again["data"]["returnReservation"]["status"],
        json!("RETURNED")
    );
    assert_eq!(app.available(&variant(1)).await, 10);
    app.assert_books_balance().await;
}

async fn an_active_reservation_is_released_and_only_services_may_return(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 5).await;
    reserve(&app, "order-2", 2).await;
    assert_eq!(app.available(&variant(1)).await, 3);
    let variables = json!({ "key": "order-2", "idempotencyKey": "cancel-1" });
    for viewer in [staff(), commerce_testkit::customer(1, &[])] {
        let refused = execute_as(&app, viewer, RETURN, variables.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
    let anonymous = execute_as(&app, Viewer::Anonymous, RETURN, variables.clone()).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let released = execute_as(&app, service("orders"), RETURN, variables).await;
    assert_eq!(
        released["data"]["returnReservation"]["status"],
        json!("RELEASED")
    );
    assert_eq!(app.available(&variant(1)).await, 5);
    let missing = json!({ "key": "nobody", "idempotencyKey": "cancel-2" });
    let missing = execute_as(&app, service("orders"), RETURN, missing).await;
    assert_eq!(error_code(&missing), "NOT_FOUND", "{missing}");
    app.assert_books_balance().await;
}

async fn returned_units_are_restocked_through_the_orders_document(backend: Backend) {
    let app = app(backend).await;
    let north = app.warehouse("north").await;
    app.stock(&variant(1), north, 4).await;
    let variables = json!({
        "input": {
            "variantId": commerce_testkit::ids::variant(1),
            "warehouseId": north.global(),
            "delta": 2,
            "note": "returned from order 1001",
        },
        "idempotencyKey": "order:ret-1:restock-0",
    });
    let restocked = execute_as(&app, service("orders"), RESTOCK, variables.clone()).await;
    assert_eq!(
        restocked,
        json!({ "data": { "adjustStock": {
            "__typename": "StockLevel", "onHand": 6, "available": 6
        } } })
    );
    let replay = execute_as(&app, service("orders"), RESTOCK, variables).await;
    assert_eq!(replay, restocked);
    assert_eq!(app.available(&variant(1)).await, 6);
    app.assert_books_balance().await;
}
