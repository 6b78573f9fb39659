//! One query through the router touching catalog, inventory and reviews, and the SQL it costs.

use std::collections::BTreeMap;

use commerce_testkit::Backend;
use serde_json::{Value, json};

use crate::graph::Graph;

async fn post(graph: &Graph, query: &str, variables: Value) -> Value {
    graph.post(graph.router, query, variables, None).await
}

const PAGE: &str = r#"
query Page($first: Int!) {
  products(first: $first, sort: NEWEST) {
    totalCount
    edges {
      node {
        name
        inStock
        variants { sku available inStock }
        rating { average count histogram { stars count } }
        reviews(first: 2) { edges { node { rating title } } }
      }
    }
  }
}"#;

#[tokio::test]
async fn one_query_joins_catalog_inventory_and_reviews_through_the_router() {
    let graph = Graph::start(Backend::Sqlite, 40).await;
    let response = post(&graph, PAGE, json!({ "first": 2 })).await;
    assert_eq!(response.get("errors"), None, "{response:#}");
    let edges = response["data"]["products"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), 2);
    for edge in edges {
        let node = &edge["node"];
        let variants = node["variants"].as_array().expect("variants");
        assert!(!variants.is_empty(), "{node:#}");
        let any_available = variants.iter().any(|v| v["available"].as_i64() > Some(0));
        assert_eq!(node["inStock"], json!(any_available), "{node:#}");
        for variant in variants {
            let available = variant["available"].as_i64().expect("stock from inventory");
            assert_eq!(variant["inStock"], json!(available > 0));
        }
        let count = node["rating"]["count"]
            .as_i64()
            .expect("rating from reviews");
        let shown = node["reviews"]["edges"].as_array().expect("reviews").len();
        assert_eq!(shown as i64, count.min(2), "{node:#}");
    }
}

async fn statements_for_page(graph: &Graph, first: usize) -> BTreeMap<&'static str, usize> {
    graph.statements.reset();
    let response = post(graph, PAGE, json!({ "first": first })).await;
    assert_eq!(response.get("errors"), None, "{response:#}");
    let edges = response["data"]["products"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), first);
    graph.statements.counts()
}

/// Statements for a page of `first` products on a fresh stack, after a one-product page has
/// warmed the per-process caches (category tree, pools), so every size starts from the same state.
async fn statements_on_fresh_stack(
    backend: Backend,
    first: usize,
) -> BTreeMap<&'static str, usize> {
    let graph = Graph::start_counting(backend, 120).await;
    statements_for_page(&graph, 1).await;
    statements_for_page(&graph, first).await
}

async fn statement_count_does_not_depend_on_page_size(backend: Backend) {
    let small = statements_on_fresh_stack(backend, 10).await;
    let large = statements_on_fresh_stack(backend, 50).await;
    assert_eq!(
        small, large,
        "statements per subgraph for 10 vs 50 products"
    );
    let total: usize = large.values().sum();
    assert!(total <= 12, "a 50-product page cost {large:?} statements");
}

#[tokio::test]
async fn a_page_of_products_costs_the_same_statements_for_10_and_50_items_on_sqlite() {
    statement_count_does_not_depend_on_page_size(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_page_of_products_costs_the_same_statements_for_10_and_50_items_on_postgres() {
    statement_count_does_not_depend_on_page_size(Backend::Postgres).await;
}

/// POSTs with a bearer token; returns the status and the JSON body.
async fn post_with_token(graph: &Graph, query: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{}/graphql", graph.router))
        .bearer_auth(token)
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("router answers");
    let status = response.status().as_u16();
    (status, response.json().await.expect("router answers JSON"))
}

#[tokio::test]
async fn the_router_accepts_tokens_the_customers_subgraph_issues_and_stops_forged_ones() {
    let graph = Graph::start(Backend::Sqlite, 1).await;
    let login = post(
        &graph,
        "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { ... on AuthPayload { accessToken } } }",
        json!({ "email": "ada@example.com", "password": commerce_customers::demo::CUSTOMER_PASSWORD }),
    )
    .await;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {login}"))
        .to_owned();

    let (status, body) = post_with_token(&graph, "{ viewer { kind } }", &token).await;
    assert_eq!(body.get("errors"), None, "{body}");
    assert_eq!(
        (status, &body["data"]),
        (200, &json!({ "viewer": { "kind": "CUSTOMER" } }))
    );

    // Another signature on the same claims: refused by the router itself (a subgraph would
    // answer 200 with its own error).
    let (head, _) = token.rsplit_once('.').expect("a JWT");
    let forged = format!("{head}.{}", "A".repeat(86));
    let (status, body) = post_with_token(&graph, "{ viewer { kind } }", &forged).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}
