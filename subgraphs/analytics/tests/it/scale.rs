//! Queries cost in proportion to the days of their range, not to the orders in it: after a
//! year of generated orders (365 days × 100 orders, applied through the consumers' fold in
//! batches) each dashboard query runs the same statements as with 10 orders, and takes about
//! as long; a rebuild from the log then yields identical rollups.

use std::time::{Duration, Instant};

use commerce_kernel::events::Envelope;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::support::{TestApp, category_named, day, placed, product_moved, status_changed};

on_both_backends!(a_years_orders_cost_the_queries_nothing_more);

const ORDERS_PER_DAY: i64 = 100;
const DAYS: i64 = 365;

/// The dashboard's reads over the whole year.
const QUERIES: [&str; 6] = [
    "query($from: Date!, $to: Date!) { salesSummary(from: $from, to: $to) { currency orderCount revenue { amount } averageOrderValue { amount } } }",
    "query($from: Date!, $to: Date!) { salesByDay(from: $from, to: $to, currency: \"EUR\") { day orderCount revenue { amount } } }",
    "query($from: Date!, $to: Date!) { topProducts(from: $from, to: $to, currency: \"EUR\", first: 10) { product { id } unitsSold revenue { amount } } }",
    "query($from: Date!, $to: Date!) { topCategories(from: $from, to: $to, currency: \"EUR\", first: 10) { categoryId name unitsSold revenue { amount } } }",
    "query($from: Date!, $to: Date!) { customerCounts(from: $from, to: $to) { newCustomers returningCustomers } }",
    "query($from: Date!, $to: Date!) { refunds(from: $from, to: $to) { currency refundCount } }",
];

/// Order `n` of the year: spread over the days, 20 products, 2,000 customers and guests,
/// every 50th cancelled.
fn order(n: i64) -> Vec<Envelope> {
    let days = n % DAYS;
    let at = day(days) + chrono::Duration::seconds(n / DAYS);
    let customer = (n % 10 != 0).then_some((n * 7919) % 2000);
    let (product, other) = (n % 20, (n * 3 + 1) % 20);
    let mut events = vec![placed(
        n,
        at,
        customer,
        "EUR",
        &[(product, 1 + n % 3, "19.90"), (other, 1, "5.00")],
    )];
    if n % 50 == 0 {
        events.push(status_changed(n, 2, at, "PLACED", "CANCELLED"));
    }
    events
}

/// Statements and the median time of each query over the year.
async fn measure(app: &TestApp) -> (Vec<usize>, Vec<Duration>, Vec<Value>) {
    let year = json!({
        "from": day(0).date_naive().to_string(),
        "to": day(DAYS - 1).date_naive().to_string(),
    });
    let (mut statements, mut times, mut answers) = (Vec::new(), Vec::new(), Vec::new());
    for query in QUERIES {
        app.statements.reset();
        answers.push(app.staff_data(query, year.clone()).await);
        statements.push(app.statements.count());
        let mut runs = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            app.staff_data(query, year.clone()).await;
            runs.push(started.elapsed());
        }
        runs.sort();
        times.push(runs[2]);
    }
    (statements, times, answers)
}

async fn a_years_orders_cost_the_queries_nothing_more(backend: Backend) {
    let app = TestApp::new(backend).await;
    let orders: Vec<i64> = (0..DAYS * ORDERS_PER_DAY).collect();
    let (few, rest) = orders.split_at(10);
    // 20 products in 4 categories.
    let catalog = (1..=4)
        .map(|c| category_named(c, 1, Some("Category")))
        .chain((0..20).map(|p| product_moved(p, 1, Some(1 + p % 4))));
    let few: Vec<Envelope> = catalog.chain(few.iter().flat_map(|&n| order(n))).collect();
    app.service
        .apply_batch(&few)
        .await
        .expect("10 orders apply");
    let (small_statements, small_times, small) = measure(&app).await;
    assert_eq!(
        small[0]["salesSummary"][0]["orderCount"], 9,
        "{:#}",
        small[0]
    );

    let loading = Instant::now();
    for chunk in rest.chunks(500) {
        let events: Vec<Envelope> = chunk.iter().flat_map(|&n| order(n)).collect();
        app.service
            .apply_batch(&events)
            .await
            .expect("a batch applies");
    }
    let loaded = loading.elapsed();
    let (large_statements, large_times, large) = measure(&app).await;
    let placed = DAYS * ORDERS_PER_DAY;
    let cancelled = placed / 50;
    assert_eq!(
        large[0]["salesSummary"][0]["orderCount"],
        placed - cancelled,
        "{:#}",
        large[0]
    );
    assert_eq!(large[1]["salesByDay"].as_array().map(Vec::len), Some(365));
    println!(
        "{backend:?}: {placed} orders loaded in {loaded:?}; statements per query {small_statements:?} \
         with 10 orders, {large_statements:?} with {placed}; median times {small_times:?} → {large_times:?}"
    );
    assert_eq!(
        large_statements, small_statements,
        "statements do not grow with orders"
    );
    assert!(
        small_statements.iter().all(|&n| n == 1),
        "{small_statements:?}"
    );
    for (small, large) in small_times.iter().zip(&large_times) {
        // Loosely: rows per day and product, never per order (3,650 times more orders).
        assert!(
            *large < *small * 20 + Duration::from_millis(200),
            "{small:?} with 10 orders, {large:?} with {placed}"
        );
    }

    let before = app.rollups().await;
    let started = Instant::now();
    let replayed = app.service.rebuild().await.expect("rebuilds");
    println!(
        "{backend:?}: rebuilt from {replayed} events in {:?}",
        started.elapsed()
    );
    assert_eq!(replayed, (placed + cancelled + 24) as u64);
    assert!(
        app.rollups().await == before,
        "the rebuild changed the rollups"
    );
}
