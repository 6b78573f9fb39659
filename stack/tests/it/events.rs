//! The stack starts the event relays and the catalog's cache consumer, and stops them on
//! shutdown: a write made by another catalog instance on the same databases reaches the
//! stack's cached reads through the router within a second (the cache would keep the old
//! name for minutes), and once the stack is shut down nothing publishes any more.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use commerce_stack::{Listeners, Subgraphs, start};
use commerce_testkit::{Backend, test_config};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

async fn post(router: SocketAddr, query: &str, variables: Value) -> Value {
    reqwest::Client::new()
        .post(format!("http://{router}/graphql"))
        .json(&json!({ "query": query, "variables": variables }))
        .send()
        .await
        .expect("the router answers")
        .json()
        .await
        .expect("a JSON body")
}

/// Runs a catalog mutation on `catalog` (not the stack's instance) as a catalog editor.
async fn edit(catalog: &commerce_catalog::AppState, query: &str, variables: Value) -> Value {
    let schema = commerce_catalog::schema(catalog.clone());
    let staff = commerce_testkit::staff(&["catalog:write"]);
    let response = commerce_testkit::execute_as(&schema, staff, query, variables).await;
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"].clone()
}

async fn unpublished(catalog: &commerce_catalog::AppState) -> i64 {
    let row = catalog
        .db
        .query_one(Statement::from_string(
            catalog.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM event_outbox WHERE published_at IS NULL",
        ))
        .await
        .expect("counts")
        .expect("a row");
    row.try_get("", "n").expect("a count")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_instances_write_reaches_the_stacks_cache_through_events_until_shutdown() {
    let test_config = test_config(Backend::Sqlite).await;
    let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binds free ports");
    let config = listeners.config(&test_config).expect("addresses");
    let subgraphs = Subgraphs::connect(&config)
        .await
        .expect("subgraphs connect");
    let other = commerce_catalog::state(&config)
        .await
        .expect("a second catalog instance");
    let shutdown = CancellationToken::new();
    let stack = start(subgraphs, listeners, shutdown.clone())
        .await
        .expect("stack starts");

    let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) {
        ... on Product { id } } }";
    let input = json!({ "name": "Oxford Shirt", "status": "PUBLISHED" });
    let created = edit(&other, create, json!({ "input": input })).await;
    let id = created["createProduct"]["id"].clone();
    let read = "query($id: ID!) { product(id: $id) { name } }";
    let name = async || {
        post(stack.router, read, json!({ "id": id })).await["data"]["product"]["name"].clone()
    };
    assert_eq!(
        name().await,
        "Oxford Shirt",
        "cached by the stack's catalog"
    );

    let rename = "mutation($id: ID!) { updateProduct(id: $id, input: { name: \"Oxford Slim\" }) {
        __typename } }";
    edit(&other, rename, json!({ "id": id })).await;
    let start_time = Instant::now();
    while name().await != "Oxford Slim" {
        assert!(
            start_time.elapsed() < Duration::from_secs(10),
            "the stack kept serving the old name"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let took = start_time.elapsed();
    assert!(took < Duration::from_secs(1), "seen after {took:?}");
    // The relay marks a batch published after handing it to the bus, so the consumer can
    // invalidate the cache a moment before the mark commits.
    let start_time = Instant::now();
    while unpublished(&other).await != 0 {
        assert!(
            start_time.elapsed() < Duration::from_secs(5),
            "the stack's relay never published both"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    shutdown.cancel();
    stack.wait().await.expect("the stack stops cleanly");
    tokio::time::sleep(Duration::from_millis(200)).await;
    edit(&other, rename, json!({ "id": id })).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(unpublished(&other).await, 1, "no relay runs after shutdown");
}
