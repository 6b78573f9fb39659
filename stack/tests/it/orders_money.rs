//! The orders subgraph's staff mutations calling the real payments and inventory subgraphs
//! over HTTP with service tokens: capture, partial refund, cancellation (void and stock back),
//! and a return with restock. Orders, payments and inventory are set up the way the checkout
//! saga leaves them, through the same committed documents.

use std::net::SocketAddr;

use commerce_kernel::internal::InternalClient;
use commerce_stack::{Listeners, Stack, Subgraphs, start};
use commerce_testkit::{Backend, TestConfig, on_both_backends, test_config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const AUTHORIZE: &str =
    include_str!("../../../schema/operations/internal/payments/authorize_payment.graphql");
const RESERVE: &str =
    include_str!("../../../schema/operations/internal/inventory/reserve_stock.graphql");
const COMMIT: &str =
    include_str!("../../../schema/operations/internal/inventory/commit_reservation.graphql");
const PLACE: &str = include_str!("../../../schema/operations/internal/orders/place_order.graphql");
const CAPTURE: &str = include_str!("../../../schema/operations/dashboard/order_capture.graphql");
const REFUND: &str = include_str!("../../../schema/operations/dashboard/order_refund.graphql");
const CANCEL: &str = include_str!("../../../schema/operations/dashboard/order_cancel.graphql");
const FULFILL: &str = include_str!("../../../schema/operations/dashboard/order_fulfill.graphql");
const SHIP: &str = include_str!("../../../schema/operations/dashboard/order_ship.graphql");
const DELIVERED: &str =
    include_str!("../../../schema/operations/dashboard/order_mark_delivered.graphql");
const RETURN: &str = include_str!("../../../schema/operations/dashboard/order_return.graphql");
const DETAIL: &str = include_str!("../../../schema/operations/dashboard/order_detail.graphql");
const SEARCH: &str = include_str!("../../../schema/operations/dashboard/orders_search.graphql");

const SETUP_WAREHOUSE: &str = r#"
mutation ($code: String!) {
  createWarehouse(input: { code: $code, name: "Main" }, idempotencyKey: $code) {
    ... on Warehouse { id }
  }
}"#;
const SETUP_STOCK: &str = r#"
mutation ($variant: ID!, $warehouse: ID!) {
  setStock(input: { variantId: $variant, warehouseId: $warehouse, onHand: 10 }, idempotencyKey: "stock") {
    __typename
  }
}"#;
const AVAILABLE: &str = r#"
query ($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on ProductVariant { available } }
}"#;

on_both_backends!(orders_capture_refund_cancel_and_return_through_payments_and_inventory);

/// The stack on free ports, an orders app of its own on the same database (so the test
/// runs orders' schema in-process as staff) and a client calling as the checkout would.
struct Shop {
    router: SocketAddr,
    orders: commerce_orders::OrdersSchema,
    checkout: InternalClient,
    shutdown: CancellationToken,
    _stack: Stack,
    _config: TestConfig,
}

impl Drop for Shop {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn shop(backend: Backend) -> Shop {
    let test_config = test_config(backend).await;
    let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binds free ports");
    let config = listeners.config(&test_config).expect("addresses");
    let subgraphs = Subgraphs::connect(&config)
        .await
        .expect("subgraphs connect");
    // The demo admin; the test's variant is none of the demo shop's.
    subgraphs.load_demo(1).await.expect("demo data loads");
    let shutdown = CancellationToken::new();
    let stack = start(subgraphs, listeners, shutdown.clone())
        .await
        .expect("stack starts");
    let orders = commerce_orders::state(&config).await.expect("orders state");
    Shop {
        router: stack.router,
        orders: commerce_orders::schema(orders),
        checkout: InternalClient::from_config(&config, "checkout").expect("a client"),
        shutdown,
        _stack: stack,
        _config: test_config,
    }
}

impl Shop {
    /// Sends an operation through the router, with `token` if any.
    async fn through_router(&self, token: Option<&str>, query: &str, variables: Value) -> Value {
        let mut request = reqwest::Client::new()
            .post(format!("http://{}/graphql", self.router))
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

    async fn call(&self, service: &str, query: &str, variables: Value) -> Value {
        self.checkout
            .execute::<Value>(service, query, variables)
            .await
            .unwrap_or_else(|error| panic!("{service} answered {error}"))
    }

    async fn staff(&self, query: &str, variables: Value) -> Value {
        let staff = commerce_testkit::staff(&["orders:read", "orders:write"]);
        let response = commerce_testkit::execute_as(&self.orders, staff, query, variables).await;
        assert!(response.get("errors").is_none(), "{response}");
        response["data"].clone()
    }

    async fn available(&self, variant: &str) -> i64 {
        let representations =
            json!({ "representations": [{ "__typename": "ProductVariant", "id": variant }] });
        let data = self.call("inventory", AVAILABLE, representations).await;
        data["_entities"][0]["available"]
            .as_i64()
            .unwrap_or_else(|| panic!("no stock in {data}"))
    }

    /// What the checkout saga does before and at placing: reserve and commit 2 units,
    /// authorize 28.90 EUR, place the order with both. Returns the order's id.
    async fn checkout(&self, n: u32, variant: &str) -> String {
        let reservation = format!("reservation-{n}");
        let reserve = json!({
            "input": { "lines": [{ "variantId": variant, "quantity": 2 }], "ttlSeconds": 600 },
            "idempotencyKey": reservation,
        });
        let reserved = self.call("inventory", RESERVE, reserve).await;
        assert_eq!(
            reserved["reserveStock"]["__typename"],
            json!("Reservation"),
            "{reserved}"
        );
        let authorize = json!({
            "input": {
                "reference": format!("checkout-{n}"),
                "amount": { "amount": "28.90", "currency": "EUR" },
                "method": { "provider": "test", "token": "4242 4242 4242 4242" },
                "email": "ada@example.com",
            },
            "idempotencyKey": format!("authorize-{n}"),
        });
        let authorized = self.call("payments", AUTHORIZE, authorize).await;
        let intent = authorized["authorizePayment"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("not authorized: {authorized}"))
            .to_owned();
        let mut input = order_input(variant);
        input["paymentIntentId"] = json!(intent);
        input["reservationKey"] = json!(reservation);
        let place = json!({ "input": input, "idempotencyKey": format!("saga-{n}") });
        let placed = self.call("orders", PLACE, place).await;
        let committed = self
            .call("inventory", COMMIT, json!({ "key": reservation }))
            .await;
        assert_eq!(committed["commitReservation"]["status"], json!("COMMITTED"));
        placed["placeOrder"]["id"]
            .as_str()
            .unwrap_or_else(|| panic!("not placed: {placed}"))
            .to_owned()
    }
}

fn order_input(variant: &str) -> Value {
    json!({
        "checkoutId": "checkout",
        "customerId": null,
        "email": "ada@example.com",
        "currency": "EUR",
        "lines": [{
            "variantId": variant,
            "productId": commerce_testkit::ids::product(1),
            "sku": "SHIRT",
            "productName": "Shirt",
            "variantName": null,
            "quantity": 2,
            "unitPrice": "12.00",
            "discount": "0.00",
            "tax": "3.83",
            "total": "24.00"
        }],
        "shippingAddress": {
            "firstName": "Ada", "lastName": "Lovelace", "line1": "1 Main St", "city": "London",
            "postalCode": "N1 1AA", "countryCode": "GB"
        },
        "shippingMethod": { "id": "standard", "name": "Standard", "price": "4.90" },
        "totals": {
            "subtotal": "24.00", "discountTotal": "0.00", "shippingTotal": "4.90",
            "taxTotal": "3.83", "total": "28.90", "taxInclusive": true
        },
        "couponCodes": []
    })
}

async fn orders_capture_refund_cancel_and_return_through_payments_and_inventory(backend: Backend) {
    let shop = shop(backend).await;
    let variant = commerce_testkit::ids::variant(999_999);
    let warehouse = shop
        .call("inventory", SETUP_WAREHOUSE, json!({ "code": "main" }))
        .await["createWarehouse"]["id"]
        .clone();
    let stock = json!({ "variant": variant, "warehouse": warehouse });
    shop.call("inventory", SETUP_STOCK, stock).await;

    // Captured, then refunded in part.
    let first = shop.checkout(1, &variant).await;
    assert_eq!(shop.available(&variant).await, 8);
    let capture = json!({ "orderId": first, "idempotencyKey": "capture-1" });
    let captured = shop.staff(CAPTURE, capture.clone()).await;
    assert_eq!(
        captured["orderCapturePayment"]["status"],
        json!("PAID"),
        "{captured}"
    );
    assert_eq!(
        captured["orderCapturePayment"]["capturedAmount"]["amount"],
        json!("28.90")
    );
    assert_eq!(shop.staff(CAPTURE, capture).await, captured, "a replay");
    let refund = json!({
        "orderId": first,
        "amount": { "currency": "EUR", "amount": "5.00" },
        "reason": "late delivery",
        "idempotencyKey": "refund-1",
    });
    let refunded = shop.staff(REFUND, refund).await;
    let refunded = &refunded["orderRefund"];
    assert_eq!(
        refunded["status"],
        json!("PARTIALLY_REFUNDED"),
        "{refunded}"
    );
    assert_eq!(refunded["refundedAmount"]["amount"], json!("5.00"));

    // Cancelled before capture: the authorization is voided and the units come back.
    let second = shop.checkout(2, &variant).await;
    assert_eq!(shop.available(&variant).await, 6);
    let cancel =
        json!({ "orderId": second, "reason": "changed mind", "idempotencyKey": "cancel-2" });
    let cancelled = shop.staff(CANCEL, cancel).await;
    assert_eq!(
        cancelled["orderCancel"]["status"],
        json!("CANCELLED"),
        "{cancelled}"
    );
    assert_eq!(shop.available(&variant).await, 8);

    // Delivered, then one unit returned and restocked: half the line's total comes back.
    let third = shop.checkout(3, &variant).await;
    assert_eq!(shop.available(&variant).await, 6);
    let capture = json!({ "orderId": third, "idempotencyKey": "capture-3" });
    shop.staff(CAPTURE, capture).await;
    let detail = shop.staff(DETAIL, json!({ "id": third })).await;
    let line = detail["order"]["lines"][0]["id"].clone();
    let fulfill = json!({
        "orderId": third,
        "input": { "warehouseId": warehouse, "lines": [{ "orderLineId": line, "quantity": 2 }] },
        "idempotencyKey": "fulfill-3",
    });
    let fulfilled = shop.staff(FULFILL, fulfill).await;
    let fulfillment = fulfilled["orderFulfill"]["fulfillments"][0]["id"].clone();
    let ship = json!({ "fulfillmentId": fulfillment, "trackingNumbers": ["TRACK"], "idempotencyKey": "ship-3" });
    assert_eq!(
        shop.staff(SHIP, ship).await["orderShip"]["status"],
        json!("SHIPPED")
    );
    let delivered = json!({ "orderId": third, "idempotencyKey": "delivered-3" });
    shop.staff(DELIVERED, delivered).await;
    let ret = json!({
        "orderId": third,
        "lines": [{ "orderLineId": line, "quantity": 1 }],
        "restock": true,
        "idempotencyKey": "return-3",
    });
    let returned = shop.staff(RETURN, ret).await;
    let returned = &returned["orderReturn"];
    assert_eq!(returned["status"], json!("RETURNED"), "{returned}");
    assert_eq!(returned["refundedAmount"]["amount"], json!("12.00"));
    assert_eq!(returned["lines"][0]["returnedQuantity"], json!(1));
    assert_eq!(shop.available(&variant).await, 7);

    // The demo admin finds the three orders through the router, with the token the
    // customers subgraph issued; placeOrder is not in the router's public API.
    let login = shop
        .through_router(
            None,
            "mutation($email: String!, $password: String!) { staffLogin(email: $email, password: $password) { __typename ... on AuthPayload { accessToken } } }",
            json!({
                "email": commerce_customers::demo::ADMIN_EMAIL,
                "password": commerce_customers::demo::ADMIN_PASSWORD,
            }),
        )
        .await;
    let token = login["data"]["staffLogin"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a staff session: {login}"));
    let search = json!({ "sort": { "field": "NUMBER", "direction": "ASC" }, "first": 10 });
    let found = shop.through_router(Some(token), SEARCH, search).await;
    assert_eq!(found.get("errors"), None, "{found:#}");
    let statuses: Vec<&Value> = found["data"]["orders"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| &edge["node"]["status"])
        .collect();
    assert_eq!(statuses, ["PARTIALLY_REFUNDED", "CANCELLED", "RETURNED"]);
    let place = json!({ "input": order_input(&variant), "idempotencyKey": "outside" });
    let hidden = shop.through_router(None, PLACE, place).await;
    let messages: String = hidden["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|error| error["message"].as_str())
        .collect();
    assert!(
        messages.contains("Cannot query field \"placeOrder\""),
        "{hidden:#}"
    );
}
