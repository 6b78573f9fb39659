//! Federation entities and lists cost one query per type, whatever the batch or page size.

use commerce_testkit::on_both_backends;
use serde_json::{Value, json};

use crate::support::{TestApp, app};

on_both_backends!(current_thread:
    resolves_entity_batches_with_one_query_per_type,
    pages_of_products_with_nested_lists_cost_a_constant_number_of_queries,
);

const ENTITIES: &str =
    "query($representations: [_Any!]!) { _entities(representations: $representations) {
    ... on Product { id name variants { sku } }
    ... on ProductVariant { id sku }
} }";

async fn seeded(app: &TestApp) -> Vec<commerce_catalog::demo::SeededProduct> {
    commerce_catalog::demo::seed(&app.state, 80, 1)
        .await
        .expect("seeds")
}

async fn statements_for(app: &TestApp, query: &str, variables: Value) -> (usize, Value) {
    app.statements.reset();
    let data = app.data(query, variables).await;
    (app.statements.count(), data)
}

fn representations(seeded: &[commerce_catalog::demo::SeededProduct], n: usize) -> Value {
    let products = seeded
        .iter()
        .take(n)
        .map(|p| json!({ "__typename": "Product", "id": p.id }));
    let variants = seeded
        .iter()
        .take(n)
        .map(|p| json!({ "__typename": "ProductVariant", "id": p.variant_ids[0] }));
    Value::Array(products.chain(variants).collect())
}

async fn resolves_entity_batches_with_one_query_per_type(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let seeded = seeded(&app).await;
    let (small, data) = statements_for(
        &app,
        ENTITIES,
        json!({ "representations": representations(&seeded, 3) }),
    )
    .await;
    assert_eq!(data["_entities"].as_array().map(Vec::len), Some(6));
    assert_eq!(data["_entities"][0]["id"], json!(seeded[0].id));
    assert_eq!(
        data["_entities"][3]["sku"]
            .as_str()
            .map(|s| s.starts_with("SKU-")),
        Some(true)
    );
    let (large, data) = statements_for(
        &app,
        ENTITIES,
        json!({ "representations": representations(&seeded, 40) }),
    )
    .await;
    assert_eq!(data["_entities"].as_array().map(Vec::len), Some(80));
    assert_eq!(small, large, "statements must not grow with the batch");
    assert!(large <= 3, "products, their variants, variants: {large}");
    let unknown = json!([{ "__typename": "Product", "id": commerce_kernel::GlobalId::encode("Product", 9_999) }]);
    let (_, data) = statements_for(&app, ENTITIES, json!({ "representations": unknown })).await;
    assert_eq!(data["_entities"], json!([null]));
}

async fn pages_of_products_with_nested_lists_cost_a_constant_number_of_queries(
    backend: commerce_testkit::Backend,
) {
    let app = app(backend).await;
    seeded(&app).await;
    let query = "query($first: Int) { products(first: $first) { totalCount edges { node {
        id name attributes { name value } category { name ancestors { name } }
        collections { name } variants { id sku options { name value } }
    } } } }";
    // Warm the per-filter count cache so both sizes measure the same work.
    app.data(query, json!({ "first": 1 })).await;
    let (small, data) = statements_for(&app, query, json!({ "first": 5 })).await;
    assert_eq!(data["products"]["edges"].as_array().map(Vec::len), Some(5));
    let (large, data) = statements_for(&app, query, json!({ "first": 50 })).await;
    assert_eq!(data["products"]["edges"].as_array().map(Vec::len), Some(50));
    assert_eq!(small, large, "statements must not grow with the page");
    assert!(
        large <= 6,
        "page, categories, ancestors, collections, variants: {large}"
    );
}
