//! The purchase flow through the real router, with the documents the storefront and the
//! dashboard send (`schema/operations/`): browse → a guest's cart → sign in (the cart merges) →
//! shipping → checkout with a test card → the order in `me { orders }` and in the staff search →
//! capture → fulfil → ship → refund part of it.

use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::graph::Graph;

const CARD_OK: &str = "4242 4242 4242 4242";

pub fn address() -> Value {
    json!({
        "firstName": "Ada", "lastName": "Lovelace", "line1": "Unter den Linden 1",
        "city": "Berlin", "postalCode": "10117", "countryCode": "DE"
    })
}

/// A published variant with stock and a price in EUR, from the storefront's listing.
pub async fn variant_on_sale(graph: &Graph) -> String {
    variants_on_sale(graph, 1).await.remove(0)
}

/// `count` published variants with stock and a price in EUR, from the storefront's listing.
pub async fn variants_on_sale(graph: &Graph, count: usize) -> Vec<String> {
    let data = graph
        .data(
            "storefront/products",
            json!({ "first": 50, "currency": "EUR" }),
            None,
        )
        .await;
    let edges = data["products"]["edges"].as_array().expect("edges");
    let variants: Vec<String> = edges
        .iter()
        .flat_map(|edge| edge["node"]["variants"].as_array().expect("variants"))
        .filter(|variant| variant["available"].as_i64() >= Some(3) && !variant["price"].is_null())
        .map(|variant| variant["id"].as_str().expect("id").to_owned())
        .take(count)
        .collect();
    assert_eq!(
        variants.len(),
        count,
        "the demo shop sells that many in EUR"
    );
    variants
}

/// The id of a shipping method to Germany, from a cart's choices.
pub async fn shipping_method(graph: &Graph) -> Value {
    let created = graph
        .data(
            "storefront/cart_create",
            json!({ "currency": "EUR", "country": "DE" }),
            None,
        )
        .await;
    let token = &created["cartCreate"]["token"];
    graph
        .data(
            "storefront/cart_set_shipping_address",
            json!({ "token": token, "address": address() }),
            None,
        )
        .await;
    let cart = graph
        .data("storefront/cart", json!({ "token": token }), None)
        .await;
    cart["cart"]["availableShippingMethods"][0]["method"]["id"].clone()
}

/// A guest cart ready to check out: one unit of each of `variants`, `email`, an address in
/// Germany and `method`, built with the storefront's documents sent to `target` ("router", or
/// a subgraph's name to go to it straight); returns its token.
pub async fn ready_cart(
    graph: &Graph,
    target: &str,
    variants: &[String],
    email: &str,
    method: &Value,
) -> String {
    let send = async |document: &str, variables: Value| match target {
        "router" => graph.run(document, variables, None).await,
        subgraph => graph.run_on(subgraph, document, variables).await,
    };
    let created = send(
        "storefront/cart_create",
        json!({ "currency": "EUR", "country": "DE" }),
    )
    .await;
    let token = created["data"]["cartCreate"]["token"]
        .as_str()
        .unwrap_or_else(|| panic!("{created:#}"))
        .to_owned();
    let lines = variants.iter().map(|variant| {
        (
            "storefront/cart_add_line",
            json!({ "token": token, "variantId": variant, "quantity": 1 }),
        )
    });
    let details = [
        (
            "storefront/cart_set_email",
            json!({ "token": token, "email": email }),
        ),
        (
            "storefront/cart_set_shipping_address",
            json!({ "token": token, "address": address() }),
        ),
        (
            "storefront/cart_set_shipping_method",
            json!({ "token": token, "shippingMethodId": method }),
        ),
    ];
    for (document, variables) in lines.chain(details) {
        let response = send(document, variables).await;
        let result = response["data"]
            .as_object()
            .and_then(|fields| fields.values().next());
        assert_eq!(
            result.map(|r| &r["__typename"]),
            Some(&json!("Cart")),
            "{document}: {response:#}"
        );
    }
    token
}

fn typename(result: &Value) -> &str {
    result["__typename"].as_str().unwrap_or_default()
}

on_both_backends!(a_guest_buys_signs_in_and_staff_fulfil_ship_and_refund);

async fn a_guest_buys_signs_in_and_staff_fulfil_ship_and_refund(backend: Backend) {
    let graph = Graph::start(backend, 30).await;
    let variant = variant_on_sale(&graph).await;

    // A guest fills a cart; the token is the only key to it.
    let created = graph
        .data(
            "storefront/cart_create",
            json!({ "currency": "EUR", "country": "DE" }),
            None,
        )
        .await;
    let guest_token = created["cartCreate"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let added = graph
        .data(
            "storefront/cart_add_line",
            json!({ "token": guest_token, "variantId": variant, "quantity": 2 }),
            None,
        )
        .await;
    assert_eq!(typename(&added["cartAddLine"]), "Cart", "{added:#}");

    // Signing in merges the guest's cart into the customer's.
    let customer = graph.sign_in("alan@example.com").await;
    let merged = graph
        .data(
            "storefront/cart_merge",
            json!({ "guestToken": guest_token }),
            Some(&customer),
        )
        .await;
    let cart = &merged["cartMerge"];
    assert_eq!(typename(cart), "Cart", "{merged:#}");
    assert_eq!(cart["lines"][0]["quantity"], 2, "{cart:#}");
    let cart_id = cart["id"].as_str().expect("cart id").to_owned();

    let shipped_to = graph
        .data(
            "storefront/cart_set_shipping_address",
            json!({ "cartId": cart_id, "address": address() }),
            Some(&customer),
        )
        .await;
    assert_eq!(typename(&shipped_to["cartSetShippingAddress"]), "Cart");
    let page = graph
        .data(
            "storefront/cart",
            json!({ "cartId": cart_id }),
            Some(&customer),
        )
        .await;
    let method = page["cart"]["availableShippingMethods"][0]["method"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a shipping method to Germany: {page:#}"))
        .to_owned();
    let chosen = graph
        .data(
            "storefront/cart_set_shipping_method",
            json!({ "cartId": cart_id, "shippingMethodId": method }),
            Some(&customer),
        )
        .await;
    assert_eq!(
        typename(&chosen["cartSetShippingMethod"]),
        "Cart",
        "{chosen:#}"
    );
    let page = graph
        .data(
            "storefront/cart",
            json!({ "cartId": cart_id }),
            Some(&customer),
        )
        .await;
    let grand_total = page["cart"]["totals"]["grandTotal"]["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("totals: {page:#}"))
        .to_owned();

    let completed = graph
        .data(
            "storefront/checkout_complete",
            json!({
                "cartId": cart_id, "idempotencyKey": "flow-1",
                "payment": { "provider": "test", "token": CARD_OK },
                "expectedTotal": grand_total,
            }),
            Some(&customer),
        )
        .await;
    let placed = &completed["checkoutComplete"];
    assert_eq!(typename(placed), "CheckoutCompleted", "{completed:#}");
    assert_eq!(placed["total"]["amount"], grand_total.as_str());
    let order_id = placed["orderId"].as_str().expect("order id").to_owned();
    let number = placed["orderNumber"].clone();

    // The customer sees it in `me { orders }`, staff in the search.
    let mine = graph
        .data("storefront/my_orders", json!({}), Some(&customer))
        .await;
    let my_orders = &mine["me"]["orders"]["edges"];
    assert_eq!(my_orders[0]["node"]["id"], order_id.as_str(), "{mine:#}");
    assert_eq!(
        my_orders[0]["node"]["total"]["amount"],
        grand_total.as_str()
    );
    let staff = graph.staff_sign_in().await;
    let found = graph
        .data(
            "dashboard/orders_search",
            json!({ "filter": { "number": number }, "first": 5 }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        found["orders"]["edges"][0]["node"]["id"],
        order_id.as_str(),
        "{found:#}"
    );

    staff_fulfil_ship_and_refund(&graph, &staff, &customer, &order_id).await;
}

/// Staff capture the payment, fulfil every line from a warehouse, ship, and refund part of
/// it; the customer sees the status, and the order's payment and ledger agree with it.
async fn staff_fulfil_ship_and_refund(graph: &Graph, staff: &str, customer: &str, order_id: &str) {
    let detail = graph
        .data(
            "dashboard/order_detail",
            json!({ "id": order_id }),
            Some(staff),
        )
        .await;
    let order = &detail["order"];
    assert_eq!(order["status"], "PLACED", "{detail:#}");
    let total = order["totals"]["total"]["amount"].clone();

    let captured = graph
        .data(
            "dashboard/order_capture",
            json!({ "orderId": order_id, "idempotencyKey": "capture-1" }),
            Some(staff),
        )
        .await;
    let captured = &captured["orderCapturePayment"];
    assert_eq!(captured["status"], "PAID", "{captured:#}");
    assert_eq!(captured["capturedAmount"]["amount"], total);

    let warehouses = graph
        .data("dashboard/warehouses", json!({}), Some(staff))
        .await;
    let warehouse = warehouses["warehouses"][0]["id"].clone();
    let lines: Vec<Value> = order["lines"]
        .as_array()
        .expect("lines")
        .iter()
        .map(|line| json!({ "orderLineId": line["id"], "quantity": line["quantity"] }))
        .collect();
    let fulfilled = graph
        .data(
            "dashboard/order_fulfill",
            json!({
                "orderId": order_id, "idempotencyKey": "fulfil-1",
                "input": { "warehouseId": warehouse, "lines": lines, "trackingNumbers": [] },
            }),
            Some(staff),
        )
        .await;
    let fulfilled = &fulfilled["orderFulfill"];
    assert_eq!(fulfilled["status"], "FULFILLED", "{fulfilled:#}");
    let fulfillment = fulfilled["fulfillments"][0]["id"].clone();
    let shipped = graph
        .data(
            "dashboard/order_ship",
            json!({
                "fulfillmentId": fulfillment, "trackingNumbers": ["DHL-0001"],
                "idempotencyKey": "ship-1",
            }),
            Some(staff),
        )
        .await;
    assert_eq!(shipped["orderShip"]["status"], "SHIPPED", "{shipped:#}");

    let refunded = graph
        .data(
            "dashboard/order_refund",
            json!({
                "orderId": order_id, "amount": { "currency": "EUR", "amount": "1.00" },
                "reason": "scratched box", "idempotencyKey": "refund-1",
            }),
            Some(staff),
        )
        .await;
    let refunded = &refunded["orderRefund"];
    assert_eq!(refunded["refundedAmount"]["amount"], "1.00", "{refunded:#}");

    // The customer sees what staff did; the payment's ledger adds up to the order's money.
    let theirs = graph
        .data(
            "storefront/order",
            json!({ "id": order_id }),
            Some(customer),
        )
        .await;
    assert_eq!(theirs["order"]["status"], refunded["status"], "{theirs:#}");
    let payments = graph
        .data(
            "dashboard/order_payments",
            json!({ "id": order_id }),
            Some(staff),
        )
        .await;
    let payment = &payments["order"]["payments"][0];
    assert_eq!(payment["amountCaptured"]["amount"], total, "{payments:#}");
    assert_eq!(payment["amountRefunded"]["amount"], "1.00");
    let kinds: Vec<&str> = payment["ledger"]
        .as_array()
        .expect("ledger")
        .iter()
        .map(|entry| entry["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        ["AUTHORIZATION", "CAPTURE", "REFUND"],
        "{payments:#}"
    );
}
