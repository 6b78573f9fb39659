//! The subgraph over HTTP, built the way `run` builds it: state from config, then the router.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::Backend;

async fn body_json(response: axum::response::Response) -> Value {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("reads the body")
        .to_bytes();
    serde_json::from_slice(&bytes).expect("a JSON body")
}

#[tokio::test]
async fn serves_graphql_and_readiness_from_a_migrated_database() {
    let config = commerce_testkit::test_config(Backend::Sqlite).await;
    let state = commerce_inventory::state(&config)
        .await
        .expect("connects and migrates");
    commerce_inventory::demo::seed(&state, &[], 1)
        .await
        .expect("seeds the warehouses");
    let router = commerce_inventory::router(state, commerce_testkit::verifier(&config));

    let ready = router
        .clone()
        .oneshot(
            Request::get("/ready")
                .body(Body::empty())
                .expect("a request"),
        )
        .await
        .expect("answers");
    assert_eq!(ready.status(), StatusCode::OK);

    let query = json!({ "query": "{ warehouses { code name } }" });
    let request = Request::post("/graphql")
        .header("content-type", "application/json")
        .body(Body::from(query.to_string()))
        .expect("a request");
    let response = router.oneshot(request).await.expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    insta::assert_json_snapshot!(body_json(response).await, @r#"
    {
      "data": {
        "warehouses": [
          {
            "code": "ams-1",
            "name": "Amsterdam fulfilment centre"
          },
          {
            "code": "ber-1",
            "name": "Berlin city warehouse"
          }
        ]
      }
    }
    "#);
}
