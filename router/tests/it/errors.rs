//! Subgraph errors on the right paths, null propagation, and failing subgraphs that only
//! null their own part of the response.

use insta::assert_json_snapshot;
use serde_json::json;

use std::time::Duration;

use crate::harness::{TestRouter, dead_url, spawn_canned, spawn_subgraph};
use crate::subgraphs::products::{self, Dataset};

#[tokio::test]
async fn keeps_field_errors_with_paths_and_service_name() {
    let router = crate::entities::products_router().await;
    let response = router
        .query("{ topProducts(first: 2) { upc notes } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "topProducts": [
          {
            "upc": "1",
            "notes": null
          },
          {
            "upc": "2",
            "notes": null
          }
        ]
      },
      "errors": [
        {
          "message": "notes are unavailable",
          "path": [
            "topProducts",
            0,
            "notes"
          ],
          "extensions": {
            "serviceName": "products"
          }
        },
        {
          "message": "notes are unavailable",
          "path": [
            "topProducts",
            1,
            "notes"
          ],
          "extensions": {
            "serviceName": "products"
          }
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn a_non_null_error_nulls_the_nearest_nullable_parent() {
    let router = crate::values::router().await;
    let nullable_items = router.query("{ maybeUsers { id flaky } }", json!({})).await;
    let non_null_chain = router.query("{ users { id flaky } }", json!({})).await;
    assert_json_snapshot!([nullable_items, non_null_chain], @r#"
    [
      {
        "data": {
          "maybeUsers": [
            {
              "id": "1",
              "flaky": "fine"
            },
            null
          ]
        },
        "errors": [
          {
            "message": "flaky failed",
            "path": [
              "maybeUsers",
              1,
              "flaky"
            ],
            "extensions": {
              "serviceName": "shop"
            }
          }
        ]
      },
      {
        "data": null,
        "errors": [
          {
            "message": "flaky failed",
            "path": [
              "users",
              1,
              "flaky"
            ],
            "extensions": {
              "serviceName": "shop"
            }
          }
        ]
      }
    ]
    "#);
}

#[tokio::test]
async fn maps_entity_errors_to_client_paths() {
    let router = crate::values::router().await;
    let response = router
        .query("{ maybeUsers { name shippingCost } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "maybeUsers": [
          {
            "name": "Ada",
            "shippingCost": 44.0
          },
          {
            "name": "Grace",
            "shippingCost": null
          }
        ]
      },
      "errors": [
        {
          "message": "no shipping to user 2",
          "extensions": {
            "serviceName": "shipping"
          }
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn a_down_subgraph_nulls_only_its_fields() {
    let data = Dataset::generate(3, 3, 2);
    let products_url = spawn_subgraph(products::products(data.clone())).await;
    let reviews = spawn_subgraph(products::reviews(data)).await;
    let down = dead_url().await;
    // Without retries (their random backoff would reorder the two subgraphs' errors).
    let mut config = commerce_router::Config::default();
    config.traffic.retry.max_retries = 0;
    let router = TestRouter::with_config(
        "products.graphql",
        &[
            ("products", &products_url),
            ("inventory", &down),
            ("reviews", &reviews),
            ("accounts", &down),
        ],
        config,
    );
    let response = router
        .query(
            "{ topProducts(first: 1) { name shippingEstimate reviews { body author { name } } } }",
            json!({}),
        )
        .await;
    let root_down = router
        .query("{ me { name } topProducts(first: 1) { upc } }", json!({}))
        .await;
    assert_json_snapshot!([response, root_down], @r#"
    [
      {
        "data": {
          "topProducts": [
            {
              "name": "Product 1",
              "shippingEstimate": null,
              "reviews": [
                {
                  "body": "Review 1 of Product 1",
                  "author": {
                    "name": null
                  }
                },
                {
                  "body": "Review 2 of Product 1",
                  "author": {
                    "name": null
                  }
                }
              ]
            }
          ]
        },
        "errors": [
          {
            "message": "HTTP fetch failed from 'inventory': client error (Connect): tcp connect error: Connection refused (os error 111)",
            "extensions": {
              "code": "SUBGRAPH_REQUEST_FAILED",
              "serviceName": "inventory"
            }
          },
          {
            "message": "HTTP fetch failed from 'accounts': client error (Connect): tcp connect error: Connection refused (os error 111)",
            "extensions": {
              "code": "SUBGRAPH_REQUEST_FAILED",
              "serviceName": "accounts"
            }
          }
        ]
      },
      {
        "data": {
          "me": null,
          "topProducts": [
            {
              "upc": "1"
            }
          ]
        },
        "errors": [
          {
            "message": "HTTP fetch failed from 'accounts': client error (Connect): tcp connect error: Connection refused (os error 111)",
            "extensions": {
              "code": "SUBGRAPH_REQUEST_FAILED",
              "serviceName": "accounts"
            }
          }
        ]
      }
    ]
    "#);
}

#[tokio::test]
async fn maps_entity_error_paths_to_client_paths() {
    let shop = spawn_subgraph(crate::subgraphs::values::shop()).await;
    let shipping = spawn_canned(
        200,
        r#"{"data":{"_entities":[{"shippingCost":1.5},{"shippingCost":null}]},
            "errors":[{"message":"boom","path":["_entities",1,"shippingCost"],"extensions":{"code":"E_SHIP"}}]}"#,
        Duration::ZERO,
    )
    .await;
    let router = TestRouter::new(
        "values.graphql",
        &[("shop", &shop), ("shipping", &shipping)],
    );
    let response = router
        .query("{ maybeUsers { name shippingCost } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "maybeUsers": [
          {
            "name": "Ada",
            "shippingCost": 1.5
          },
          {
            "name": "Grace",
            "shippingCost": null
          }
        ]
      },
      "errors": [
        {
          "message": "boom",
          "path": [
            "maybeUsers",
            1,
            "shippingCost"
          ],
          "extensions": {
            "code": "E_SHIP",
            "serviceName": "shipping"
          }
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn reports_broken_and_slow_subgraphs_without_failing_the_request() {
    let shop = spawn_subgraph(crate::subgraphs::values::shop()).await;
    let not_json = spawn_canned(200, "<html>oops</html>", Duration::ZERO).await;
    let status_500 = spawn_canned(500, "", Duration::ZERO).await;
    let slow = spawn_canned(200, r#"{"data":{}}"#, Duration::from_secs(5)).await;
    let mut responses = Vec::new();
    for shipping in [&not_json, &status_500, &slow] {
        let config = commerce_router::Config {
            subgraph_timeout_ms: 300,
            ..Default::default()
        };
        let router = TestRouter::with_config(
            "values.graphql",
            &[("shop", &shop), ("shipping", shipping)],
            config,
        );
        responses.push(
            router
                .query("{ maybeUsers { name shippingCost } }", json!({}))
                .await,
        );
    }
    assert_json_snapshot!(responses, @r#"
    [
      {
        "data": {
          "maybeUsers": [
            {
              "name": "Ada",
              "shippingCost": null
            },
            {
              "name": "Grace",
              "shippingCost": null
            }
          ]
        },
        "errors": [
          {
            "message": "HTTP fetch failed from 'shipping': invalid JSON response: expected value at line 1 column 1",
            "extensions": {
              "code": "SUBGRAPH_REQUEST_FAILED",
              "serviceName": "shipping"
            }
          }
        ]
      },
      {
        "data": {
          "maybeUsers": [
            {
              "name": "Ada",
              "shippingCost": null
            },
            {
              "name": "Grace",
              "shippingCost": null
            }
          ]
        },
        "errors": [
          {
            "message": "HTTP fetch failed from 'shipping': 500 Internal Server Error",
            "extensions": {
              "code": "SUBGRAPH_REQUEST_FAILED",
              "serviceName": "shipping"
            }
          }
        ]
      },
      {
        "data": {
          "maybeUsers": [
            {
              "name": "Ada",
              "shippingCost": null
            },
            {
              "name": "Grace",
              "shippingCost": null
            }
          ]
        },
        "errors": [
          {
            "message": "HTTP fetch failed from 'shipping': request timed out after 300ms",
            "extensions": {
              "code": "SUBGRAPH_REQUEST_FAILED",
              "serviceName": "shipping"
            }
          }
        ]
      }
    ]
    "#);
}
