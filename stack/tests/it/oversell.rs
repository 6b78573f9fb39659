//! The last units of a variant under a rush: 1,000 checkouts at once of carts holding the last
//! 10 units, sent to the checkout subgraph on PostgreSQL (straight, as the router's 30 s
//! subgraph timeout would cut a debug build's queue short; the saga is what is under test).
//! Exactly 10 orders, 990 clear out-of-stock answers, stock never below zero, no authorization
//! without an order, and the orders, the payment ledger and the stock movements agree.

use commerce_kernel::{Currency, Money};
use futures::StreamExt;
use serde_json::{Value, json};

use crate::graph::Graph;
use crate::purchase_flow::{ready_cart, shipping_method, variant_on_sale};

const CARTS: usize = 1_000;
const UNITS: i64 = 10;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_checkouts_for_the_last_ten_units_sell_exactly_ten() {
    // Checkout lets the rush in a few at a time (`max_concurrent_checkouts`), so the queue
    // forms there and not in connection pools; calls between subgraphs get a longer timeout
    // only because a debug build on two cores is slow and timeouts are not under test here.
    let graph = Graph::start_with(commerce_testkit::Backend::Postgres, 10, |config| {
        config.internal_timeout_ms = 60_000;
    })
    .await;
    let staff = graph.staff_sign_in().await;
    let variant = variant_on_sale(&graph).await;
    leave_units(&graph, &staff, &variant, UNITS).await;

    let method = shipping_method(&graph).await;
    let (graph, method, lines) = (&graph, &method, std::slice::from_ref(&variant));
    let carts: Vec<String> = futures::stream::iter(0..CARTS)
        .map(|n| async move {
            let email = format!("rush{n}@example.com");
            ready_cart(graph, "checkout", lines, &email, method).await
        })
        .buffer_unordered(16)
        .collect()
        .await;

    // Every checkout at once; each cart is its own shopper with its own key.
    let outcomes = futures::future::join_all(carts.iter().enumerate().map(|(n, token)| {
        graph.run_on(
            "checkout",
            "storefront/checkout_complete",
            json!({
                "token": token, "idempotencyKey": format!("rush-{n}"),
                "payment": { "provider": "test", "token": "4242424242424242" },
            }),
        )
    }))
    .await;
    let mut placed = Vec::new();
    let mut sold_out = 0;
    for outcome in &outcomes {
        let result = &outcome["data"]["checkoutComplete"];
        match result["__typename"].as_str() {
            Some("CheckoutCompleted") => placed.push(result.clone()),
            Some("InsufficientStock") => {
                assert_eq!(result["variantId"], variant.as_str(), "{result:#}");
                sold_out += 1;
            }
            _ => panic!("neither an order nor out of stock: {outcome:#}"),
        }
    }
    assert_eq!(placed.len(), 10, "exactly the units there were");
    assert_eq!(sold_out, CARTS - 10);

    // Stock: nothing on hand, nothing held, never below zero; ten units left through commits.
    let stock = graph
        .data(
            "dashboard/variant_stock",
            json!({ "id": variant }),
            Some(&staff),
        )
        .await;
    for level in stock["productVariant"]["stock"].as_array().expect("levels") {
        assert_eq!(
            (level["onHand"].as_i64(), level["reserved"].as_i64()),
            (Some(0), Some(0)),
            "{stock:#}"
        );
    }
    let movements = graph
        .data(
            "dashboard/stock_movements",
            json!({ "variantId": variant }),
            Some(&staff),
        )
        .await;
    let committed: i64 = movements["stockMovements"]["nodes"]
        .as_array()
        .expect("movements")
        .iter()
        .filter(|movement| movement["kind"] == "COMMIT")
        .map(|movement| movement["onHandDelta"].as_i64().expect("delta"))
        .sum();
    assert_eq!(committed, -UNITS, "{movements:#}");

    // Orders and payments: ten of each, every authorization attached to its order, same money.
    let orders = graph
        .data(
            "dashboard/orders_search",
            json!({ "first": 50 }),
            Some(&staff),
        )
        .await;
    assert_eq!(orders["orders"]["totalCount"], 10, "{orders:#}");
    let payments = graph
        .data(
            "dashboard/payments_search",
            json!({ "first": 50 }),
            Some(&staff),
        )
        .await;
    // The demo shop's own intents have other references.
    let rush: Vec<Value> = payments["paymentIntents"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter(|edge| {
            edge["node"]["reference"]
                .as_str()
                .is_some_and(|reference| reference.starts_with("checkout-"))
        })
        .cloned()
        .collect();
    assert_eq!(rush.len(), 10, "{payments:#}");
    let rush = Value::from(rush);
    let order_total = cents(&orders["orders"]["edges"], "total");
    let authorized = cents(&rush, "amountAuthorized");
    assert_eq!(order_total, authorized);
    let placed_total: i64 = placed.iter().map(|result| amount(&result["total"])).sum();
    assert_eq!(placed_total, order_total);
    let mut held = 0;
    for edge in rush.as_array().expect("edges") {
        assert_eq!(edge["node"]["status"], "AUTHORIZED", "{edge:#}");
        assert!(
            edge["node"]["orderId"].is_string(),
            "an order for every authorization: {edge:#}"
        );
        let detail = graph
            .data(
                "dashboard/payment_detail",
                json!({ "id": edge["node"]["id"] }),
                Some(&staff),
            )
            .await;
        let ledger = detail["paymentIntent"]["ledger"]
            .as_array()
            .expect("ledger");
        assert_eq!(
            ledger.len(),
            1,
            "one movement, the authorization: {detail:#}"
        );
        assert_eq!(ledger[0]["kind"], "AUTHORIZATION", "{detail:#}");
        held += amount(&ledger[0]["amount"]);
    }
    assert_eq!(held, order_total, "the ledger holds what the orders cost");
}

/// Sets the variant's stock to `units` in its first warehouse and none anywhere else.
async fn leave_units(graph: &Graph, staff: &str, variant: &str, units: i64) {
    let stock = graph
        .data(
            "dashboard/variant_stock",
            json!({ "id": variant }),
            Some(staff),
        )
        .await;
    let levels = stock["productVariant"]["stock"].as_array().expect("levels");
    for (n, level) in levels.iter().enumerate() {
        let on_hand = if n == 0 { units } else { 0 };
        let set = graph
            .data(
                "dashboard/set_stock",
                json!({
                    "input": { "variantId": variant, "warehouseId": level["warehouse"]["id"], "onHand": on_hand },
                    "idempotencyKey": format!("rush-stock-{n}"),
                }),
                Some(staff),
            )
            .await;
        assert_eq!(set["setStock"]["__typename"], "StockLevel", "{set:#}");
    }
}

/// The sum of `field` over a connection's edges, in minor units.
fn cents(edges: &Value, field: &str) -> i64 {
    edges
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| amount(&edge["node"][field]))
        .sum()
}

/// A `Money`'s decimal amount in minor units.
pub fn amount(money: &Value) -> i64 {
    let text = money["amount"]
        .as_str()
        .unwrap_or_else(|| panic!("money: {money}"));
    let currency =
        Currency::parse(money["currency"].as_str().expect("currency")).expect("ISO 4217");
    Money::parse_decimal(text, currency)
        .expect("a decimal amount")
        .amount
}
