//! One query through the router touching catalog, inventory and reviews, and the SQL it costs.

use std::net::SocketAddr;

use commerce_kernel::cache::MemoryCache;
use commerce_stack::{Listeners, Stack, Subgraphs, start};
use commerce_testkit::{Backend, SqlCounter, TestConfig, test_config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A stack on free ports with the demo shop, and a statement counter per subgraph database.
struct TestStack {
    router: SocketAddr,
    counters: [SqlCounter; 3],
    shutdown: CancellationToken,
    _stack: Stack,
    _config: TestConfig,
}

impl Drop for TestStack {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn test_stack(backend: Backend, products: usize) -> TestStack {
    let test_config = test_config(backend).await;
    let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binds free ports");
    let config = listeners.config(&test_config).expect("addresses");
    let seeded = Subgraphs::connect(&config)
        .await
        .expect("subgraphs connect");
    seeded.load_demo(products).await.expect("demo data loads");

    // Fresh connections with counters attached, so only the query's statements count.
    let mut catalog_db = commerce_kernel::db::connect(&config, "catalog")
        .await
        .expect("db");
    let mut inventory_db = commerce_kernel::db::connect(&config, "inventory")
        .await
        .expect("db");
    let mut reviews_db = commerce_kernel::db::connect(&config, "reviews")
        .await
        .expect("db");
    let counters = [
        SqlCounter::attach(&mut catalog_db),
        SqlCounter::attach(&mut inventory_db),
        SqlCounter::attach(&mut reviews_db),
    ];
    let cache = || std::sync::Arc::new(MemoryCache::new(1_000));
    let subgraphs = Subgraphs {
        catalog: commerce_catalog::AppState::new(catalog_db, cache()),
        inventory: commerce_inventory::AppState::new(
            inventory_db,
            commerce_inventory::service::Clock::system(),
        ),
        reviews: commerce_reviews::AppState {
            service: commerce_reviews::ReviewsService::new(reviews_db, cache()),
        },
        pricing: seeded.pricing,
        customers: seeded.customers,
        checkout: seeded.checkout,
        orders: seeded.orders,
        payments: seeded.payments,
        redis_url: None,
        auth: seeded.auth,
    };
    let shutdown = CancellationToken::new();
    let stack = start(subgraphs, listeners, shutdown.clone())
        .await
        .expect("stack starts");
    TestStack {
        router: stack.router,
        counters,
        shutdown,
        _stack: stack,
        _config: test_config,
    }
}

async fn post(router: SocketAddr, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(format!("http://{router}/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("router answers")
        .json()
        .await
        .expect("router answers JSON")
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
    let stack = test_stack(Backend::Sqlite, 40).await;
    let response = post(stack.router, PAGE, json!({ "first": 2 })).await;
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

async fn statements_for_page(stack: &TestStack, first: usize) -> [usize; 3] {
    for counter in &stack.counters {
        counter.reset();
    }
    let response = post(stack.router, PAGE, json!({ "first": first })).await;
    assert_eq!(response.get("errors"), None, "{response:#}");
    let edges = response["data"]["products"]["edges"]
        .as_array()
        .expect("edges");
    assert_eq!(edges.len(), first);
    stack.counters.each_ref().map(SqlCounter::count)
}

/// Statements for a page of `first` products on a fresh stack, after a one-product page has
/// warmed the per-process caches (category tree, pools), so every size starts from the same state.
async fn statements_on_fresh_stack(backend: Backend, first: usize) -> [usize; 3] {
    let stack = test_stack(backend, 120).await;
    statements_for_page(&stack, 1).await;
    statements_for_page(&stack, first).await
}

async fn statement_count_does_not_depend_on_page_size(backend: Backend) {
    let small = statements_on_fresh_stack(backend, 10).await;
    let large = statements_on_fresh_stack(backend, 50).await;
    assert_eq!(
        small, large,
        "catalog, inventory, reviews statements for 10 vs 50 products"
    );
    let total: usize = large.iter().sum();
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
async fn post_with_token(router: SocketAddr, query: &str, token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(format!("http://{router}/graphql"))
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
    let stack = test_stack(Backend::Sqlite, 1).await;
    let login = post(
        stack.router,
        "mutation($email: String!, $password: String!) { login(email: $email, password: $password) { ... on AuthPayload { accessToken } } }",
        json!({ "email": "ada@example.com", "password": commerce_customers::demo::CUSTOMER_PASSWORD }),
    )
    .await;
    let token = login["data"]["login"]["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("a session: {login}"))
        .to_owned();

    let (status, body) = post_with_token(stack.router, "{ viewer { kind } }", &token).await;
    assert_eq!(
        (status, &body),
        (
            200,
            &json!({ "data": { "viewer": { "kind": "CUSTOMER" } } })
        )
    );

    // Another signature on the same claims: refused by the router itself (a subgraph would
    // answer 200 with its own error).
    let (head, _) = token.rsplit_once('.').expect("a JWT");
    let forged = format!("{head}.{}", "A".repeat(86));
    let (status, body) = post_with_token(stack.router, "{ viewer { kind } }", &forged).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(body["errors"][0]["extensions"]["code"], "UNAUTHENTICATED");
}
