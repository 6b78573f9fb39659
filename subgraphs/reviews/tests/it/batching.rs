//! No N+1: an `_entities` batch of products with their rating and first reviews costs the same
//! small number of SQL statements whatever its size.

use std::time::Duration;

use commerce_kernel::GlobalId;
use commerce_testkit::Backend;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{TestApp, product};

const PRODUCTS_WITH_REVIEWS: &str = r#"
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product {
      id
      rating { average count histogram { stars count } }
      reviews(first: 3) {
        totalCount
        pageInfo { hasNextPage endCursor }
        edges { node { id title rating authorName author { id } product { id } } }
      }
    }
  }
}"#;

fn representations(ids: impl Iterator<Item = i64>) -> Value {
    let products: Vec<Value> = ids
        .map(|n| json!({ "__typename": "Product", "id": product(n) }))
        .collect();
    json!({ "representations": products })
}

/// Statements run for one `_entities` request of `ids`.
async fn statements_for(app: &TestApp, ids: impl Iterator<Item = i64>) -> (usize, Value) {
    app.statements.reset();
    let response = app
        .execute(PRODUCTS_WITH_REVIEWS, representations(ids))
        .await;
    assert_eq!(response.get("errors"), None, "{response:#}");
    (app.statements.count(), response)
}

async fn entity_batches_cost_the_same_statements_for_10_and_50_products(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    // A window no descheduling on a busy test machine outlasts, so the count is exact.
    app.schema =
        commerce_reviews::schema_with_batch_window(app.state.clone(), Duration::from_millis(100));
    let ids: Vec<String> = (1..=60).map(product).collect();
    commerce_reviews::demo::seed(&app.state, &ids, 3)
        .await
        .expect("seeds");

    let (ten, _) = statements_for(&app, 1..=10).await;
    let (fifty, response) = statements_for(&app, 11..=60).await;
    assert_eq!(ten, fifty, "statement count grows with the batch");
    assert_eq!(fifty, 2, "one query for ratings, one for the first reviews");
    let entities = response["data"]["_entities"]
        .as_array()
        .expect("a list of entities");
    assert_eq!(entities.len(), 50);
    let shown: usize = entities
        .iter()
        .map(|e| e["reviews"]["edges"].as_array().map_or(0, Vec::len))
        .sum();
    assert!(shown > 50, "the demo data gives most products reviews");

    // Ratings now come from the cache: only the reviews query is left.
    let (cached, _) = statements_for(&app, 11..=60).await;
    assert_eq!(cached, 1);
}

on_both_backends!(entity_batches_cost_the_same_statements_for_10_and_50_products);

const REVIEWS: &str = r#"
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Review { id rating title product { id } author { id } }
  }
}"#;

async fn review_entity_batches_cost_one_statement_whatever_their_size(backend: Backend) {
    let mut app = TestApp::new(backend).await;
    app.schema =
        commerce_reviews::schema_with_batch_window(app.state.clone(), Duration::from_millis(100));
    let ids: Vec<String> = (1..=30).map(product).collect();
    commerce_reviews::demo::seed(&app.state, &ids, 5)
        .await
        .expect("seeds");
    let mut counts = Vec::new();
    for batch in [1..=10, 11..=60] {
        let representations: Vec<Value> = batch
            .map(|n| json!({ "__typename": "Review", "id": GlobalId::encode("Review", n) }))
            .collect();
        app.statements.reset();
        let response = app
            .execute(REVIEWS, json!({ "representations": representations }))
            .await;
        assert_eq!(response.get("errors"), None, "{response:#}");
        counts.push(app.statements.count());
    }
    assert_eq!(counts, [1, 1]);
}

on_both_backends!(review_entity_batches_cost_one_statement_whatever_their_size);
