//! `/metrics` of a served reviews subgraph after real requests: one test per kind of metric.
//! Each compares a scrape before with one after, so other work in the process cannot matter.

use serde_json::json;

use crate::served::{RATING, SUBMIT, Served, review_of};
use crate::support::product;

/// The value of one series in a scrape (0 when it has none yet).
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .map_or(0.0, |value| value.parse().expect("a number"))
}

/// How much `series` grew while `work` ran.
async fn growth(served: &Served, series: &[&str], work: impl AsyncFnOnce()) -> Vec<f64> {
    let before = served.metrics().await;
    work().await;
    let after = served.metrics().await;
    series
        .iter()
        .map(|series| sample(&after, series) - sample(&before, series))
        .collect()
}

#[tokio::test]
async fn counts_requests_by_operation_type_and_outcome() {
    let served = Served::start(|_| {}).await;
    let counted = growth(
        &served,
        &[
            r#"subgraph_graphql_requests_total{operation="query",outcome="ok"}"#,
            r#"subgraph_graphql_requests_total{operation="mutation",outcome="error"}"#,
            r#"subgraph_graphql_requests_total{operation="mutation",outcome="ok"}"#,
        ],
        async || {
            served.post(RATING, json!({ "id": product(1) }), None).await;
            served.post(RATING, json!({ "id": product(2) }), None).await;
            let anonymous = served.post(SUBMIT, review_of(1), None).await;
            assert!(anonymous["errors"].is_array(), "{anonymous}");
            let token = served.customer_token(1);
            let submitted = served.post(SUBMIT, review_of(1), Some(&token)).await;
            assert_eq!(
                submitted["data"]["submitReview"]["__typename"], "Review",
                "{submitted}"
            );
        },
    )
    .await;
    assert_eq!(counted, [2.0, 1.0, 1.0]);
}

#[tokio::test]
async fn counts_errors_by_their_code() {
    let served = Served::start(|_| {}).await;
    let counted = growth(
        &served,
        &[
            r#"subgraph_graphql_errors_total{code="UNAUTHENTICATED"}"#,
            r#"subgraph_graphql_errors_total{code="NONE"}"#,
        ],
        async || {
            served.post(SUBMIT, review_of(1), None).await;
            served.post(SUBMIT, review_of(2), None).await;
            let invalid = served.post("{ noSuchField }", json!({}), None).await;
            assert!(invalid["errors"].is_array(), "{invalid}");
        },
    )
    .await;
    assert_eq!(counted, [2.0, 1.0]);
}

#[tokio::test]
async fn times_requests_in_a_histogram_by_operation_type() {
    let served = Served::start(|_| {}).await;
    let counted = growth(
        &served,
        &[
            r#"subgraph_graphql_request_duration_seconds_count{operation="query"}"#,
            r#"subgraph_graphql_request_duration_seconds_bucket{operation="query",le="+Inf"}"#,
            r#"subgraph_graphql_request_duration_seconds_sum{operation="query"}"#,
        ],
        async || {
            for n in 1..=3 {
                served.post(RATING, json!({ "id": product(n) }), None).await;
            }
        },
    )
    .await;
    assert_eq!(counted[..2], [3.0, 3.0]);
    assert!(counted[2] > 0.0, "time was spent: {counted:?}");
}

#[tokio::test]
async fn times_the_sql_statements_of_the_domain_database() {
    let served = Served::start(|_| {}).await;
    let counted = growth(
        &served,
        &[
            r#"subgraph_sql_statement_duration_seconds_count{domain="reviews",outcome="ok"}"#,
            r#"subgraph_sql_statement_duration_seconds_sum{domain="reviews",outcome="ok"}"#,
        ],
        async || {
            // A review written (a transaction of several statements) and a rating read.
            let token = served.customer_token(1);
            served.post(SUBMIT, review_of(1), Some(&token)).await;
            served.post(RATING, json!({ "id": product(2) }), None).await;
        },
    )
    .await;
    assert!(counted[0] >= 3.0, "statements were timed: {counted:?}");
    assert!(counted[1] > 0.0, "time was spent: {counted:?}");
}

#[tokio::test]
async fn counts_read_through_cache_hits_and_misses() {
    let served = Served::start(|_| {}).await;
    let counted = growth(
        &served,
        &[
            r#"subgraph_read_cache_total{result="miss"}"#,
            r#"subgraph_read_cache_total{result="hit"}"#,
        ],
        async || {
            // The first read of a rating misses and stores it; the next two hit.
            for _ in 0..3 {
                served.post(RATING, json!({ "id": product(7) }), None).await;
            }
        },
    )
    .await;
    assert_eq!(counted, [1.0, 2.0]);
}
