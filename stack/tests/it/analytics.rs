//! The dashboard's analytics through the real router: a storefront checkout reaches the
//! analytics subgraph as events (orders' relay → analytics' consumer) and shows up in the
//! committed dashboard documents within a bound, with product names from the catalog; only
//! staff read them.

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::graph::Graph;
use crate::purchase_flow::{ready_cart, shipping_method, variant_on_sale};

/// From a checkout's commit to the dashboard: the relay's wait plus a consumer's transaction.
const WITHIN: Duration = Duration::from_secs(10);

on_both_backends!(
    a_checkout_shows_up_in_the_dashboard_through_the_router,
    a_refund_through_the_router_shows_up_in_the_refunds
);

fn around_today() -> Value {
    let today = Utc::now().date_naive();
    let day = |date: Option<chrono::NaiveDate>| date.expect("a date").to_string();
    json!({
        "from": day(today.checked_sub_days(Days::new(1))),
        "to": day(today.checked_add_days(Days::new(1))),
    })
}

fn eur_orders(overview: &Value) -> i64 {
    overview["salesSummary"]
        .as_array()
        .and_then(|currencies| currencies.iter().find(|c| c["currency"] == "EUR"))
        .map_or(0, |eur| eur["orderCount"].as_i64().expect("a count"))
}

/// A guest's checkout of one unit through the router; returns the completed checkout.
async fn check_out(graph: &Graph, key: &str) -> Value {
    let variant = variant_on_sale(graph).await;
    let method = shipping_method(graph).await;
    let token = ready_cart(graph, "router", &[variant], "ada@example.com", &method).await;
    let completed = graph
        .data(
            "storefront/checkout_complete",
            json!({
                "token": token, "idempotencyKey": key,
                "payment": { "provider": "test", "token": "4242 4242 4242 4242" },
            }),
            None,
        )
        .await;
    let placed = completed["checkoutComplete"].clone();
    assert_eq!(placed["__typename"], "CheckoutCompleted", "{completed:#}");
    placed
}

/// Polls the overview until `done` holds, at most [`WITHIN`].
async fn overview_once(
    graph: &Graph,
    staff: &str,
    range: &Value,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let overview = graph
            .data("dashboard/analytics_overview", range.clone(), Some(staff))
            .await;
        if done(&overview) {
            println!("reached the dashboard in {:?}", started.elapsed());
            return overview;
        }
        assert!(
            started.elapsed() < WITHIN,
            "not in the dashboard after {WITHIN:?}: {overview:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_checkout_shows_up_in_the_dashboard_through_the_router(backend: Backend) {
    let graph = Graph::start(backend, 3).await;
    let staff = graph.staff_sign_in().await;
    let range = around_today();
    let before = graph
        .data("dashboard/analytics_overview", range.clone(), Some(&staff))
        .await;
    assert_eq!(eur_orders(&before), 0, "{before:#}");

    let placed = check_out(&graph, "analytics-1").await;
    let total = placed["total"].clone();
    let overview = overview_once(&graph, &staff, &range, |o| eur_orders(o) == 1).await;
    let eur = &overview["salesSummary"][0];
    assert_eq!(eur["revenue"], total, "{overview:#}");
    assert_eq!(eur["averageOrderValue"], total, "{overview:#}");
    let customers = &overview["customerCounts"];
    assert_eq!(customers["newCustomers"], 1, "{overview:#}");
    assert_eq!(customers["returningCustomers"], 0, "{overview:#}");

    let mut top_range = range.clone();
    top_range["currency"] = json!("EUR");
    let top = graph
        .data(
            "dashboard/analytics_top_products",
            top_range.clone(),
            Some(&staff),
        )
        .await;
    let best = &top["topProducts"][0];
    assert_eq!(best["unitsSold"], 1, "{top:#}");
    assert!(
        best["product"]["name"]
            .as_str()
            .is_some_and(|name| !name.is_empty()),
        "the catalog names the product through the router: {top:#}"
    );
    // The demo catalog is seeded without events: its categories are unknown to analytics.
    let categories = graph
        .data(
            "dashboard/analytics_top_categories",
            top_range.clone(),
            Some(&staff),
        )
        .await;
    assert!(categories["topCategories"].is_array(), "{categories:#}");
    let days = graph
        .data("dashboard/analytics_sales_by_day", top_range, Some(&staff))
        .await;
    assert_eq!(
        days["salesByDay"].as_array().map(Vec::len),
        Some(3),
        "{days:#}"
    );
    let low = graph
        .data(
            "dashboard/analytics_low_stock",
            json!({ "first": 5 }),
            Some(&staff),
        )
        .await;
    assert!(low["lowStockVariants"].is_array(), "{low:#}");
    let rebuilt = graph
        .data("dashboard/analytics_rebuild", json!({}), Some(&staff))
        .await;
    assert!(
        rebuilt["rebuildAnalytics"]["eventsReplayed"].as_i64() >= Some(1),
        "{rebuilt:#}"
    );
    let after = graph
        .data("dashboard/analytics_overview", range.clone(), Some(&staff))
        .await;
    assert_eq!(after, overview, "a rebuild changes nothing");

    let anonymous = graph
        .run("dashboard/analytics_overview", range.clone(), None)
        .await;
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"], "UNAUTHENTICATED",
        "{anonymous:#}"
    );
    let customer = graph
        .sign_in(commerce_customers::demo::CUSTOMERS[0].0)
        .await;
    let refused = graph
        .run("dashboard/analytics_overview", range, Some(&customer))
        .await;
    assert_eq!(
        refused["errors"][0]["extensions"]["code"], "FORBIDDEN",
        "{refused:#}"
    );
}

async fn a_refund_through_the_router_shows_up_in_the_refunds(backend: Backend) {
    let graph = Graph::start(backend, 3).await;
    let staff = graph.staff_sign_in().await;
    let range = around_today();
    let placed = check_out(&graph, "analytics-refund").await;
    let order_id = placed["orderId"].clone();
    let captured = graph
        .data(
            "dashboard/order_capture",
            json!({ "orderId": order_id, "idempotencyKey": "capture-1" }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        captured["orderCapturePayment"]["status"], "PAID",
        "{captured:#}"
    );
    // The demo shop's payments (refunded ones among them) published their events at start.
    let before = graph
        .data("dashboard/analytics_overview", range.clone(), Some(&staff))
        .await;
    let (count, cents) = eur_refunds(&before);
    let refunded = graph
        .data(
            "dashboard/order_refund",
            json!({
                "orderId": order_id, "amount": { "currency": "EUR", "amount": "1.00" },
                "reason": "scratched box", "idempotencyKey": "refund-1",
            }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        refunded["orderRefund"]["refundedAmount"]["amount"], "1.00",
        "{refunded:#}"
    );

    let overview = overview_once(&graph, &staff, &range, |o| eur_refunds(o).0 > count).await;
    assert_eq!(
        eur_refunds(&overview),
        (count + 1, cents + 100),
        "one more refund of 1.00: {overview:#}"
    );
    assert_eq!(
        eur_orders(&overview),
        1,
        "a refund does not cancel the order"
    );
}

/// The EUR refunds of an overview: (count, amount in cents).
fn eur_refunds(overview: &Value) -> (i64, i64) {
    overview["refunds"]
        .as_array()
        .and_then(|currencies| currencies.iter().find(|c| c["currency"] == "EUR"))
        .map_or((0, 0), |eur| {
            let amount = eur["amount"]["amount"].as_str().expect("an amount");
            let cents = amount.replace('.', "").parse::<i64>().expect("a decimal");
            (eur["refundCount"].as_i64().expect("a count"), cents)
        })
}
