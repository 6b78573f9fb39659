//! A Sequence step starts as soon as the steps it reads from are done: a slow branch of the
//! plan does not hold back a later fetch that does not need it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::routing::post_service;
use commerce_router::Config;
use serde_json::json;
use tokio::sync::watch;

use crate::harness::{TestRouter, serve_app, spawn_subgraph};
use crate::subgraphs::products::{self, Dataset};

/// Serves `schema` behind `gate`, a middleware run before every request.
async fn spawn_gated<Q, M, S, F, Fut>(schema: Schema<Q, M, S>, gate: F) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
    F: Fn() -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send,
{
    let app = Router::new()
        .route("/graphql", post_service(GraphQL::new(schema)))
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let gate = gate.clone();
            async move {
                gate().await;
                next.run(request).await
            }
        }));
    serve_app(app).await
}

#[tokio::test]
async fn a_fetch_does_not_wait_for_a_parallel_branch_it_does_not_read() {
    // Plan: products → reviews → Parallel[products (price, weight), accounts (name)] →
    // inventory (shippingEstimate, which requires price and weight). Accounts answers only
    // once inventory has been asked the second time, so a router that runs the Sequence
    // strictly waits on accounts until its timeout and reports an error. The authors also
    // reviewed a product outside the top one, so the second inventory fetch has an entity the
    // first did not answer, and is sent.
    let data = Dataset::generate(2, 2, 2);
    let (opened, open) = watch::channel(false);
    let inventory_calls = Arc::new(AtomicUsize::new(0));
    let inventory = spawn_gated(products::inventory(), move || {
        let calls = inventory_calls.fetch_add(1, Ordering::SeqCst) + 1;
        if calls == 2 {
            let _ = opened.send(true);
        }
        std::future::ready(())
    })
    .await;
    let accounts = spawn_gated(products::accounts(data.clone()), move || {
        let mut open = open.clone();
        async move {
            let _ = open.wait_for(|open| *open).await;
        }
    })
    .await;
    let products_url = spawn_subgraph(products::products(data.clone())).await;
    let reviews = spawn_subgraph(products::reviews(data)).await;
    let config = Config {
        subgraph_timeout_ms: 2_000,
        ..Config::default()
    };
    let router = TestRouter::products(&accounts, &products_url, &inventory, &reviews, config);
    let query = "{ topProducts(first: 1) { shippingEstimate reviews { author { name reviews { product { shippingEstimate } } } } } }";
    let plan = router.plan(query).await;
    assert!(
        plan.contains("Parallel") && plan.matches("service: \"inventory\"").count() == 2,
        "{plan}"
    );
    let response = router.query(query, json!({})).await;
    assert_eq!(response.get("errors"), None, "{response}");
    let author = &response["data"]["topProducts"][0]["reviews"][0]["author"];
    assert!(author["name"].is_string(), "{response}");
    assert!(
        author["reviews"][0]["product"]["shippingEstimate"].is_number(),
        "{response}"
    );
}
