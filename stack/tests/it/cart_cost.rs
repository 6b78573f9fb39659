//! The cart page through the router costs the same subgraph fetches and SQL statements for a
//! cart of one line as for a cart of twenty: lines are resolved in batches, never one by one.

use std::collections::BTreeMap;

use commerce_testkit::{Backend, on_both_backends};
use serde_json::json;

use crate::graph::Graph;
use crate::purchase_flow::{ready_cart, shipping_method, variants_on_sale};

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
    let method = shipping_method(&graph).await;
    let email = "ada@example.com";
    let one = ready_cart(&graph, "router", &variants[..1], email, &method).await;
    let twenty = ready_cart(&graph, "router", &variants, email, &method).await;
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
