//! Batched requests (a JSON array of operations, as Apollo Client's `BatchHttpLink` sends):
//! answered in order, each with its own errors; refused when off or too large.

use commerce_router::Config;
use http::StatusCode;
use insta::assert_json_snapshot;
use serde_json::json;

use crate::entities::products_router_with;

fn batching(max_size: usize) -> Config {
    let mut config = Config::default();
    config.batching.enabled = true;
    config.batching.max_size = max_size;
    config
}

#[tokio::test]
async fn a_batch_is_answered_in_order_with_each_operations_own_errors() {
    let router = products_router_with(batching(3)).await;
    let response = router
        .post_json(&json!([
            { "query": "query($n: Int) { topProducts(first: $n) { upc } }", "variables": { "n": 1 } },
            { "query": "{ nope }" },
            { "variables": {} },
        ]))
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_json_snapshot!(response.body, @r#"
    [
      {
        "data": {
          "topProducts": [
            {
              "upc": "1"
            }
          ]
        }
      },
      {
        "errors": [
          {
            "message": "Cannot query field \"nope\" on type \"Query\".",
            "locations": [
              {
                "line": 1,
                "column": 3
              }
            ],
            "extensions": {
              "code": "GRAPHQL_VALIDATION_FAILED"
            }
          }
        ]
      },
      {
        "errors": [
          {
            "message": "Missing query: the body must contain a `query` string",
            "extensions": {
              "code": "BAD_REQUEST"
            }
          }
        ]
      }
    ]
    "#);
}

#[tokio::test]
async fn batches_are_refused_when_off_empty_or_too_large() {
    let one = json!({ "query": "{ topProducts(first: 1) { upc } }" });
    let off = products_router_with(Config::default()).await;
    let small = products_router_with(batching(2)).await;
    for (router, body) in [
        (&off, json!([one])),
        (&small, json!([])),
        (&small, json!([one, one, one])),
    ] {
        let response = router.post_json(&body).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{}",
            response.body
        );
        assert_eq!(
            response.body["errors"][0]["extensions"]["code"],
            "BAD_REQUEST"
        );
    }
}
