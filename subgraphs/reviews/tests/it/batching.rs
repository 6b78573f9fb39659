//! No N+1: an `_entities` batch of products with their rating and first reviews costs the same
//! small number of SQL statements whatever its size.

use commerce_kernel::GlobalId;
use commerce_testkit::{Backend, on_both_backends};
use serde_json::{Value, json};

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
    // The production schema: `_entities` batches are loaded whole, so the count is exact
    // however the tasks are scheduled.
    let app = TestApp::new(backend).await;
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
    let app = TestApp::new(backend).await;
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

const TWO_PAGE_SIZES: &str = r#"
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product {
      few: reviews(first: 1) { edges { node { id } } }
      many: reviews(first: 4) { totalCount edges { node { id } } }
    }
  }
}"#;

async fn entity_batches_load_each_page_size_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ids: Vec<String> = (1..=20).map(product).collect();
    commerce_reviews::demo::seed(&app.state, &ids, 7)
        .await
        .expect("seeds");
    app.statements.reset();
    let response = app.execute(TWO_PAGE_SIZES, representations(1..=20)).await;
    assert_eq!(response.get("errors"), None, "{response:#}");
    assert_eq!(
        app.statements.count(),
        3,
        "one query for ratings, one per page size"
    );
    let node_ids = |connection: &Value| -> Vec<Value> {
        connection["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| edge["node"]["id"].clone())
            .collect()
    };
    for entity in response["data"]["_entities"].as_array().expect("entities") {
        let (few, many) = (node_ids(&entity["few"]), node_ids(&entity["many"]));
        let total = entity["many"]["totalCount"].as_u64().expect("a count");
        assert_eq!(many.len() as u64, total.min(4));
        assert_eq!(few[..], many[..many.len().min(1)], "the same newest review");
    }
}

on_both_backends!(entity_batches_load_each_page_size_once);

const PRODUCT_FIELDS: &str =
    "id rating { average count } reviews(first: 2) { totalCount edges { node { id } } }";

/// Products reached through reviews go through the DataLoaders, not the entity batch: same data.
async fn products_of_reviews_resolve_like_product_entities(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ids: Vec<String> = (1..=5).map(product).collect();
    commerce_reviews::demo::seed(&app.state, &ids, 11)
        .await
        .expect("seeds");
    let review_ids: Vec<Value> = (1..=40)
        .map(|n| json!({ "__typename": "Review", "id": GlobalId::encode("Review", n) }))
        .collect();
    let query = format!(
        "query ($representations: [_Any!]!) {{ _entities(representations: $representations) {{
           ... on Review {{ product {{ {PRODUCT_FIELDS} }} }}
           ... on Product {{ {PRODUCT_FIELDS} }}
        }} }}"
    );
    let from_reviews = app
        .execute(&query, json!({ "representations": review_ids }))
        .await;
    assert_eq!(from_reviews.get("errors"), None, "{from_reviews:#}");
    let products = app.execute(&query, representations(1..=5)).await;
    assert_eq!(products.get("errors"), None, "{products:#}");
    let by_id: std::collections::HashMap<String, Value> = products["data"]["_entities"]
        .as_array()
        .expect("entities")
        .iter()
        .map(|p| (p["id"].as_str().expect("an id").to_owned(), p.clone()))
        .collect();
    let mut compared = 0;
    for review in from_reviews["data"]["_entities"]
        .as_array()
        .expect("entities")
    {
        // Unapproved reviews are hidden from anonymous viewers.
        let Some(product) = review.get("product").filter(|p| !p.is_null()) else {
            continue;
        };
        let id = product["id"].as_str().expect("an id");
        assert_eq!(product, &by_id[id]);
        compared += 1;
    }
    assert!(compared > 0, "some reviews are approved");
}

on_both_backends!(products_of_reviews_resolve_like_product_entities);
