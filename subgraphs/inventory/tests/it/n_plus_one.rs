//! `_entities` batches cost a constant number of SQL statements, whatever their size.

use serde_json::{Value, json};

use crate::support::{Backend, TestApp, app, execute, on_both_backends, product, variant};

const VARIANTS: &str = r#"query($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on ProductVariant { available inStock stock { onHand available warehouse { code name } } }
  }
}"#;

const PRODUCTS: &str = r#"query($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Product { inStock } }
}"#;

/// Statements run for `query` over `representations`, after the setup.
async fn statements_for(app: &TestApp, query: &str, representations: Vec<Value>) -> usize {
    app.statements.reset();
    let response = execute(app, query, json!({ "representations": representations })).await;
    assert!(response.get("errors").is_none(), "{response}");
    app.statements.count()
}

on_both_backends!(entity_batches_cost_one_query_per_type_whatever_their_size);

async fn entity_batches_cost_one_query_per_type_whatever_their_size(backend: Backend) {
    let app = app(backend).await;
    let (north, south) = (app.warehouse("north").await, app.warehouse("south").await);
    for n in 1..=90 {
        app.stock(&variant(n), north, i32::try_from(n % 4).expect("small"))
            .await;
        app.stock(&variant(n), south, 1).await;
    }
    let variants = |count: i64| -> Vec<Value> {
        (1..=count)
            .map(|n| json!({ "__typename": "ProductVariant", "id": variant(n).as_str() }))
            .collect()
    };
    let products = |count: i64| -> Vec<Value> {
        (0..count)
            .map(|p| {
                let ids: Vec<Value> = (1..=3)
                    .map(|i| json!({ "id": variant(p * 3 + i).as_str() }))
                    .collect();
                json!({ "__typename": "Product", "id": product(p + 1), "variants": ids })
            })
            .collect()
    };
    let small = statements_for(&app, VARIANTS, variants(3)).await;
    let large = statements_for(&app, VARIANTS, variants(60)).await;
    assert_eq!(
        (small, large),
        (2, 2),
        "stock and warehouses: one query each"
    );
    let small = statements_for(&app, PRODUCTS, products(2)).await;
    let large = statements_for(&app, PRODUCTS, products(30)).await;
    assert_eq!(
        (small, large),
        (1, 1),
        "one stock query for every required variant id"
    );
}
