//! Automatic persisted queries over HTTP, as Apollo clients use them: hash first, then hash and
//! document after `PERSISTED_QUERY_NOT_FOUND`, then hash alone (also over GET).

use axum::body::Body;
use http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::entities::products_router;
use crate::harness::{TestResponse, TestRouter};

const QUERY: &str = "{ topProducts(first: 1) { upc } }";

async fn post(router: &TestRouter, accept: &str, body: Value) -> TestResponse {
    router
        .send(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT, accept)
                .body(Body::from(body.to_string()))
                .expect("request"),
        )
        .await
}

fn extensions(query: &str) -> Value {
    json!({"persistedQuery": {"version": 1, "sha256Hash": hex::encode(Sha256::digest(query))}})
}

fn code(response: &TestResponse) -> &str {
    response.body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}

#[tokio::test]
async fn registers_a_document_on_retry_then_runs_it_by_hash_over_post_and_get() {
    let router = products_router().await;
    let by_hash = json!({"extensions": extensions(QUERY)});

    let miss = post(&router, "application/json", by_hash.clone()).await;
    assert_eq!(miss.status, StatusCode::OK);
    assert_eq!(code(&miss), "PERSISTED_QUERY_NOT_FOUND");
    assert_eq!(miss.body["errors"][0]["message"], "PersistedQueryNotFound");

    let register = post(
        &router,
        "application/json",
        json!({"query": QUERY, "extensions": extensions(QUERY)}),
    )
    .await;
    assert_eq!(register.status, StatusCode::OK);
    let expected = register.body["data"].clone();
    assert!(expected["topProducts"][0]["upc"].is_string(), "{expected}");

    let hit = post(&router, "application/json", by_hash).await;
    assert_eq!(hit.body, json!({"data": expected}));

    let params = serde_urlencoded::to_string([("extensions", extensions(QUERY).to_string())])
        .expect("query string");
    let uri = format!("/graphql?{params}");
    let get = router
        .send(
            Request::get(uri)
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(get.status, StatusCode::OK);
    assert_eq!(get.body, json!({"data": expected}));
}

#[tokio::test]
async fn refuses_a_document_that_does_not_match_its_hash() {
    let router = products_router().await;
    let response = post(
        &router,
        "application/graphql-response+json",
        json!({"query": QUERY, "extensions": extensions("{ something { else } }")}),
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&response), "PERSISTED_QUERY_HASH_MISMATCH");
}

#[tokio::test]
async fn rejects_malformed_persisted_query_extensions() {
    let router = products_router().await;
    let response = post(
        &router,
        "application/json",
        json!({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "nothex"}}}),
    )
    .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&response), "BAD_REQUEST");
}
