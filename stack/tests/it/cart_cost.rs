//! The cart page through the router costs the same subgraph fetches and SQL statements for a
//! cart of one line as for a cart of twenty: lines are resolved in batches, never one by one.

use std::collections::BTreeMap;

use commerce_testkit::{Backend, on_both_backends};
use serde_json::json;

use crate::graph::Graph;
use crate::purchase_flow::{address, variants_on_sale};

/// A guest cart with one unit of each variant, a shipping address and method, and a coupon
/// (through the router, as the storefront builds it); returns its token.
async fn cart_of(graph: &Graph, variants: &[String]) -> String {
    let created = graph
        .data(
            "storefront/cart_create",
            json!({ "currency": "EUR", "country": "DE" }),
            None,
        )
        .await;
    let token = created["cartCreate"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    for variant in variants {
        let added = graph
            .data(
                "storefront/cart_add_line",
                json!({ "token": token, "variantId": variant, "quantity": 1 }),
                None,
            )
            .await;
        assert_eq!(added["cartAddLine"]["__typename"], "Cart", "{added:#}");
    }
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
    let method = &cart["cart"]["availableShippingMethods"][0]["method"]["id"];
    graph
        .data(
            "storefront/cart_set_shipping_method",
            json!({ "token": token, "shippingMethodId": method }),
            None,
        )
        .await;
    token
}

/// What one cart query costs: the router's requests per subgraph and the SQL statements per
/// subgraph database.
async fn cost_of_cart_query(
    graph: &Graph,
    token: &str,
    lines: usize,
) -> (BTreeMap<String, u64>, BTreeMap<&'static str, usize>) {
    let before = graph.subgraph_fetches().await;
    graph.statements.reset();
    let cart = graph
        .data("storefront/cart_page", json!({ "token": token }), None)
        .await;
    let statements = graph.statements.counts();
    let mut fetches = graph.subgraph_fetches().await;
    for (subgraph, count) in &mut fetches {
        *count -= before.get(subgraph).copied().unwrap_or(0);
    }
    fetches.retain(|_, count| *count > 0);

    // The page really holds what it shows, from every subgraph it spans.
    let cart_lines = cart["cart"]["lines"].as_array().expect("lines");
    assert_eq!(cart_lines.len(), lines);
    for line in cart_lines {
        let variant = &line["variant"];
        assert!(variant["sku"].is_string(), "catalog's fields: {line:#}");
        assert!(
            variant["available"].is_i64(),
            "inventory's fields: {line:#}"
        );
    }
    let totals = &cart["cart"]["totals"];
    assert_eq!(totals["lines"].as_array().map(Vec::len), Some(lines));
    assert!(totals["grandTotal"]["amount"].is_string(), "{totals:#}");
    assert!(totals["shipping"].is_object(), "{totals:#}");
    (fetches, statements)
}

on_both_backends!(a_cart_of_twenty_lines_costs_what_a_cart_of_one_costs);

async fn a_cart_of_twenty_lines_costs_what_a_cart_of_one_costs(backend: Backend) {
    let graph = Graph::start_counting(backend, 40).await;
    let variants = variants_on_sale(&graph, 20).await;
    let one = cart_of(&graph, &variants[..1]).await;
    let twenty = cart_of(&graph, &variants).await;
    // Warm the per-process caches (pools, the category tree) the first query fills.
    cost_of_cart_query(&graph, &one, 1).await;

    let (fetches_one, statements_one) = cost_of_cart_query(&graph, &one, 1).await;
    let (fetches_twenty, statements_twenty) = cost_of_cart_query(&graph, &twenty, 20).await;
    assert_eq!(fetches_one, fetches_twenty, "router requests per subgraph");
    assert_eq!(
        statements_one, statements_twenty,
        "SQL statements per subgraph"
    );
    // Checkout (the cart), catalog and inventory (the lines' variants): one request each.
    let fetched: Vec<&str> = fetches_twenty.keys().map(String::as_str).collect();
    assert_eq!(fetched, ["catalog", "checkout", "inventory"]);
    assert!(
        fetches_twenty.values().all(|count| *count == 1),
        "{fetches_twenty:?}"
    );
    // 17 today (catalog 5, checkout 4, inventory 1, pricing 7); the bound catches a list
    // that starts costing a statement per line.
    let total: usize = statements_twenty.values().sum();
    assert!(
        total <= 20,
        "a 20-line cart cost {statements_twenty:?} statements"
    );
}
