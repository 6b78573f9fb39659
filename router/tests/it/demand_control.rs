//! Demand control: the estimate from `@cost`/`@listSize` shown to clients, and operations over
//! `demand_control.max_cost` refused before any subgraph is asked.

use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::post_service;
use commerce_router::Config;
use http::StatusCode;
use insta::assert_json_snapshot;
use serde_json::json;

use crate::harness::{Recorded, TestRouter, graphql_post, spawn_recording, spawn_subgraph};
use crate::subgraphs::values as sg;

async fn router(max_cost: u64) -> (TestRouter, Recorded) {
    let (shop, recorded) =
        spawn_recording(Router::new().route("/graphql", post_service(GraphQL::new(sg::shop()))))
            .await;
    let shipping = spawn_subgraph(sg::shipping()).await;
    let mut config = Config::default();
    config.demand_control.max_cost = max_cost;
    let router = TestRouter::with_config_as_is(
        "demand_control.graphql",
        &[("shop", &shop), ("shipping", &shipping)],
        config,
    );
    (router, recorded)
}

#[tokio::test]
async fn shows_the_estimate_of_every_operation_in_extensions() {
    let (router, _) = router(0).await;
    // 2 users × (1 for the object + 5 for the carrier call).
    let sliced = router
        .query(
            "query($n: Int) { users(filter: { limit: $n }) { name shippingCost } }",
            json!({ "n": 1 }),
        )
        .await;
    // No slicing argument: the assumed size, 10.
    let assumed = router.query("{ users { name } }", json!({})).await;
    // A mutation costs 10, its object 1, its costed argument 2.
    let mutation = router
        .query(
            r#"mutation { rename(id: "1", name: "Lovelace") { name } }"#,
            json!({}),
        )
        .await;
    assert_json_snapshot!([&sliced["extensions"], &assumed["extensions"], &mutation["extensions"]], @r#"
    [
      {
        "cost": {
          "estimated": 6
        }
      },
      {
        "cost": {
          "estimated": 10
        }
      },
      {
        "cost": {
          "estimated": 13
        }
      }
    ]
    "#);
    assert_eq!(sliced["data"]["users"][0]["name"], "Ada");
}

#[tokio::test]
async fn refuses_an_operation_estimated_over_the_limit_before_asking_any_subgraph() {
    let (router, recorded) = router(20).await;
    let query = "query($n: Int) { users(filter: { limit: $n }) { name shippingCost } }";
    // 3 × 6 = 18: under the limit, executed, with the limit shown.
    let cheap = router.query(query, json!({ "n": 3 })).await;
    assert_eq!(
        cheap["extensions"],
        json!({ "cost": { "estimated": 18, "max": 20 } })
    );
    assert_eq!(recorded.lock().expect("lock").len(), 1);

    // 4 × 6 = 24: refused, as validation failures are (400 with graphql-response+json).
    let body = json!({ "query": query, "variables": { "n": 4 } });
    let refused = router
        .send(
            graphql_post()
                .header("accept", "application/graphql-response+json")
                .body(axum::body::Body::from(body.to_string()))
                .expect("request"),
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_json_snapshot!(refused.body, @r#"
    {
      "errors": [
        {
          "message": "The operation's estimated cost, 24, is over the limit of 20",
          "extensions": {
            "code": "COST_ESTIMATED_TOO_EXPENSIVE",
            "cost": {
              "estimated": 24,
              "max": 20
            }
          }
        }
      ]
    }
    "#);
    // Legacy application/json clients get 200, as for validation failures.
    let legacy = router.post_json(&body).await;
    assert_eq!(legacy.status, StatusCode::OK);
    assert_eq!(
        legacy.body["errors"][0]["extensions"]["code"],
        "COST_ESTIMATED_TOO_EXPENSIVE"
    );
    assert_eq!(
        recorded.lock().expect("lock").len(),
        1,
        "no subgraph was asked"
    );
}

#[tokio::test]
async fn does_not_show_the_estimate_when_told_not_to() {
    let shop = spawn_subgraph(sg::shop()).await;
    let shipping = spawn_subgraph(sg::shipping()).await;
    let mut config = Config::default();
    config.demand_control.expose_estimate = false;
    let router = TestRouter::with_config_as_is(
        "demand_control.graphql",
        &[("shop", &shop), ("shipping", &shipping)],
        config,
    );
    let response = router.query("{ users { name } }", json!({})).await;
    assert_eq!(response.get("extensions"), None);
}
