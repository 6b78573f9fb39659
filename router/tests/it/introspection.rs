//! Introspection is answered by the router from the API schema.

use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::entities::products_router;

#[tokio::test]
async fn lists_api_types_without_federation_internals() {
    let router = products_router().await;
    let response = router
        .query(
            "{ __schema { queryType { name } mutationType { name } types { name kind } directives { name } } }",
            json!({}),
        )
        .await;
    let names: Vec<&str> = response["data"]["__schema"]["types"]
        .as_array()
        .expect("types")
        .iter()
        .filter_map(|t| t["name"].as_str())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("join__") && !n.starts_with("link__"))
    );
    assert!(names.contains(&"Product") && names.contains(&"__Schema"));
    assert_json_snapshot!(response["data"]["__schema"]["directives"], @r#"
    [
      {
        "name": "skip"
      },
      {
        "name": "include"
      },
      {
        "name": "deprecated"
      },
      {
        "name": "specifiedBy"
      },
      {
        "name": "oneOf"
      }
    ]
    "#);
}

#[tokio::test]
async fn describes_one_type_with_wrapped_field_types() {
    let router = products_router().await;
    let response = router
        .query(
            r#"query($name: String!) { __type(name: $name) { name kind fields { name args { name defaultValue type { name } } type { kind name ofType { kind name } } } } }"#,
            json!({ "name": "Query" }),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "__type": {
          "name": "Query",
          "kind": "OBJECT",
          "fields": [
            {
              "name": "me",
              "args": [],
              "type": {
                "kind": "OBJECT",
                "name": "User",
                "ofType": null
              }
            },
            {
              "name": "user",
              "args": [
                {
                  "name": "id",
                  "defaultValue": null,
                  "type": {
                    "name": null
                  }
                }
              ],
              "type": {
                "kind": "OBJECT",
                "name": "User",
                "ofType": null
              }
            },
            {
              "name": "users",
              "args": [],
              "type": {
                "kind": "LIST",
                "name": null,
                "ofType": {
                  "kind": "OBJECT",
                  "name": "User"
                }
              }
            },
            {
              "name": "topProducts",
              "args": [
                {
                  "name": "first",
                  "defaultValue": "5",
                  "type": {
                    "name": "Int"
                  }
                }
              ],
              "type": {
                "kind": "LIST",
                "name": null,
                "ofType": {
                  "kind": "OBJECT",
                  "name": "Product"
                }
              }
            }
          ]
        }
      }
    }
    "#);
}

#[tokio::test]
async fn mixes_introspection_typename_and_subgraph_fields() {
    let router = products_router().await;
    let response = router
        .query(
            r#"{ __typename t: __type(name: "User") { name } me { name } }"#,
            json!({}),
        )
        .await;
    let only_typename = router.query("{ __typename }", json!({})).await;
    assert_json_snapshot!([response, only_typename], @r#"
    [
      {
        "data": {
          "__typename": "Query",
          "t": {
            "name": "User"
          },
          "me": {
            "name": "User 1"
          }
        }
      },
      {
        "data": {
          "__typename": "Query"
        }
      }
    ]
    "#);
}

#[tokio::test]
async fn answers_the_full_graphiql_introspection_query() {
    let router = products_router().await;
    let response = router.query(FULL_INTROSPECTION, json!({})).await;
    assert!(response.get("errors").is_none(), "{response}");
    let types = response["data"]["__schema"]["types"]
        .as_array()
        .expect("types");
    let product = types
        .iter()
        .find(|t| t["name"] == "Product")
        .expect("Product type");
    let fields: Vec<&Value> = product["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| &f["name"])
        .collect();
    assert_json_snapshot!(fields, @r#"
    [
      "upc",
      "weight",
      "price",
      "inStock",
      "shippingEstimate",
      "name",
      "notes",
      "reviews"
    ]
    "#);
}

const FULL_INTROSPECTION: &str = r#"
query IntrospectionQuery {
  __schema {
    queryType { name }
    mutationType { name }
    subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) {
    name description
    args { ...InputValue }
    type { ...TypeRef }
    isDeprecated deprecationReason
  }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
}
"#;
