//! Analytics is for staff: customers and anonymous callers are refused with stable codes, as
//! are staff without `analytics:read` (`analytics:write` to rebuild); ranges are bounded.

use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, customer, error_code, execute_as, on_both_backends, staff};
use serde_json::{Value, json};

use crate::support::TestApp;

on_both_backends!(
    only_staff_with_the_permission_read_analytics,
    ranges_longer_than_three_years_are_refused
);

const SUMMARY: &str = "query($from: Date!, $to: Date!) {
    salesSummary(from: $from, to: $to) { currency orderCount }
}";

async fn run(app: &TestApp, viewer: Viewer, query: &str, variables: Value) -> Value {
    execute_as(&app.schema, viewer, query, variables).await
}

async fn only_staff_with_the_permission_read_analytics(backend: Backend) {
    let app = TestApp::new(backend).await;
    let range = json!({ "from": "2026-01-01", "to": "2026-01-31" });
    let reads = [
        SUMMARY,
        "query($from: Date!, $to: Date!) { salesByDay(from: $from, to: $to, currency: \"EUR\") { day } }",
        "query($from: Date!, $to: Date!) { topProducts(from: $from, to: $to, currency: \"EUR\") { unitsSold } }",
        "query($from: Date!, $to: Date!) { customerCounts(from: $from, to: $to) { newCustomers } }",
        "query($from: Date!, $to: Date!) { refunds(from: $from, to: $to) { refundCount } }",
        "query { lowStockVariants { available } }",
    ];
    for query in reads {
        let anonymous = run(&app, Viewer::Anonymous, query, range.clone()).await;
        assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{query}");
        let shopper = run(&app, customer(1, &[]), query, range.clone()).await;
        assert_eq!(error_code(&shopper), "FORBIDDEN", "{query}");
        let clerk = run(&app, staff(&["orders:read"]), query, range.clone()).await;
        assert_eq!(error_code(&clerk), "FORBIDDEN", "{query}");
        let analyst = run(&app, staff(&["analytics:read"]), query, range.clone()).await;
        assert_eq!(analyst.get("errors"), None, "{analyst}");
    }
    let rebuild = "mutation { rebuildAnalytics { eventsReplayed } }";
    let reader = run(&app, staff(&["analytics:read"]), rebuild, json!({})).await;
    assert_eq!(error_code(&reader), "FORBIDDEN");
    let shopper = run(&app, customer(1, &[]), rebuild, json!({})).await;
    assert_eq!(error_code(&shopper), "FORBIDDEN");
}

async fn ranges_longer_than_three_years_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let analyst = || staff(&["analytics:read"]);
    let too_long = json!({ "from": "2020-01-01", "to": "2026-01-01" });
    let refused = run(&app, analyst(), SUMMARY, too_long).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    let extensions = &refused["errors"][0]["extensions"];
    assert_eq!(extensions["reason"], "RANGE_TOO_LARGE", "{refused}");
    assert_eq!(extensions["maxDays"], 1098);

    let reversed = json!({ "from": "2026-02-01", "to": "2026-01-01" });
    let refused = run(&app, analyst(), SUMMARY, reversed).await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");

    let three_years = json!({ "from": "2023-01-01", "to": "2025-12-31" });
    let allowed = run(&app, analyst(), SUMMARY, three_years).await;
    assert_eq!(allowed.get("errors"), None, "{allowed}");

    let query = "query($c: String!) { topProducts(from: \"2026-01-01\", to: \"2026-01-02\", currency: $c, first: 500) { unitsSold } }";
    let too_many = run(&app, analyst(), query, json!({ "c": "EUR" })).await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT", "{too_many}");
    let query =
        "{ salesByDay(from: \"2026-01-01\", to: \"2026-01-02\", currency: \"EURO\") { day } }";
    let unknown = run(&app, analyst(), query, json!({})).await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT", "{unknown}");
    let query =
        "{ salesByDay(from: \"2026-02-30\", to: \"2026-03-02\", currency: \"EUR\") { day } }";
    let not_a_date = run(&app, analyst(), query, json!({})).await;
    assert!(
        not_a_date["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("is not a date")),
        "{not_a_date}"
    );
}
