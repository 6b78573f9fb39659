//! Hostile operations are refused with a stable code before they cost more than a little CPU
//! and memory. The operations are the fixtures in `tests/fixtures/hostile/` (written by its
//! `generate.py`, shared with `bench/hostile.sh`), sent to a router serving the repository's
//! own supergraph with no subgraph reachable: what they cost is the router's alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use commerce_router::Config;
use http::{Request, StatusCode};
use serde_json::Value;

use crate::cost::{Cost, measure};
use crate::harness::{TestResponse, TestRouter, dead_url, fixture, serve_app};

/// Bounds for one refusal in a debug build on a loaded two-core machine; a release build
/// refuses each in well under a millisecond (see BENCHMARKS.md).
const CPU_BOUND: Duration = Duration::from_millis(250);
const MEMORY_BOUND: usize = 16 << 20;

const SUBGRAPHS: [&str; 5] = ["catalog", "inventory", "reviews", "pricing", "customers"];

async fn committed_router(config: Config) -> TestRouter {
    let dead = dead_url().await;
    let urls: Vec<(&str, &str)> = SUBGRAPHS.iter().map(|s| (*s, dead.as_str())).collect();
    TestRouter::with_config("../../../schema/supergraph.graphql", &urls, config)
}

async fn send_fixture(router: &TestRouter, name: &str) -> (TestResponse, Cost) {
    let body = fixture(&format!("hostile/{name}.json"));
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("accept", "application/graphql-response+json")
        .body(Body::from(body))
        .expect("request");
    measure(router.send(request)).await
}

fn codes(body: &Value) -> Vec<&str> {
    body["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["extensions"]["code"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// Sends each fixture and checks its answer's status and first code, and what it cost.
async fn assert_refused(router: &TestRouter, cases: &[(&str, StatusCode, &str)]) {
    for (name, status, code) in cases {
        let (response, cost) = send_fixture(router, name).await;
        eprintln!("{name}: {cost:?}");
        assert_eq!(response.status, *status, "{name}: {}", response.body);
        assert_eq!(
            codes(&response.body).first(),
            Some(code),
            "{name}: {}",
            response.body
        );
        assert!(cost.cpu < CPU_BOUND, "{name} cost {cost:?}");
        assert!(cost.peak_bytes < MEMORY_BOUND, "{name} cost {cost:?}");
    }
}

#[tokio::test]
async fn refuses_fragment_bombs_before_expanding_them() {
    let router = committed_router(Config::default()).await;
    let expanded = "MAX_EXPANDED_FIELDS_EXCEEDED";
    assert_refused(
        &router,
        &[
            ("fragment_bomb", StatusCode::BAD_REQUEST, expanded),
            ("inline_fragment_bomb", StatusCode::BAD_REQUEST, expanded),
            ("aliased_fragment_bomb", StatusCode::BAD_REQUEST, expanded),
            ("union_interface_bomb", StatusCode::BAD_REQUEST, expanded),
            ("unused_fragment_bomb", StatusCode::BAD_REQUEST, expanded),
            ("field_duplication", StatusCode::BAD_REQUEST, expanded),
        ],
    )
    .await;
}

#[tokio::test]
async fn refuses_cycles_and_deep_nesting() {
    let router = committed_router(Config::default()).await;
    assert_refused(
        &router,
        &[
            (
                "fragment_cycle",
                StatusCode::BAD_REQUEST,
                "GRAPHQL_VALIDATION_FAILED",
            ),
            (
                "deep_nesting",
                StatusCode::BAD_REQUEST,
                "GRAPHQL_PARSE_FAILED",
            ),
            (
                "nested_list_arguments",
                StatusCode::BAD_REQUEST,
                "GRAPHQL_PARSE_FAILED",
            ),
            (
                "deep_introspection",
                StatusCode::BAD_REQUEST,
                "MAX_DEPTH_EXCEEDED",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn refuses_floods_of_aliases_directives_arguments_fragments_and_operations() {
    let router = committed_router(Config::default()).await;
    assert_refused(
        &router,
        &[
            (
                "alias_flood",
                StatusCode::BAD_REQUEST,
                "MAX_ALIASES_EXCEEDED",
            ),
            (
                "directive_flood",
                StatusCode::BAD_REQUEST,
                "MAX_DIRECTIVES_EXCEEDED",
            ),
            (
                "argument_flood",
                StatusCode::BAD_REQUEST,
                "MAX_ARGUMENTS_EXCEEDED",
            ),
            (
                "many_fragments",
                StatusCode::BAD_REQUEST,
                "MAX_FRAGMENTS_EXCEEDED",
            ),
            (
                "many_operations",
                StatusCode::BAD_REQUEST,
                "MAX_TOKENS_EXCEEDED",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn answers_huge_values_and_deep_variables_with_request_errors() {
    let router = committed_router(Config::default()).await;
    assert_refused(
        &router,
        &[
            (
                "long_number",
                StatusCode::BAD_REQUEST,
                "GRAPHQL_PARSE_FAILED",
            ),
            ("deep_variables", StatusCode::BAD_REQUEST, "BAD_USER_INPUT"),
            ("deep_json_body", StatusCode::BAD_REQUEST, "BAD_REQUEST"),
            // Within every limit: it is planned and sent (to a subgraph that is down).
            ("long_string", StatusCode::OK, "SUBGRAPH_REQUEST_FAILED"),
        ],
    )
    .await;
}

#[tokio::test]
async fn refuses_a_batch_when_batching_is_off_and_one_over_its_size_when_on() {
    let router = committed_router(Config::default()).await;
    assert_refused(
        &router,
        &[("batch_flood", StatusCode::BAD_REQUEST, "BAD_REQUEST")],
    )
    .await;
    let mut config = Config::default();
    config.batching.enabled = true;
    let router = committed_router(config).await;
    assert_refused(
        &router,
        &[("batch_flood", StatusCode::BAD_REQUEST, "BAD_REQUEST")],
    )
    .await;
}

#[tokio::test]
async fn refuses_introspection_when_it_is_off() {
    let router = committed_router(Config {
        introspection: false,
        ..Config::default()
    })
    .await;
    let response = router
        .post_json(&serde_json::json!({ "query": "{ __schema { types { name } } }" }))
        .await;
    assert_eq!(codes(&response.body), ["GRAPHQL_VALIDATION_FAILED"]);
    assert!(
        response.body["errors"][0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("Introspection is disabled")),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn lets_the_largest_real_operations_through_the_default_limits() {
    let router = committed_router(Config::default()).await;
    // GraphiQL's introspection query, the largest document any of our clients sends.
    let response = router
        .post_json(&serde_json::json!({ "query": include_str!("../../../schema/operations/graphiql_introspection.graphql") }))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(response.body["data"]["__schema"]["types"].is_array());
}

/// A subgraph that never answers, counting the requests it was sent and those whose sender
/// gave up on (hyper drops a handler whose connection closed).
async fn spawn_hanging() -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    struct CountDrop(Arc<AtomicUsize>);
    impl Drop for CountDrop {
        fn drop(&mut self) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let started = Arc::new(AtomicUsize::new(0));
    let abandoned = Arc::new(AtomicUsize::new(0));
    let (s, a) = (started.clone(), abandoned.clone());
    let handler = move || {
        let (s, a) = (s.clone(), a.clone());
        async move {
            s.fetch_add(1, Ordering::SeqCst);
            let _abandoned = CountDrop(a);
            std::future::pending::<()>().await;
        }
    };
    let url = serve_app(Router::new().route("/graphql", axum::routing::post(handler))).await;
    (url, started, abandoned)
}

#[tokio::test]
async fn stops_an_execution_at_its_deadline_and_cancels_its_subgraph_fetch() {
    let (url, started, abandoned) = spawn_hanging().await;
    let config = Config {
        execution_timeout_ms: 300,
        ..Config::default()
    };
    let urls: Vec<(&str, &str)> = SUBGRAPHS.iter().map(|s| (*s, url.as_str())).collect();
    let router = TestRouter::with_config("../../../schema/supergraph.graphql", &urls, config);
    let begun = Instant::now();
    let response = router
        .post_json(&serde_json::json!({ "query": "{ categories { id } }" }))
        .await;
    assert_eq!(
        response.status,
        StatusCode::GATEWAY_TIMEOUT,
        "{}",
        response.body
    );
    assert_eq!(codes(&response.body), ["EXECUTION_TIMEOUT"]);
    assert!(
        begun.elapsed() < Duration::from_secs(5),
        "{:?}",
        begun.elapsed()
    );
    // The fetch in flight was dropped with the execution, so the subgraph saw it go.
    let deadline = Instant::now() + Duration::from_secs(5);
    while abandoned.load(Ordering::SeqCst) < 1 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(started.load(Ordering::SeqCst), 1);
    assert_eq!(abandoned.load(Ordering::SeqCst), 1);
}
