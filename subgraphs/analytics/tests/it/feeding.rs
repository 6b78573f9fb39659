//! Events into numbers: each event counts once however often it is delivered, a small known
//! set of orders, cancellations, refunds and stock changes adds up to the expected figures
//! whatever order it arrives in, and a rebuild from the log yields the same rollups.

use commerce_kernel::events::Envelope;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

use crate::support::{
    TestApp, category_id, category_named, day, placed, product_id, product_moved, refunded,
    registered, status_changed, stock_changed, stock_low, variant_id,
};

on_both_backends!(
    redelivered_events_count_once,
    a_known_set_adds_up_whatever_the_arrival_order,
    a_rebuild_from_the_log_yields_the_same_rollups
);

const SUMMARY: &str = "query($from: Date!, $to: Date!) {
    salesSummary(from: $from, to: $to) {
        currency orderCount items cancelledOrders
        revenue { amount currency } averageOrderValue { amount } cancelledRevenue { amount }
    }
}";

const BY_DAY: &str = "query($from: Date!, $to: Date!, $currency: String!) {
    salesByDay(from: $from, to: $to, currency: $currency) {
        day orderCount items cancelledOrders revenue { amount }
    }
}";

const TOP: &str = "query($from: Date!, $to: Date!, $currency: String!) {
    topProducts(from: $from, to: $to, currency: $currency, first: 5) {
        product { id } unitsSold revenue { amount currency }
    }
}";

const TOP_CATEGORIES: &str = "query($from: Date!, $to: Date!, $currency: String!) {
    topCategories(from: $from, to: $to, currency: $currency) {
        categoryId name unitsSold revenue { amount }
    }
}";

const CUSTOMERS: &str = "query($from: Date!, $to: Date!) {
    customerCounts(from: $from, to: $to) { newCustomers returningCustomers registeredCustomers }
}";

const REFUNDS: &str = "query($from: Date!, $to: Date!) {
    refunds(from: $from, to: $to) { currency refundCount amount { amount currency } }
}";

const LOW_STOCK: &str = "{ lowStockVariants { variant { id } available threshold } }";

fn range(from: i64, to: i64) -> Value {
    let date = |days| day(days).date_naive().to_string();
    json!({ "from": date(from), "to": date(to) })
}

fn with_currency(mut variables: Value, currency: &str) -> Value {
    variables["currency"] = json!(currency);
    variables
}

/// Three days of a small shop: customers 1 and 2 and a guest, EUR and USD, one cancelled
/// order, two refunds; variant 1 fell low, 2 fell low and was restocked, 3 is out. Products 1
/// and 3 are shirts (category 1, renamed), product 2 moved from shirts to shoes (category 2);
/// category 3 was deleted.
pub fn known_set() -> Vec<Envelope> {
    let at = |days, hour| day(days) + chrono::Duration::hours(hour);
    vec![
        placed(
            1,
            at(0, 0),
            Some(1),
            "EUR",
            &[(1, 2, "20.00"), (2, 1, "15.50")],
        ),
        placed(2, at(0, 1), None, "EUR", &[(1, 1, "10.00")]),
        placed(3, at(1, 0), Some(1), "EUR", &[(2, 3, "46.50")]),
        placed(4, at(1, 1), Some(2), "USD", &[(1, 1, "12.00")]),
        status_changed(1, 2, at(1, 2), "PLACED", "PAID"),
        placed(5, at(2, 0), Some(2), "EUR", &[(3, 1, "5.00")]),
        status_changed(5, 2, at(2, 1), "PLACED", "CANCELLED"),
        refunded(1, at(1, 3), "10.00", "EUR"),
        refunded(2, at(2, 2), "2.50", "EUR"),
        stock_changed(1, 1, 10),
        stock_changed(1, 2, 4),
        stock_low(1, 3, 4),
        stock_changed(2, 1, 3),
        stock_low(2, 2, 3),
        stock_changed(2, 3, 8),
        stock_changed(3, 1, 0),
        stock_low(3, 2, 0),
        category_named(1, 1, Some("Shirt")),
        category_named(1, 2, Some("Shirts")),
        category_named(2, 1, Some("Shoes")),
        category_named(3, 1, Some("Hats")),
        category_named(3, 2, None),
        product_moved(1, 1, Some(1)),
        product_moved(2, 1, Some(1)),
        product_moved(2, 2, Some(2)),
        product_moved(3, 1, Some(3)),
        product_moved(3, 2, Some(1)),
        registered(1, at(0, 0)),
        registered(2, at(1, 0)),
        registered(3, at(1, 5)),
    ]
}

async fn redelivered_events_count_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let events = known_set();
    for event in &events {
        app.deliver(event).await;
        app.deliver(event).await;
    }
    let once = app.rollups().await;
    // Concurrent deliveries of one event, and a batch of events already applied one by one.
    let (first, second) = (events[0].clone(), events[0].clone());
    tokio::join!(app.deliver(&first), app.deliver(&second));
    let new = app.service.apply_batch(&events).await.expect("a batch");
    assert_eq!(new, 0, "every event was applied already");
    assert_eq!(app.rollups().await, once);
    let summary = app.staff_data(SUMMARY, range(0, 2)).await;
    assert_eq!(summary["salesSummary"][0]["orderCount"], 3, "{summary}");
}

async fn a_known_set_adds_up_whatever_the_arrival_order(backend: Backend) {
    let app = TestApp::new(backend).await;
    // Last first: cancellations before their orders, customers' later orders first.
    for event in known_set().iter().rev() {
        app.deliver(event).await;
    }

    let summary = app.staff_data(SUMMARY, range(0, 2)).await;
    assert_eq!(
        summary["salesSummary"],
        json!([
            {
                "currency": "EUR", "orderCount": 3, "items": 7, "cancelledOrders": 1,
                "revenue": { "amount": "92.00", "currency": "EUR" },
                "averageOrderValue": { "amount": "30.67" },
                "cancelledRevenue": { "amount": "5.00" },
            },
            {
                "currency": "USD", "orderCount": 1, "items": 1, "cancelledOrders": 0,
                "revenue": { "amount": "12.00", "currency": "USD" },
                "averageOrderValue": { "amount": "12.00" },
                "cancelledRevenue": { "amount": "0.00" },
            },
        ])
    );

    let by_day = app
        .staff_data(BY_DAY, with_currency(range(-1, 2), "EUR"))
        .await;
    let dates: Vec<String> = (-1..=2).map(|d| day(d).date_naive().to_string()).collect();
    assert_eq!(
        by_day["salesByDay"],
        json!([
            { "day": dates[0], "orderCount": 0, "items": 0, "cancelledOrders": 0, "revenue": { "amount": "0.00" } },
            { "day": dates[1], "orderCount": 2, "items": 4, "cancelledOrders": 0, "revenue": { "amount": "45.50" } },
            { "day": dates[2], "orderCount": 1, "items": 3, "cancelledOrders": 0, "revenue": { "amount": "46.50" } },
            { "day": dates[3], "orderCount": 0, "items": 0, "cancelledOrders": 1, "revenue": { "amount": "0.00" } },
        ])
    );

    let top = app.staff_data(TOP, with_currency(range(0, 2), "EUR")).await;
    assert_eq!(
        top["topProducts"],
        json!([
            { "product": { "id": product_id(2) }, "unitsSold": 4, "revenue": { "amount": "62.00", "currency": "EUR" } },
            { "product": { "id": product_id(1) }, "unitsSold": 3, "revenue": { "amount": "30.00", "currency": "EUR" } },
        ]),
        "the cancelled order's product has no sales left"
    );

    let categories = app
        .staff_data(TOP_CATEGORIES, with_currency(range(0, 2), "EUR"))
        .await;
    assert_eq!(
        categories["topCategories"],
        json!([
            { "categoryId": category_id(2), "name": "Shoes", "unitsSold": 4, "revenue": { "amount": "62.00" } },
            { "categoryId": category_id(1), "name": "Shirts", "unitsSold": 3, "revenue": { "amount": "30.00" } },
        ]),
        "each product counts in its category now, under the category's latest name"
    );

    let customers = app.staff_data(CUSTOMERS, range(0, 2)).await;
    assert_eq!(
        customers["customerCounts"],
        json!({ "newCustomers": 3, "returningCustomers": 2, "registeredCustomers": 3 }),
        "customer 1, the guest and customer 2 are new; 1 and 2 came back a day later"
    );
    let second_day = app.staff_data(CUSTOMERS, range(1, 1)).await;
    assert_eq!(
        second_day["customerCounts"],
        json!({ "newCustomers": 1, "returningCustomers": 1, "registeredCustomers": 2 })
    );

    let refunds = app.staff_data(REFUNDS, range(0, 2)).await;
    assert_eq!(
        refunds["refunds"],
        json!([{ "currency": "EUR", "refundCount": 2, "amount": { "amount": "12.50", "currency": "EUR" } }])
    );
    let first_day = app.staff_data(REFUNDS, range(0, 0)).await;
    assert_eq!(first_day["refunds"], json!([]));

    let low = app.staff_data(LOW_STOCK, json!({})).await;
    assert_eq!(
        low["lowStockVariants"],
        json!([
            { "variant": { "id": variant_id(3) }, "available": 0, "threshold": 5 },
            { "variant": { "id": variant_id(1) }, "available": 4, "threshold": 5 },
        ]),
        "variant 2 was restocked above the threshold"
    );
}

async fn a_rebuild_from_the_log_yields_the_same_rollups(backend: Backend) {
    let app = TestApp::new(backend).await;
    // Arrival order differs from the log's replay order (by time).
    let mut events = known_set();
    events.rotate_left(5);
    for event in &events {
        app.deliver(event).await;
    }
    let before = app.rollups().await;
    assert!(before.len() > 20, "{before:#?}");
    let summary_before = app.staff_data(SUMMARY, range(0, 2)).await;

    let rebuilt = app
        .staff_data(
            "mutation { rebuildAnalytics { eventsReplayed } }",
            json!({}),
        )
        .await;
    assert_eq!(
        rebuilt["rebuildAnalytics"]["eventsReplayed"],
        events.len() - 1,
        "every event but the status change to PAID, which changes no rollup"
    );
    assert_eq!(app.rollups().await, before);
    assert_eq!(app.staff_data(SUMMARY, range(0, 2)).await, summary_before);
}
