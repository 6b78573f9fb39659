//! The demo shop's first start: the catalog seed's events teach analytics the categories, and
//! the demo orders (placed through the router as the storefront places them) give the
//! dashboard sales, top products and top categories with their names. A second start places
//! none.

use std::time::{Duration, Instant};

use chrono::{Days, Utc};
use commerce_testkit::Backend;
use serde_json::{Value, json};

use crate::graph::Graph;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_demo_orders_fill_the_dashboard_with_named_products_and_categories() {
    let graph = Graph::start(Backend::Sqlite, 40).await;
    let placed = commerce_stack::demo_orders::place(graph.router)
        .await
        .expect("the demo orders are placed");
    assert_eq!(placed, 8);
    let again = commerce_stack::demo_orders::place(graph.router)
        .await
        .expect("a second start");
    assert_eq!(again, 0, "the shop has orders already");

    let staff = graph.staff_sign_in().await;
    let today = Utc::now().date_naive();
    let range = json!({
        "from": today.checked_sub_days(Days::new(1)).expect("a day").to_string(),
        "to": today.checked_add_days(Days::new(1)).expect("a day").to_string(),
        "currency": "EUR",
        "first": 5,
    });
    let top = async |document: &str, field: &str| -> Value {
        let started = Instant::now();
        loop {
            let data = graph.data(document, range.clone(), Some(&staff)).await;
            let rows = data[field].clone();
            if rows.as_array().is_some_and(|rows| !rows.is_empty()) {
                return rows;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{field} still empty: {data:#}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let categories = top("dashboard/analytics_top_categories", "topCategories").await;
    for category in categories.as_array().expect("rows") {
        assert!(category["name"].is_string(), "a named category: {category}");
        assert!(category["unitsSold"].as_i64() > Some(0), "{category}");
    }
    let products = top("dashboard/analytics_top_products", "topProducts").await;
    assert!(
        products[0]["product"]["name"].is_string(),
        "named by the catalog: {products:#}"
    );
}
