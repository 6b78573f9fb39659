//! Abstract types across subgraphs: entity interfaces, @interfaceObject, unions, @shareable.

use insta::assert_json_snapshot;
use serde_json::json;

use crate::harness::{TestRouter, spawn_subgraph};
use crate::subgraphs::abstract_types as sg;

async fn router() -> TestRouter {
    let media = spawn_subgraph(sg::media()).await;
    let meta = spawn_subgraph(sg::meta()).await;
    let reviews = spawn_subgraph(sg::reviews()).await;
    TestRouter::new(
        "abstract.graphql",
        &[("media", &media), ("meta", &meta), ("reviews", &reviews)],
    )
}

#[tokio::test]
async fn resolves_union_members_with_fields_from_other_subgraphs() {
    let router = router().await;
    let response = router
        .query(
            "{ search { __typename ... on Book { title rating tags } ... on Movie { title minutes } } }",
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "search": [
          {
            "__typename": "Book",
            "title": "Dune",
            "rating": 5,
            "tags": [
              "tag-b1",
              "featured"
            ]
          },
          {
            "__typename": "Movie",
            "title": "Arrival",
            "minutes": 116
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn adds_interface_object_fields_to_every_implementation() {
    let router = router().await;
    let response = router
        .query(
            r#"{ book: node(id: "b1") { id tags ... on Book { pages } }
                 movie: node(id: "m1") { __typename tags }
                 missing: node(id: "nope") { id } }"#,
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "book": {
          "id": "b1",
          "tags": [
            "tag-b1",
            "featured"
          ],
          "pages": 412
        },
        "movie": {
          "__typename": "Movie",
          "tags": [
            "tag-m1",
            "featured"
          ]
        },
        "missing": null
      }
    }
    "#);
}

#[tokio::test]
async fn finds_concrete_types_of_interface_objects() {
    let router = router().await;
    let response = router
        .query(
            "{ trending { __typename id tags ... on Movie { minutes } ... on Book { title rating } } }",
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "trending": [
          {
            "__typename": "Movie",
            "id": "m1",
            "tags": [
              "tag-m1",
              "featured"
            ],
            "minutes": 116
          },
          {
            "__typename": "Book",
            "id": "b1",
            "tags": [
              "tag-b1",
              "featured"
            ],
            "title": "Dune",
            "rating": 5
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn non_matching_fragments_leave_empty_objects() {
    let router = router().await;
    let response = router
        .query(
            r#"{ search { __typename } movie: node(id: "m1") { ... on Book { title } } }"#,
            json!({}),
        )
        .await;
    assert_json_snapshot!(response, @r#"
    {
      "data": {
        "search": [
          {
            "__typename": "Book"
          },
          {
            "__typename": "Movie"
          }
        ],
        "movie": {}
      }
    }
    "#);
}

#[tokio::test]
async fn an_inaccessible_member_of_a_union_reads_as_null() {
    let router = router().await;
    let response = router
        .query(
            "{ featured { __typename ... on Book { title } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        response,
        json!({ "data": { "featured": [{ "__typename": "Book", "title": "Dune" }, null] } })
    );
}

#[tokio::test]
async fn a_field_of_an_interface_nobody_implements_reads_as_null() {
    let router = router().await;
    // Whatever the owning subgraph sends, nothing can be an `Orphan`.
    let own_fields = router.query("{ orphan { id } }", json!({})).await;
    assert_eq!(own_fields, json!({ "data": { "orphan": null } }));
}

#[tokio::test]
async fn a_field_only_a_non_resolvable_interface_object_has_answers_null_data_with_an_error() {
    let router = router().await;
    // `note` exists only on meta's `Orphan` @interfaceObject, which no subgraph resolves by
    // key: nothing can answer it, and a null `orphan` would hide that.
    for query in [
        "{ orphan { note } }",
        "{ orphan { id note } }",
        "query { ...F } fragment F on Query { orphan { ... on Orphan { note } } }",
    ] {
        let response = router.query(query, json!({})).await;
        assert_eq!(response["data"], json!(null), "{query}: {response}");
        assert_eq!(
            response["errors"][0]["extensions"]["code"], "QUERY_PLANNING_FAILED",
            "{query}: {response}"
        );
    }
    let response = router.query("{ orphan { note } }", json!({})).await;
    insta::assert_json_snapshot!(response, @r#"
    {
      "data": null,
      "errors": [
        {
          "message": "Cannot resolve field \"note\" of \"Orphan\": no subgraph that returns \"Query.orphan\" has it, and the @interfaceObject that has it is resolved by key nowhere",
          "locations": [
            {
              "line": 1,
              "column": 12
            }
          ],
          "extensions": {
            "code": "QUERY_PLANNING_FAILED"
          }
        }
      ]
    }
    "#);
}
