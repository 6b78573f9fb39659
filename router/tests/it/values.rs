//! Input and output values: enums, input objects with defaults, custom scalars, arguments
//! in `@requires`, and variable coercion errors.

use insta::assert_json_snapshot;
use serde_json::json;

use crate::harness::{TestRouter, spawn_subgraph};
use crate::subgraphs::values as sg;

pub async fn router() -> TestRouter {
    let shop = spawn_subgraph(sg::shop()).await;
    let shipping = spawn_subgraph(sg::shipping()).await;
    TestRouter::new(
        "values.graphql",
        &[("shop", &shop), ("shipping", &shipping)],
    )
}

#[tokio::test]
async fn passes_enums_and_input_objects_from_literals_and_variables() {
    let router = router().await;
    let literal = router
        .query(
            "{ users(filter: { role: ADMIN }) { name role } }",
            json!({}),
        )
        .await;
    let variables = router
        .query(
            "query($f: UserFilter) { users(filter: $f) { name role } }",
            json!({ "f": { "nameContains": "Gr", "limit": 5 } }),
        )
        .await;
    assert_json_snapshot!([literal, variables], @r#"
    [
      {
        "data": {
          "users": [
            {
              "name": "Ada",
              "role": "ADMIN"
            }
          ]
        }
      },
      {
        "data": {
          "users": [
            {
              "name": "Grace",
              "role": "CUSTOMER"
            }
          ]
        }
      }
    ]
    "#);
}

#[tokio::test]
async fn passes_custom_scalars_through_untouched() {
    let router = router().await;
    let response = router
        .query(
            r#"query($v: JSON) { echo(value: $v) users { createdAt } lit: echo(value: {a: [1, "x"]}) }"#,
            json!({ "v": { "nested": { "list": [1, 2], "flag": true } } }),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "echo": {
          "nested": {
            "list": [
              1,
              2
            ],
            "flag": true
          }
        },
        "users": [
          {
            "createdAt": "2024-01-01T12:00:00+00:00"
          },
          {
            "createdAt": "2024-01-02T12:00:00+00:00"
          }
        ],
        "lit": {
          "a": [
            1,
            "x"
          ]
        }
      }
    }
    "#);
}

#[tokio::test]
async fn requires_a_field_with_arguments_alongside_the_same_field_with_others() {
    let router = router().await;
    let response = router
        .query("{ users { id weight shippingCost } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "users": [
          {
            "id": "1",
            "weight": 10.0,
            "shippingCost": 44.0
          },
          {
            "id": "2",
            "weight": 20.0,
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
async fn rejects_variables_of_the_wrong_type() {
    let router = router().await;
    let response = router
        .query(
            "query($f: UserFilter, $n: Int) { users(filter: $f) { name } a: users(filter: { limit: $n }) { id } }",
            json!({ "f": { "role": "SECRET" }, "n": "seven" }),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "errors": [
        {
          "message": "Variable \"$f\" got invalid value {\"role\":\"SECRET\"}; at \"role\": Value \"SECRET\" does not exist in \"Role\" enum.",
          "locations": [
            {
              "line": 1,
              "column": 7
            }
          ],
          "extensions": {
            "code": "BAD_USER_INPUT"
          }
        },
        {
          "message": "Variable \"$n\" got invalid value \"seven\"; Int cannot represent non-integer or out of range value: \"seven\"",
          "locations": [
            {
              "line": 1,
              "column": 23
            }
          ],
          "extensions": {
            "code": "BAD_USER_INPUT"
          }
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn rejects_missing_required_variables() {
    let router = router().await;
    let response = router
        .query(
            "query($f: UserFilter!) { users(filter: $f) { name } }",
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "errors": [
        {
          "message": "Variable \"$f\" of required type \"UserFilter!\" was not provided.",
          "locations": [
            {
              "line": 1,
              "column": 7
            }
          ],
          "extensions": {
            "code": "BAD_USER_INPUT"
          }
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn runs_a_mutation_then_fetches_entity_fields_from_another_subgraph() {
    let router = router().await;
    let response = router
        .query(
            r#"mutation($id: ID!) { first: rename(id: $id, name: "Lovelace") { id name shippingCost }
                                   second: rename(id: "2", name: "Hopper") { name role } }"#,
            json!({ "id": "1" }),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "first": {
          "id": "1",
          "name": "Lovelace",
          "shippingCost": 44.0
        },
        "second": {
          "name": "Hopper",
          "role": "CUSTOMER"
        }
      }
    }
    "#);
}
