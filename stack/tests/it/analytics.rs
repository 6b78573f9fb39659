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

on_both_backends!(a_checkout_shows_up_in_the_dashboard_through_the_router);

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

async fn a_checkout_shows_up_in_the_dashboard_through_the_router(backend: Backend) {
    let graph = Graph::start(backend, 3).await;
    let staff = graph.staff_sign_in().await;
    let range = around_today();
    let before = graph
        .data("dashboard/analytics_overview", range.clone(), Some(&staff))
        .await;
    assert_eq!(eur_orders(&before), 0, "{before:#}");

    let variant = variant_on_sale(&graph).await;
    let method = shipping_method(&graph).await;
    let token = ready_cart(&graph, "router", &[variant], "ada@example.com", &method).await;
    let completed = graph
        .data(
            "storefront/checkout_complete",
            json!({
                "token": token, "idempotencyKey": "analytics-1",
                "payment": { "provider": "test", "token": "4242 4242 4242 4242" },
            }),
            None,
        )
        .await;
    let placed = &completed["checkoutComplete"];
    assert_eq!(placed["__typename"], "CheckoutCompleted", "{completed:#}");
    let total = placed["total"].clone();

    let started = Instant::now();
    let overview = loop {
        let overview = graph
            .data("dashboard/analytics_overview", range.clone(), Some(&staff))
            .await;
        if eur_orders(&overview) == 1 {
            break overview;
        }
        assert!(
            started.elapsed() < WITHIN,
            "the order is not in the dashboard after {WITHIN:?}: {overview:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!(
        "{backend:?}: the order reached the dashboard in {:?}",
        started.elapsed()
    );
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
