//! Traffic to subgraphs: a subgraph that hangs or keeps failing costs its own fields, not the
//! router (circuit breaking), and a query that got no answer is sent again (retries), a
//! mutation never.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use commerce_router::Config;
use commerce_router::config::{CircuitBreakerConfig, RetryConfig, TrafficConfig};
use http::{Request, StatusCode};
use serde_json::{Value, json};

use crate::harness::{TestRouter, dead_url, serve_app, spawn_canned, spawn_subgraph};

const USERS: &str = "{ maybeUsers { name shippingCost } }";

/// A fake `shop` subgraph counting its requests: while `failing` it answers 503 without a
/// body (what a load balancer says while an instance restarts), else a canned answer.
async fn flaky_shop(failing: Arc<AtomicUsize>) -> (String, Arc<AtomicUsize>) {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    let handler = move |body: String| {
        let (counter, failing) = (counter.clone(), failing.clone());
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let fail = failing
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if fail {
                return (StatusCode::SERVICE_UNAVAILABLE, String::new());
            }
            let data = if body.contains("rename") {
                json!({ "rename": { "name": "Ada L." } })
            } else {
                json!({ "maybeUsers": [{ "name": "Ada" }] })
            };
            (StatusCode::OK, json!({ "data": data }).to_string())
        }
    };
    let url = serve_app(Router::new().route("/graphql", axum::routing::post(handler))).await;
    (url, hits)
}

fn traffic(threshold: u32, open_ms: u64, max_retries: u32) -> TrafficConfig {
    TrafficConfig {
        circuit_breaker: CircuitBreakerConfig {
            enabled: true,
            failure_threshold: threshold,
            open_ms,
        },
        retry: RetryConfig {
            max_retries,
            ..RetryConfig::default()
        },
    }
}

fn shop_router(shop: &str, traffic: TrafficConfig) -> TestRouter {
    let config = Config {
        traffic,
        ..Config::default()
    };
    TestRouter::with_config("values.graphql", &[("shop", shop)], config)
}

async fn metrics(router: &TestRouter) -> String {
    let response = router
        .send(
            Request::get("/metrics")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    response.body.as_str().expect("text").to_owned()
}

fn codes(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect()
}

#[tokio::test]
async fn a_query_that_got_no_answer_is_sent_again() {
    let (shop, hits) = flaky_shop(Arc::new(AtomicUsize::new(2))).await;
    let router = shop_router(&shop, traffic(5, 1_000, 2));
    let body = router.query("{ maybeUsers { name } }", json!({})).await;
    assert_eq!(
        body,
        json!({ "data": { "maybeUsers": [{ "name": "Ada" }] } })
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3, "two 503s, then the answer");
    let text = metrics(&router).await;
    assert!(
        text.contains(r#"router_subgraph_retries_total{subgraph="shop"} 2"#),
        "{text}"
    );
}

#[tokio::test]
async fn retries_stop_at_max_retries_and_mutations_are_never_retried() {
    let (shop, hits) = flaky_shop(Arc::new(AtomicUsize::new(usize::MAX))).await;
    let router = shop_router(&shop, traffic(100, 1_000, 2));
    let body = router.query("{ maybeUsers { name } }", json!({})).await;
    assert_eq!(codes(&body), ["SUBGRAPH_REQUEST_FAILED"]);
    assert_eq!(
        body["errors"][0]["message"],
        "HTTP fetch failed from 'shop': 503 Service Unavailable"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 3, "the fetch and two retries");

    hits.store(0, Ordering::SeqCst);
    let body = router
        .query(
            r#"mutation { rename(id: "1", name: "Ada L.") { name } }"#,
            json!({}),
        )
        .await;
    assert_eq!(codes(&body), ["SUBGRAPH_REQUEST_FAILED"]);
    assert_eq!(hits.load(Ordering::SeqCst), 1, "a mutation is sent once");
}

#[tokio::test]
async fn a_refused_connection_is_retried_and_a_timeout_is_not() {
    let shop = spawn_subgraph(crate::subgraphs::values::shop()).await;
    let dead = dead_url().await;
    let router = TestRouter::with_config(
        "values.graphql",
        &[("shop", &shop), ("shipping", &dead)],
        Config::default(),
    );
    let body = router.query(USERS, json!({})).await;
    assert_eq!(codes(&body), ["SUBGRAPH_REQUEST_FAILED"]);
    let text = metrics(&router).await;
    assert!(
        text.contains(r#"router_subgraph_retries_total{subgraph="shipping"} 2"#),
        "{text}"
    );

    let slow = spawn_canned(200, r#"{"data":{}}"#, Duration::from_secs(5)).await;
    let config = Config {
        subgraph_timeout_ms: 200,
        ..Config::default()
    };
    let router = TestRouter::with_config(
        "values.graphql",
        &[("shop", &shop), ("shipping", &slow)],
        config,
    );
    let started = Instant::now();
    let body = router.query(USERS, json!({})).await;
    assert_eq!(codes(&body), ["SUBGRAPH_REQUEST_FAILED"]);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "one timeout, no retry"
    );
    assert!(
        !metrics(&router)
            .await
            .contains("router_subgraph_retries_total{")
    );
}

#[tokio::test]
async fn a_hanging_subgraph_costs_its_own_fields_once_its_circuit_opens() {
    let shop = spawn_subgraph(crate::subgraphs::values::shop()).await;
    let hanging = spawn_canned(200, r#"{"data":{}}"#, Duration::from_secs(30)).await;
    let config = Config {
        subgraph_timeout_ms: 200,
        traffic: traffic(2, 60_000, 2),
        ..Config::default()
    };
    let router = TestRouter::with_config(
        "values.graphql",
        &[("shop", &shop), ("shipping", &hanging)],
        config,
    );
    for _ in 0..2 {
        let started = Instant::now();
        let body = router.query(USERS, json!({})).await;
        assert_eq!(codes(&body), ["SUBGRAPH_REQUEST_FAILED"]);
        assert!(started.elapsed() >= Duration::from_millis(200));
    }
    let started = Instant::now();
    let body = router.query(USERS, json!({})).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(100),
        "refused at once: {elapsed:?}"
    );
    assert_eq!(codes(&body), ["SUBGRAPH_UNAVAILABLE"]);
    assert_eq!(body["errors"][0]["extensions"]["serviceName"], "shipping");
    assert_eq!(
        body["data"],
        json!({ "maybeUsers": [
            { "name": "Ada", "shippingCost": null },
            { "name": "Grace", "shippingCost": null }
        ] }),
        "the other subgraph's fields are answered"
    );
    let text = metrics(&router).await;
    assert!(
        text.contains(r#"router_subgraph_circuit_open_total{subgraph="shipping"} 1"#),
        "{text}"
    );
}

#[tokio::test]
async fn the_circuit_closes_once_a_probe_finds_the_subgraph_back() {
    let failing = Arc::new(AtomicUsize::new(usize::MAX));
    let (shop, hits) = flaky_shop(failing.clone()).await;
    let router = shop_router(&shop, traffic(2, 300, 0));
    let query = "{ maybeUsers { name } }";
    for _ in 0..2 {
        let body = router.query(query, json!({})).await;
        assert_eq!(codes(&body), ["SUBGRAPH_REQUEST_FAILED"]);
    }
    let body = router.query(query, json!({})).await;
    assert_eq!(codes(&body), ["SUBGRAPH_UNAVAILABLE"]);
    assert_eq!(
        hits.load(Ordering::SeqCst),
        2,
        "an open circuit sends nothing"
    );

    failing.store(0, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(350)).await;
    for _ in 0..3 {
        let body = router.query(query, json!({})).await;
        assert_eq!(
            body,
            json!({ "data": { "maybeUsers": [{ "name": "Ada" }] } })
        );
    }
    assert_eq!(hits.load(Ordering::SeqCst), 5, "the probe, then closed");
}

#[tokio::test]
async fn a_subgraph_of_its_own_settings_keeps_them() {
    let failing = Arc::new(AtomicUsize::new(usize::MAX));
    let (shop, hits) = flaky_shop(failing).await;
    let mut config = Config {
        traffic: traffic(1, 60_000, 0),
        ..Config::default()
    };
    config = config.with_subgraph_url("shop", shop.as_str());
    config.subgraphs.get_mut("shop").expect("shop").traffic = Some(TrafficConfig {
        circuit_breaker: CircuitBreakerConfig {
            enabled: false,
            ..CircuitBreakerConfig::default()
        },
        retry: RetryConfig {
            max_retries: 0,
            ..RetryConfig::default()
        },
    });
    let router = TestRouter::with_config("values.graphql", &[], config);
    for _ in 0..4 {
        let body = router.query("{ maybeUsers { name } }", json!({})).await;
        assert_eq!(codes(&body), ["SUBGRAPH_REQUEST_FAILED"]);
    }
    assert_eq!(hits.load(Ordering::SeqCst), 4, "no circuit, no retries");
}
