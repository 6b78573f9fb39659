//! The demo seed is deterministic and idempotent.

use commerce_catalog::demo;
use commerce_testkit::on_both_backends;
use serde_json::json;

use crate::support::app;

on_both_backends!(current_thread: seeds_once_and_returns_the_same_products_again);

async fn seeds_once_and_returns_the_same_products_again(backend: commerce_testkit::Backend) {
    let app = app(backend).await;
    let first = demo::seed(&app.state, 300, 42).await.expect("seeds");
    assert_eq!(first.len(), 300);
    assert!(first.iter().all(|p| (1..=4).contains(&p.variant_ids.len())));
    // The events of building that shop through the API, once: what analytics learns the
    // catalog's names and categories from.
    let events = commerce_testkit::events::publish_pending(&app.state.db, "catalog").await;
    let count = |event_type: &str| events.iter().filter(|e| e.event_type == event_type).count();
    assert_eq!(count("catalog.category_changed"), 21);
    assert_eq!(count("catalog.product_changed"), 300);
    assert_eq!(count("catalog.collection_changed"), 6);
    let kitchen = events
        .iter()
        .find(|e| e.payload["name"] == "Kitchen")
        .expect("a category named Kitchen");
    assert_eq!(kitchen.payload["change"], "CREATED");
    assert!(
        events
            .iter()
            .filter(|e| e.event_type == "catalog.product_changed")
            .all(|e| e.payload["categoryId"].is_string()),
        "every product states its category"
    );
    let again = demo::seed(&app.state, 10, 7)
        .await
        .expect("finds the seeded products");
    assert_eq!(again, first);
    assert!(
        commerce_testkit::events::publish_pending(&app.state.db, "catalog")
            .await
            .is_empty(),
        "a second seed writes nothing"
    );
    let query =
        "{ products(first: 3, sort: NAME) { totalCount edges { node { name category { name } } } }
        categories { name } collections(first: 10) { edges { node { slug } } } }";
    let data = app.data(query, json!({})).await;
    assert!(
        data["products"]["totalCount"]
            .as_i64()
            .is_some_and(|n| n > 250 && n < 300),
        "some drafts"
    );
    assert_eq!(data["categories"].as_array().map(Vec::len), Some(21));
    assert_eq!(
        data["collections"]["edges"].as_array().map(Vec::len),
        Some(6)
    );
    let create = "mutation { createCategory(input: { slug: \"sale\", name: \"Sale\" }) { ... on Category { id } } }";
    let created = app.data(create, json!({})).await;
    assert_eq!(
        commerce_kernel::GlobalId::decode(
            created["createCategory"]["id"].as_str().expect("id"),
            "Category"
        )
        .map_err(|e| e.code),
        Ok(22),
        "ids continue after the seeded ones"
    );
}
