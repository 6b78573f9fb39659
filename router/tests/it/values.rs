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

/// The required field's arguments differ from the client's, given as literals, variables
/// or through fragments, with other fields of the entity from the requiring subgraph
/// (`carrier`) in the same fetch: each user keeps its entity and its cost.
#[tokio::test]
async fn requires_a_field_with_arguments_beside_other_fields_of_the_entity() {
    let router = router().await;
    let expected = |unit_factor: f64| {
        json!({
            "data": { "users": [
                { "carrier": "carrier-1", "weight": 10.0 * unit_factor, "shippingCost": 44.0 },
                { "carrier": "carrier-2", "weight": 20.0 * unit_factor, "shippingCost": null },
            ] },
            "errors": [{ "message": "no shipping to user 2", "extensions": { "serviceName": "shipping" } }],
        })
    };
    let cases = [
        (
            "{ users { carrier weight(unit: KG) shippingCost } }",
            json!({}),
            1.0,
        ),
        (
            "{ users { carrier weight(unit: LB) shippingCost } }",
            json!({}),
            2.2,
        ),
        (
            "query($u: WeightUnit) { users { carrier weight(unit: $u) shippingCost } }",
            json!({ "u": "KG" }),
            1.0,
        ),
        (
            "query($u: WeightUnit) { users { carrier weight(unit: $u) shippingCost } }",
            json!({ "u": "LB" }),
            2.2,
        ),
        (
            "query($u: WeightUnit!) { users { ...F } } \
             fragment F on User { carrier weight(unit: $u) shippingCost }",
            json!({ "u": "KG" }),
            1.0,
        ),
        (
            "{ users { carrier ... on User { weight(unit: KG) } ... on User { shippingCost } } }",
            json!({}),
            1.0,
        ),
    ];
    for (query, variables, factor) in cases {
        let response = router.query(query, variables).await;
        let mut want = expected(factor);
        // f64 products as the subgraph computes them (10 × 2.2 is not 22.0 exactly).
        for (i, user) in [1.0, 2.0].into_iter().enumerate() {
            let kg = 10.0 * user;
            want["data"]["users"][i]["weight"] = json!(if factor == 1.0 { kg } else { kg * 2.2 });
        }
        assert_eq!(response, want, "{query}");
    }
    // Only the entity's other fields and the cost: the weight is fetched for the
    // requirement alone.
    let response = router
        .query("{ users { name carrier shippingCost } }", json!({}))
        .await;
    assert_eq!(
        response["data"]["users"][0],
        json!({ "name": "Ada", "carrier": "carrier-1", "shippingCost": 44.0 })
    );
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
