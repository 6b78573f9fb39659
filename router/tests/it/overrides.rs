//! `@override`, including progressive labels (percentages and flags).

use commerce_router::Config;
use insta::assert_json_snapshot;
use serde_json::json;

use crate::harness::{TestRouter, spawn_subgraph};
use crate::subgraphs::overrides;

async fn router(config: Config) -> TestRouter {
    let old = spawn_subgraph(overrides::subgraph(1)).await;
    let new = spawn_subgraph(overrides::subgraph(2)).await;
    TestRouter::with_config("overrides.graphql", &[("old", &old), ("new", &new)], config)
}

const QUERY: &str = "{ posts { id title views likes shares } }";

#[tokio::test]
async fn routes_overridden_fields_by_label() {
    let router = router(Config::default()).await;
    // Percentages are drawn per request: repeat to catch a wrong bucket.
    let mut responses = Vec::new();
    for _ in 0..5 {
        responses.push(router.query(QUERY, json!({})).await);
    }
    assert!(responses.windows(2).all(|w| w[0] == w[1]));
    assert_json_snapshot!(responses[0], @r#"
    {
      "data": {
        "posts": [
          {
            "id": "p1",
            "title": "title from 2",
            "views": 2,
            "likes": 1,
            "shares": 1
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn active_flags_move_flagged_fields() {
    let config = Config {
        override_flags: vec!["beta".to_string()],
        ..Config::default()
    };
    let router = router(config).await;
    assert_json_snapshot!(router.query(QUERY, json!({})).await, @r#"
    {
      "data": {
        "posts": [
          {
            "id": "p1",
            "title": "title from 2",
            "views": 2,
            "likes": 1,
            "shares": 2
          }
        ]
      }
    }
    "#);
}
