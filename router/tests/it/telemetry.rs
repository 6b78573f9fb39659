//! Prometheus metrics at `/metrics`: requests by status, subgraph calls by outcome.

use axum::body::Body;
use commerce_router::Config;
use http::{Request, StatusCode};
use serde_json::json;

use crate::harness::{TestResponse, TestRouter, dead_url, graphql_post, spawn_subgraph};
use crate::subgraphs::products::{self, Dataset};

async fn get_metrics(router: &TestRouter) -> TestResponse {
    router
        .send(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await
}

async fn metrics(router: &TestRouter) -> String {
    let response = get_metrics(router).await;
    assert_eq!(response.status, StatusCode::OK);
    response.body.as_str().expect("text").to_owned()
}

#[tokio::test]
async fn counts_requests_and_subgraph_calls_by_outcome() {
    let data = Dataset::generate(3, 3, 2);
    let products_url = spawn_subgraph(products::products(data.clone())).await;
    let reviews = spawn_subgraph(products::reviews(data)).await;
    let down = dead_url().await;
    let router = TestRouter::products(&down, &products_url, &down, &reviews, Config::default());
    router
        .query("{ topProducts(first: 1) { name inStock } }", json!({}))
        .await;
    router
        .query("{ topProducts(first: 1) { upc } }", json!({}))
        .await;
    let refused = router
        .send(
            graphql_post()
                .header("accept", "application/graphql-response+json")
                .body(Body::from(r#"{"query": "{ nope }"}"#))
                .expect("request"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    let text = metrics(&router).await;
    for line in [
        r#"router_http_requests_total{status="200"} 2"#,
        r#"router_http_requests_total{status="400"} 1"#,
        r#"router_subgraph_requests_total{outcome="ok",subgraph="products"} 2"#,
        // A refused connection is retried twice (`traffic.retry.max_retries`).
        r#"router_subgraph_requests_total{outcome="error",subgraph="inventory"} 3"#,
        r#"router_subgraph_retries_total{subgraph="inventory"} 2"#,
        r#"router_http_request_duration_seconds_count{status="200"} 2"#,
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in:\n{text}"
        );
    }
    assert!(
        !text.contains("subgraph=\"reviews\""),
        "reviews was never called:\n{text}"
    );
}

#[tokio::test]
async fn metrics_can_be_switched_off() {
    let mut config = Config::default();
    config.telemetry.metrics = false;
    let router = crate::entities::products_router_with(config).await;
    assert_eq!(get_metrics(&router).await.status, StatusCode::NOT_FOUND);
}

/// Tracing is off without `telemetry.otlp_endpoint`: no exporter, and a client's
/// `traceparent` is neither continued nor passed on to subgraphs.
#[tokio::test]
async fn without_an_otlp_endpoint_nothing_is_traced_or_propagated() {
    if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
        return; // the standard variable would switch tracing on
    }
    commerce_router::init_tracing(&Config::default().telemetry).expect("installs");
    assert!(!commerce_otel::enabled());
    let handler = |headers: http::HeaderMap| async move {
        let received = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .map(|v| serde_json::Value::String(v.to_owned()))
            .unwrap_or_default();
        axum::Json(json!({ "data": { "me": { "name": received } } }))
    };
    let accounts = crate::harness::serve_app(
        axum::Router::new().route("/graphql", axum::routing::post(handler)),
    )
    .await;
    let router = TestRouter::new("products.graphql", &[("accounts", &accounts)]);
    let response = router
        .send(
            graphql_post()
                .header(
                    "traceparent",
                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                )
                .body(Body::from(r#"{"query": "{ me { name } }"}"#))
                .expect("request"),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.body,
        json!({ "data": { "me": { "name": null } } }),
        "the subgraph got no traceparent"
    );
}
