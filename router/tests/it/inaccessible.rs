//! `@inaccessible` parts of the supergraph are invisible to clients.

use insta::assert_json_snapshot;
use serde_json::json;

use crate::values::router;

#[tokio::test]
async fn rejects_queries_for_inaccessible_fields_and_root_fields() {
    let router = router().await;
    let response = router
        .query("{ users { ssn } internalUsers { id } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "errors": [
        {
          "message": "Cannot query field \"ssn\" on type \"User\".",
          "locations": [
            {
              "line": 1,
              "column": 11
            }
          ],
          "extensions": {
            "code": "GRAPHQL_VALIDATION_FAILED"
          }
        },
        {
          "message": "Cannot query field \"internalUsers\" on type \"Query\".",
          "locations": [
            {
              "line": 1,
              "column": 17
            }
          ],
          "extensions": {
            "code": "GRAPHQL_VALIDATION_FAILED"
          }
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn hides_inaccessible_fields_and_enum_values_from_introspection() {
    let router = router().await;
    let response = router
        .query(
            r#"{ user: __type(name: "User") { fields { name } }
                 role: __type(name: "Role") { enumValues { name } }
                 query: __type(name: "Query") { fields { name } } }"#,
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "user": {
          "fields": [
            {
              "name": "id"
            },
            {
              "name": "name"
            },
            {
              "name": "role"
            },
            {
              "name": "createdAt"
            },
            {
              "name": "flaky"
            },
            {
              "name": "weight"
            },
            {
              "name": "carrier"
            },
            {
              "name": "shippingCost"
            }
          ]
        },
        "role": {
          "enumValues": [
            {
              "name": "ADMIN"
            },
            {
              "name": "CUSTOMER"
            }
          ]
        },
        "query": {
          "fields": [
            {
              "name": "users"
            },
            {
              "name": "maybeUsers"
            },
            {
              "name": "echo"
            },
            {
              "name": "roles"
            },
            {
              "name": "requiredRole"
            }
          ]
        }
      }
    }
    "#);
}

#[tokio::test]
async fn an_inaccessible_enum_value_from_a_subgraph_reads_as_null() {
    let router = router().await;
    // Valid in the subgraph, hidden from clients: null, as for a field they cannot see.
    let nullable = router.query("{ roles }", json!({})).await;
    assert_eq!(nullable, json!({ "data": { "roles": ["ADMIN", null] } }));
    // In a non-null position that null propagates with the spec's error.
    let required = router.query("{ requiredRole }", json!({})).await;
    assert_json_snapshot!(required, @r#"
    {
      "data": null,
      "errors": [
        {
          "message": "Cannot return null for non-nullable field Query.requiredRole.",
          "locations": [
            {
              "line": 1,
              "column": 3
            }
          ],
          "path": [
            "requiredRole"
          ]
        }
      ]
    }
    "#);
}
