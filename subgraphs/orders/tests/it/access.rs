//! Who may read and change orders: a customer reads only their own, staff need `orders:read`
//! and `orders:write`, internal mutations need a service token.

use commerce_kernel::viewer::Viewer;
use commerce_orders::domain::OrderId;
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::json;

use crate::support::{PLACE_ORDER, TestApp, customer, order_input, reader, staff, writer};

const ORDER: &str = include_str!("../../../../schema/operations/storefront/order.graphql");
const BY_NUMBER: &str = "query ($number: Int!) { orderByNumber(number: $number) { number } }";
const ENTITY: &str = r#"
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Order { number } }
}"#;
const FULFILL: &str = include_str!("../../../../schema/operations/dashboard/order_fulfill.graphql");
const SEARCH: &str = include_str!("../../../../schema/operations/dashboard/orders_search.graphql");

on_both_backends!(
    a_customer_reads_their_own_order_and_nobody_elses,
    entities_hide_orders_the_viewer_may_not_read,
    customers_and_readers_cannot_call_staff_or_internal_mutations,
);

async fn a_customer_reads_their_own_order_and_nobody_elses(backend: Backend) {
    let app = TestApp::new(backend).await;
    let own = app.place(Some(1), "28.90").await;
    let guest = app.place(None, "28.90").await;
    let read = |viewer: Viewer, id: String| {
        let app = &app;
        async move { app.execute_as(viewer, ORDER, json!({ "id": id })).await }
    };
    let mine = read(customer(1), own.id.global()).await;
    assert_eq!(mine["data"]["order"]["number"], json!(1001), "{mine}");
    assert_eq!(
        error_code(&read(customer(2), own.id.global()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&read(customer(1), guest.id.global()).await),
        "FORBIDDEN"
    );
    // No existence oracle: an unknown order is FORBIDDEN to a customer too.
    let unknown = OrderId(999).global();
    assert_eq!(
        error_code(&read(customer(1), unknown.clone()).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&read(Viewer::Anonymous, own.id.global()).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&read(staff(&["orders:write"]), own.id.global()).await),
        "FORBIDDEN"
    );
    let staff_read = read(reader(), guest.id.global()).await;
    assert_eq!(
        staff_read["data"]["order"]["number"],
        json!(1002),
        "{staff_read}"
    );
    assert_eq!(
        read(reader(), unknown).await,
        json!({ "data": { "order": null } })
    );

    let by_number = |viewer: Viewer, number: i64| {
        let app = &app;
        async move {
            app.execute_as(viewer, BY_NUMBER, json!({ "number": number }))
                .await
        }
    };
    let mine = by_number(customer(1), 1001).await;
    assert_eq!(
        mine["data"]["orderByNumber"]["number"],
        json!(1001),
        "{mine}"
    );
    assert_eq!(error_code(&by_number(customer(2), 1001).await), "FORBIDDEN");
    assert_eq!(error_code(&by_number(customer(2), 4242).await), "FORBIDDEN");
    let missing = by_number(reader(), 4242).await;
    assert_eq!(missing, json!({ "data": { "orderByNumber": null } }));
}

async fn entities_hide_orders_the_viewer_may_not_read(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = app.place(Some(1), "28.90").await;
    let representations =
        json!({ "representations": [{ "__typename": "Order", "id": order.id.global() }] });
    let own = app
        .execute_as(customer(1), ENTITY, representations.clone())
        .await;
    assert_eq!(
        own["data"]["_entities"],
        json!([{ "number": 1001 }]),
        "{own}"
    );
    let other = app.execute_as(customer(2), ENTITY, representations).await;
    assert_eq!(other["data"]["_entities"], json!([null]), "{other}");
}

async fn customers_and_readers_cannot_call_staff_or_internal_mutations(backend: Backend) {
    let app = TestApp::new(backend).await;
    let order = app.place(Some(1), "28.90").await;
    let fulfill = json!({
        "orderId": order.id.global(),
        "input": { "warehouseId": "d2FyZWhvdXNlOjE", "lines": [] },
        "idempotencyKey": "k1",
    });
    for viewer in [customer(1), reader()] {
        let refused = app.execute_as(viewer, FULFILL, fulfill.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
    let anonymous = app.execute_as(Viewer::Anonymous, FULFILL, fulfill).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
    let search = app.execute_as(customer(1), SEARCH, json!({})).await;
    assert_eq!(error_code(&search), "FORBIDDEN");

    let place = json!({ "input": order_input(Some(1), "1.00"), "idempotencyKey": "saga-x" });
    for viewer in [customer(1), writer()] {
        let refused = app.execute_as(viewer, PLACE_ORDER, place.clone()).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    }
    let paid =
        "mutation ($id: ID!) { markOrderPaid(orderId: $id, idempotencyKey: \"p\") { __typename } }";
    let refused = app
        .execute_as(writer(), paid, json!({ "id": order.id.global() }))
        .await;
    assert_eq!(error_code(&refused), "FORBIDDEN");
}
