//! Hostile operations sent straight to a subgraph (as anyone inside the network could): each
//! is refused with a stable code before it costs more than its size, and the operations a
//! client really sends, introspection included, still go through.

use std::time::{Duration, Instant};

use async_graphql::{EmptyMutation, ID, Object};
use axum::body::Body;
use axum::http::Request;
use commerce_kernel::auth::Verifier;
use commerce_kernel::subgraph::{self, codes};
use serde_json::{Value, json};
use tower::ServiceExt;

/// Every refusal here should take milliseconds; the bound only has to catch the seconds to
/// minutes an exponential walk would take, on a loaded debug build.
const QUICK: Duration = Duration::from_secs(10);

struct Node;

#[Object]
impl Node {
    async fn id(&self) -> ID {
        ID::from("n1")
    }

    async fn child(&self) -> Node {
        Node
    }

    async fn children(&self) -> Vec<Node> {
        vec![Node, Node]
    }
}

struct Query;

#[Object]
impl Query {
    async fn node(&self) -> Node {
        Node
    }
}

async fn subgraph() -> axum::Router {
    let schema = subgraph::schema_builder(Query, EmptyMutation).finish();
    let db = sea_orm::Database::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    let verifier = std::sync::Arc::new(Verifier::with_keys(&[], "commerce", "commerce"));
    commerce_kernel::server::graphql_app(schema, db, verifier)
}

/// Posts `query` and returns the response body and how long the subgraph took.
async fn post(query: &str) -> (Value, Duration) {
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(json!({ "query": query }).to_string()))
        .expect("request");
    let started = Instant::now();
    let response = subgraph().await.oneshot(request).await.expect("response");
    let body = axum::body::to_bytes(response.into_body(), 64 << 20)
        .await
        .expect("body");
    let elapsed = started.elapsed();
    (serde_json::from_slice(&body).expect("JSON body"), elapsed)
}

async fn assert_refused(query: &str, code: &str) {
    let (body, elapsed) = post(query).await;
    assert_eq!(body["data"], Value::Null, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], code, "{body}");
    assert!(elapsed < QUICK, "refusing took {elapsed:?}");
}

fn nested(field: &str, levels: usize) -> String {
    format!(
        "{{ node {{ {}id{} }} }}",
        format!("{field} {{ ").repeat(levels),
        " }".repeat(levels)
    )
}

/// `fragment F1 on Node { ...F0 ...F0 }`, ..., and a query spreading the last one: the
/// expanded operation has 2^levels copies of F0.
fn fragment_bomb(levels: usize) -> String {
    let mut query = String::from("fragment F0 on Node { id }\n");
    for level in 1..levels {
        let previous = level - 1;
        query.push_str(&format!(
            "fragment F{level} on Node {{ ...F{previous} ...F{previous} }}\n"
        ));
    }
    query + &format!("{{ node {{ ...F{} }} }}", levels - 1)
}

#[tokio::test]
async fn answers_an_operation_within_the_limits() {
    let (body, _) = post(&nested("child", 10)).await;
    assert_eq!(body["errors"], Value::Null, "{body}");
    assert_eq!(
        body["data"]["node"]["child"]["child"]["child"]["child"]["child"]["child"]["child"]["child"]
            ["child"]["child"]["id"],
        "n1"
    );
}

#[tokio::test]
async fn answers_graphiql_introspection_query() {
    let (body, _) = post(INTROSPECTION).await;
    assert_eq!(body["errors"], Value::Null, "{body}");
    assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");
}

#[tokio::test]
async fn refuses_an_over_deep_operation() {
    assert_refused(&nested("child", 20), codes::MAX_DEPTH_EXCEEDED).await;
}

#[tokio::test]
async fn refuses_selection_sets_nested_past_the_recursion_limit() {
    // Inline fragments add nesting without adding fields.
    let query = format!(
        "{{ node {{ {}id{} }} }}",
        "... on Node { ".repeat(40),
        " }".repeat(40)
    );
    assert_refused(&query, codes::MAX_DEPTH_EXCEEDED).await;
}

#[tokio::test]
async fn refuses_an_over_complex_operation() {
    let aliases: String = (0..5_100).map(|n| format!("a{n}: id ")).collect();
    assert_refused(
        &format!("{{ node {{ {aliases} }} }}"),
        codes::MAX_COMPLEXITY_EXCEEDED,
    )
    .await;
}

#[tokio::test]
async fn refuses_a_fragment_bomb_before_expanding_it() {
    assert_refused(&fragment_bomb(30), codes::MAX_EXPANDED_FIELDS_EXCEEDED).await;
}

#[tokio::test]
async fn refuses_a_fragment_bomb_hidden_below_the_recursion_limit() {
    // 20 levels stay under the recursion limit, so only the expanded size refuses it.
    assert_refused(&fragment_bomb(20), codes::MAX_EXPANDED_FIELDS_EXCEEDED).await;
}

#[tokio::test]
async fn refuses_a_document_with_too_many_fragments() {
    let fragments: String = (0..101)
        .map(|n| format!("fragment F{n} on Node {{ id }}\n"))
        .collect();
    assert_refused(
        &format!("{fragments}{{ node {{ ...F0 }} }}"),
        codes::MAX_FRAGMENTS_EXCEEDED,
    )
    .await;
}

#[tokio::test]
async fn refuses_a_directive_flood() {
    let query = format!("{{ node {{ id{} }} }}", " @include(if: true)".repeat(20));
    assert_refused(&query, codes::MAX_DIRECTIVES_EXCEEDED).await;
}

/// GraphiQL's introspection query, shared with the router's limit tests.
const INTROSPECTION: &str =
    include_str!("../../../schema/operations/graphiql_introspection.graphql");
