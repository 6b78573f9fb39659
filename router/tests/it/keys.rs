//! Entity keys: multiple keys on one type, a nested compound key, a flat compound key.

use insta::assert_json_snapshot;
use serde_json::json;

use crate::harness::{TestRouter, spawn_subgraph};
use crate::subgraphs::keys;

async fn router() -> TestRouter {
    let catalog = spawn_subgraph(keys::catalog()).await;
    let pricing = spawn_subgraph(keys::pricing()).await;
    let stock = spawn_subgraph(keys::stock()).await;
    TestRouter::new(
        "keys.graphql",
        &[
            ("catalog", &catalog),
            ("pricing", &pricing),
            ("stock", &stock),
        ],
    )
}

#[tokio::test]
async fn joins_subgraphs_through_different_keys_of_one_type() {
    let router = router().await;
    let response = router
        .query("{ products { id name price stock } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "products": [
          {
            "id": "p1",
            "name": "Product 1",
            "price": 50,
            "stock": 5
          },
          {
            "id": "p2",
            "name": "Product 2",
            "price": 50,
            "stock": 0
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn sends_nested_compound_keys_in_representations() {
    let router = router().await;
    let response = router
        .query("{ accounts { email credit } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "accounts": [
          {
            "email": "a1@acme.test",
            "credit": 100
          },
          {
            "email": "a1@globex.test",
            "credit": 7
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn resolves_flat_compound_keys() {
    let router = router().await;
    let response = router
        .query("{ variants { color available price } }", json!({}))
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "variants": [
          {
            "color": "red",
            "available": true,
            "price": 11
          },
          {
            "color": "blue",
            "available": false,
            "price": 12
          }
        ]
      }
    }
    "#);
}
