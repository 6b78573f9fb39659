//! Entities across subgraphs: `@key`, `@requires`, `@provides`, nested entity chains, and
//! the response shape (aliases, fragments, `__typename`, `@skip`/`@include`).

use commerce_router::Config;
use insta::assert_json_snapshot;
use serde_json::json;

use crate::harness::{Recorded, TestRouter, spawn_recording, spawn_subgraph};
use crate::subgraphs::products::{self, Dataset};

pub async fn products_router() -> TestRouter {
    products_router_with(Config::default()).await
}

pub async fn products_router_with(config: Config) -> TestRouter {
    let data = Dataset::generate(3, 3, 2);
    let accounts = spawn_subgraph(products::accounts(data.clone())).await;
    let products_url = spawn_subgraph(products::products(data.clone())).await;
    let inventory = spawn_subgraph(products::inventory()).await;
    let reviews = spawn_subgraph(products::reviews(data)).await;
    TestRouter::products(&accounts, &products_url, &inventory, &reviews, config)
}

#[tokio::test]
async fn resolves_requires_fields_from_another_subgraph() {
    let router = products_router().await;
    let response = router
        .query(
            "{ topProducts(first: 2) { upc name shippingEstimate inStock } }",
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "topProducts": [
          {
            "upc": "1",
            "name": "Product 1",
            "shippingEstimate": 50,
            "inStock": true
          },
          {
            "upc": "2",
            "name": "Product 2",
            "shippingEstimate": 100,
            "inStock": false
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn follows_entity_chains_through_three_subgraphs() {
    let router = products_router().await;
    let response = router
        .query(
            "{ topProducts(first: 1) { name reviews { body author { name username reviews { product { upc name } } } } } }",
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "topProducts": [
          {
            "name": "Product 1",
            "reviews": [
              {
                "body": "Review 1 of Product 1",
                "author": {
                  "name": "User 1",
                  "username": "@user1",
                  "reviews": [
                    {
                      "product": {
                        "upc": "1",
                        "name": "Product 1"
                      }
                    },
                    {
                      "product": {
                        "upc": "2",
                        "name": "Product 2"
                      }
                    }
                  ]
                }
              },
              {
                "body": "Review 2 of Product 1",
                "author": {
                  "name": "User 2",
                  "username": "@user2",
                  "reviews": [
                    {
                      "product": {
                        "upc": "1",
                        "name": "Product 1"
                      }
                    },
                    {
                      "product": {
                        "upc": "3",
                        "name": "Product 3"
                      }
                    }
                  ]
                }
              }
            ]
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn provides_lets_the_providing_subgraph_answer() {
    let router = products_router().await;
    let response = router
        .query(
            "{ topProducts(first: 1) { reviews { author { id username } } } }",
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "topProducts": [
          {
            "reviews": [
              {
                "author": {
                  "id": "1",
                  "username": "@user1"
                }
              },
              {
                "author": {
                  "id": "2",
                  "username": "@user2"
                }
              }
            ]
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn shapes_response_with_aliases_fragments_and_typename() {
    let router = products_router().await;
    let response = router
        .query(
            r#"
            query Shop($withPrice: Boolean!, $skipName: Boolean = true) {
              best: topProducts(first: 1) {
                __typename
                ...Basics
                ... on Product { cost: price @include(if: $withPrice) }
                name @skip(if: $skipName)
                t: __typename
              }
              me { ...UserBits id }
            }
            fragment Basics on Product { upc id: upc }
            fragment UserBits on User { id name kind: __typename }
            "#,
            json!({ "withPrice": true }),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "best": [
          {
            "__typename": "Product",
            "upc": "1",
            "id": "1",
            "cost": 450,
            "t": "Product"
          }
        ],
        "me": {
          "id": "1",
          "name": "User 1",
          "kind": "User"
        }
      }
    }
    "#);
}

#[tokio::test]
async fn same_document_differs_by_skip_variables() {
    let router = products_router().await;
    let query =
        "query($s: Boolean!) { topProducts(first: 1) { upc shippingEstimate @skip(if: $s) } }";
    let skipped = router.query(query, json!({ "s": true })).await;
    let kept = router.query(query, json!({ "s": false })).await;
    assert_json_snapshot!([skipped, kept], @r#"
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
        "data": {
          "topProducts": [
            {
              "upc": "1",
              "shippingEstimate": 50
            }
          ]
        }
      }
    ]
    "#);
}

#[tokio::test]
async fn selects_the_named_operation() {
    let router = products_router().await;
    let body = json!({
        "query": "query A { me { name } } query B { users { id } }",
        "operationName": "B",
    });
    let response = router.post_json(&body).await;
    assert_json_snapshot!(response.body, @r#"
    {
      "data": {
        "users": [
          {
            "id": "1"
          },
          {
            "id": "2"
          },
          {
            "id": "3"
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn passes_arguments_and_variables_to_the_owning_subgraph() {
    let router = products_router().await;
    let response = router
        .query(
            "query($id: ID!) { user(id: $id) { name } topProducts(first: 0) { upc } }",
            json!({ "id": "2" }),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "user": {
          "name": "User 2"
        },
        "topProducts": []
      }
    }
    "#);
}

#[tokio::test]
async fn batches_entity_fetches_to_one_subgraph_from_different_paths() {
    let router = products_router().await;
    let query = "{ topProducts(first: 1) { upc reviews { body } } users { id reviews { id } } }";
    let state_plan = router.plan(query).await;
    assert!(state_plan.contains("BatchFetch"), "{state_plan}");
    let response = router.query(query, json!({})).await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "topProducts": [
          {
            "upc": "1",
            "reviews": [
              {
                "body": "Review 1 of Product 1"
              },
              {
                "body": "Review 2 of Product 1"
              }
            ]
          }
        ],
        "users": [
          {
            "id": "1",
            "reviews": [
              {
                "id": "1"
              },
              {
                "id": "4"
              }
            ]
          },
          {
            "id": "2",
            "reviews": [
              {
                "id": "2"
              },
              {
                "id": "5"
              }
            ]
          },
          {
            "id": "3",
            "reviews": [
              {
                "id": "3"
              },
              {
                "id": "6"
              }
            ]
          }
        ]
      }
    }
    "#);
}

/// The products supergraph, inventory served by `inventory` (its requests recorded), over
/// two users reviewing two products twice each: every author reviewed both products.
async fn with_recorded_inventory(inventory: axum::routing::MethodRouter) -> (TestRouter, Recorded) {
    let data = Dataset::generate(2, 2, 2);
    let accounts = spawn_subgraph(products::accounts(data.clone())).await;
    let products_url = spawn_subgraph(products::products(data.clone())).await;
    let reviews = spawn_subgraph(products::reviews(data)).await;
    let (inventory, requests) =
        spawn_recording(axum::Router::new().route("/graphql", inventory)).await;
    let router = TestRouter::products(
        &accounts,
        &products_url,
        &inventory,
        &reviews,
        Config::default(),
    );
    (router, requests)
}

/// An execution never asks a subgraph the same entity question twice: the plan reaches the
/// products again below the reviews' authors, and their `inStock`/`shippingEstimate` come
/// from the first inventory answer unless a product is new there.
#[tokio::test]
async fn an_execution_asks_for_the_same_entities_once() {
    let (router, inventory_requests) = with_recorded_inventory(axum::routing::post_service(
        async_graphql_axum::GraphQL::new(products::inventory()),
    ))
    .await;
    let stock = |first: u8| {
        format!(
            "{{ topProducts(first: {first}) {{ upc inStock shippingEstimate reviews {{ author {{ reviews {{ product {{ upc inStock shippingEstimate }} }} }} }} }} }}"
        )
    };

    // Both products at the top: the nested ones are all known.
    let response = router.query(&stock(2), json!({})).await;
    assert_eq!(response.get("errors"), None, "{response}");
    let nested = &response["data"]["topProducts"][0]["reviews"][0]["author"]["reviews"];
    for review in nested.as_array().expect("reviews") {
        let product = &review["product"];
        let top = response["data"]["topProducts"]
            .as_array()
            .and_then(|top| top.iter().find(|p| p["upc"] == product["upc"]))
            .expect("the same product at the top");
        assert_eq!(product["shippingEstimate"], top["shippingEstimate"]);
        assert_eq!(product["inStock"], top["inStock"]);
    }
    let requests = std::mem::take(&mut *inventory_requests.lock().expect("lock"));
    assert_eq!(requests.len(), 1, "{requests:#?}");

    // One product at the top: the second is new below, so inventory is asked again (for both:
    // a fetch is reused only whole).
    let response = router.query(&stock(1), json!({})).await;
    assert_eq!(response.get("errors"), None, "{response}");
    let requests = std::mem::take(&mut *inventory_requests.lock().expect("lock"));
    assert_eq!(requests.len(), 2, "{requests:#?}");
    assert_eq!(
        requests[1]["variables"]["representations"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}

/// An answer that came with errors is never reused: the second inventory fetch is sent again
/// (and both errors reach the client at their paths).
#[tokio::test]
async fn answers_that_came_with_errors_are_not_reused() {
    // Every inventory answer: both products in stock, the first one's estimate failed.
    let canned = || async {
        axum::Json(json!({
            "data": { "_entities": [
                { "inStock": true, "shippingEstimate": null },
                { "inStock": true, "shippingEstimate": 7 },
            ] },
            "errors": [{ "message": "estimate unavailable", "path": ["_entities", 0, "shippingEstimate"] }],
        }))
    };
    let (router, inventory_requests) = with_recorded_inventory(axum::routing::post(canned)).await;
    let query = "{ topProducts(first: 2) { upc shippingEstimate reviews { author { reviews { product { upc shippingEstimate } } } } } }";
    let response = router.query(query, json!({})).await;
    assert_eq!(
        inventory_requests.lock().expect("lock").len(),
        2,
        "{response}"
    );
    let errors = response["errors"].as_array().expect("errors");
    assert!(errors.len() >= 2, "{response}");
    assert!(
        errors
            .iter()
            .all(|e| e["message"] == "estimate unavailable"),
        "{response}"
    );
}
