//! Demo data: deterministic, idempotent, and with ratings that match its reviews.

use commerce_testkit::{Backend, on_both_backends};
use serde_json::json;

use crate::support::{TestApp, product};

const FIRST_REVIEWS: &str = r#"
query ($representations: [_Any!]!) {
  _entities(representations: $representations) {
    ... on Product { rating { count average } reviews(first: 2) { edges { node { title rating authorName createdAt } } } }
  }
}"#;

async fn demo_seed_is_deterministic_idempotent_and_consistent(backend: Backend) {
    let ids: Vec<String> = (1..=40).map(product).collect();
    let representations: Vec<_> = ids
        .iter()
        .map(|id| json!({ "__typename": "Product", "id": id }))
        .collect();
    let variables = json!({ "representations": representations });
    let mut responses = Vec::new();
    for _ in 0..2 {
        let app = TestApp::new(backend).await;
        commerce_reviews::demo::seed(&app.state, &ids, 42)
            .await
            .expect("seeds");
        let first = app.execute(FIRST_REVIEWS, variables.clone()).await;
        commerce_reviews::demo::seed(&app.state, &ids, 42)
            .await
            .expect("seeds again");
        assert_eq!(app.execute(FIRST_REVIEWS, variables.clone()).await, first);
        let drift = app.service().rating_drift().await.expect("audits");
        assert!(drift.is_empty(), "{drift:#?}");
        responses.push(first);
    }
    assert_eq!(responses[0], responses[1], "same seed, same data");
}

on_both_backends!(demo_seed_is_deterministic_idempotent_and_consistent);
