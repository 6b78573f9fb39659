//! An entity's fan-out below a list is fetched once per distinct entity
//! (`fetch_nested_entities_by_key`): the subgraph is asked for each author's reviews once,
//! not under every review the author wrote, and clients see the same response either way.

use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::post_service;
use commerce_router::Config;
use insta::assert_snapshot;
use serde_json::{Value, json};

use crate::harness::{Recorded, TestRouter, spawn_recording, spawn_subgraph};
use crate::subgraphs::products::{self, Dataset};

struct Setup {
    /// The same subgraphs behind a router with the rewrite and one without it.
    by_key: TestRouter,
    as_planned: TestRouter,
    reviews_requests: Recorded,
}

/// Three users reviewing two products four times each: every author appears under several
/// reviews.
async fn setup() -> Setup {
    let data = Dataset::generate(3, 2, 4);
    let accounts = spawn_subgraph(products::accounts(data.clone())).await;
    let products_url = spawn_subgraph(products::products(data.clone())).await;
    let inventory = spawn_subgraph(products::inventory()).await;
    let reviews_schema = products::reviews(data);
    let (reviews, reviews_requests) = spawn_recording(
        Router::new().route("/graphql", post_service(GraphQL::new(reviews_schema))),
    )
    .await;
    let router = |by_key| {
        let config = Config {
            fetch_nested_entities_by_key: by_key,
            ..Config::default()
        };
        TestRouter::products(&accounts, &products_url, &inventory, &reviews, config)
    };
    Setup {
        by_key: router(true),
        as_planned: router(false),
        reviews_requests,
    }
}

impl Setup {
    /// Runs `query` through both routers; returns the response (the same from both) and
    /// the reviews subgraph's requests for each.
    async fn run(&self, query: &str, variables: Value) -> (Value, Vec<Value>, Vec<Value>) {
        let by_key = self.by_key.query(query, variables.clone()).await;
        let by_key_requests = std::mem::take(&mut *self.reviews_requests.lock().expect("lock"));
        let as_planned = self.as_planned.query(query, variables).await;
        let planned_requests = std::mem::take(&mut *self.reviews_requests.lock().expect("lock"));
        assert_eq!(by_key, as_planned, "the rewrite changed the response");
        assert_eq!(by_key.get("errors"), None, "{by_key}");
        (by_key, by_key_requests, planned_requests)
    }
}

fn representations(request: &Value) -> Vec<Value> {
    request["variables"]["representations"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

const AUTHORS_REVIEWS: &str = "{ topProducts { name reviews { body author { username name reviews { id body product { name shippingEstimate } } } } } }";

#[tokio::test]
async fn an_authors_reviews_are_fetched_once_per_author() {
    let setup = setup().await;
    let (response, by_key, as_planned) = setup.run(AUTHORS_REVIEWS, json!({})).await;
    let first_author = &response["data"]["topProducts"][0]["reviews"][0]["author"];
    assert_eq!(first_author["username"], "@user1", "{response}");
    assert_eq!(first_author["reviews"].as_array().map(Vec::len), Some(3));

    // As planned: one request, each author's reviews resolved under each of their 8 reviews.
    assert_eq!(as_planned.len(), 1);
    // By key: the reviews of the two products with their authors' keys (and the username
    // only this path provides), then each distinct author's reviews once.
    assert_eq!(by_key.len(), 2, "{by_key:#?}");
    assert_eq!(
        by_key[0]["query"],
        "query($representations:[_Any!]!){_entities(representations: $representations){...on Product{reviews{body author{__typename username id}}}}}"
    );
    assert_eq!(
        by_key[1]["query"],
        "query($representations:[_Any!]!){_entities(representations: $representations){...on User{reviews{id body product{__typename upc}}}}}"
    );
    assert_eq!(
        representations(&by_key[1]),
        [
            json!({ "__typename": "User", "id": "1" }),
            json!({ "__typename": "User", "id": "2" }),
            json!({ "__typename": "User", "id": "3" }),
        ]
    );
}

#[tokio::test]
async fn the_rewrite_repeats_inside_what_it_moved() {
    let setup = setup().await;
    let query =
        "{ topProducts { reviews { author { reviews { author { reviews { body } } } } } } }";
    let (_, by_key, as_planned) = setup.run(query, json!({})).await;
    assert_eq!(as_planned.len(), 1);
    let queries: Vec<&str> = by_key.iter().filter_map(|r| r["query"].as_str()).collect();
    assert_eq!(
        queries,
        [
            "query($representations:[_Any!]!){_entities(representations: $representations){...on Product{reviews{author{__typename id}}}}}",
            "query($representations:[_Any!]!){_entities(representations: $representations){...on User{reviews{author{__typename id}}}}}",
            "query($representations:[_Any!]!){_entities(representations: $representations){...on User{reviews{body}}}}",
        ]
    );
    assert_eq!(representations(&by_key[2]).len(), 3);
}

#[tokio::test]
async fn each_fetch_declares_only_the_variables_it_uses() {
    let setup = setup().await;
    let query = "query ($withBodies: Boolean!, $withNames: Boolean!) { topProducts { reviews { body @include(if: $withBodies) author { username @include(if: $withNames) reviews { body @include(if: $withBodies) } } } } }";
    for (bodies, names) in [(true, false), (false, true)] {
        let variables = json!({ "withBodies": bodies, "withNames": names });
        let (response, by_key, _) = setup.run(query, variables.clone()).await;
        let review = &response["data"]["topProducts"][0]["reviews"][0];
        assert_eq!(review.get("body").is_some(), bodies, "{response}");
        assert_eq!(
            review["author"].get("username").is_some(),
            names,
            "{response}"
        );
        for request in &by_key {
            let document = request["query"].as_str().expect("query");
            for (name, value) in request["variables"].as_object().expect("variables") {
                assert!(document.contains(&format!("${name}:")), "{request}");
                if name != "representations" {
                    assert_eq!(value, &variables[name]);
                }
            }
        }
    }
}

#[tokio::test]
async fn plans_without_a_fan_out_below_repeated_entities_are_left_alone() {
    let setup = setup().await;
    for query in [
        // The author's own fields do not fan out.
        "{ topProducts { reviews { author { username name } } } }",
        // The fan-out is not below a list in that fetch.
        "{ users { reviews { body } } }",
    ] {
        assert_eq!(
            setup.by_key.plan(query).await,
            setup.as_planned.plan(query).await
        );
    }
}

#[tokio::test]
async fn the_plan_fetches_the_fan_out_by_key_after_the_fetch_it_came_from() {
    let setup = setup().await;
    assert_snapshot!(setup.by_key.plan(AUTHORS_REVIEWS).await, @r#"
    QueryPlan {
      Sequence {
        Fetch(service: "products") {
          {
            topProducts {
              __typename
              name
              upc
            }
          }
        },
        Flatten(path: "topProducts.@") {
          Fetch(service: "reviews") {
            {
              ... on Product {
                __typename
                upc
              }
            } =>
            {
              ... on Product {
                reviews {
                  body
                  author {
                    __typename
                    username
                    id
                  }
                }
              }
            }
          },
        },
        Flatten(path: "topProducts.@.reviews.@.author") {
          Fetch(service: "reviews") {
            {
              ... on User {
                __typename
                id
              }
            } =>
            {
              ... on User {
                reviews {
                  id
                  body
                  product {
                    __typename
                    upc
                  }
                }
              }
            }
          },
        },
        Parallel {
          Flatten(path: "topProducts.@.reviews.@.author.reviews.@.product") {
            Fetch(service: "products") {
              {
                ... on Product {
                  __typename
                  upc
                }
              } =>
              {
                ... on Product {
                  price
                  weight
                  name
                }
              }
            },
          },
          Flatten(path: "topProducts.@.reviews.@.author") {
            Fetch(service: "accounts") {
              {
                ... on User {
                  __typename
                  id
                }
              } =>
              {
                ... on User {
                  name
                }
              }
            },
          },
        },
        Flatten(path: "topProducts.@.reviews.@.author.reviews.@.product") {
          Fetch(service: "inventory") {
            {
              ... on Product {
                __typename
                price
                weight
                upc
              }
            } =>
            {
              ... on Product {
                shippingEstimate
              }
            }
          },
        },
      },
    },
    "#);
}
