//! Automatic persisted queries over HTTP, as Apollo clients use them: hash first, then hash and
//! document after `PERSISTED_QUERY_NOT_FOUND`, then hash alone (also over GET).

use axum::body::Body;
use http::{Request, StatusCode, header};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use commerce_router::Config;
use redis::AsyncCommands;

use crate::entities::{products_router, products_router_with};
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

#[tokio::test]
async fn router_instances_sharing_a_redis_serve_each_others_documents() {
    let redis = commerce_testkit::redis_url().await;
    let config = || {
        let mut config = Config::default();
        config.persisted_queries.redis_url = Some(redis.clone());
        config
    };
    let (first, second) = (
        products_router_with(config()).await,
        products_router_with(config()).await,
    );
    // Unique per run: the Redis may be shared with earlier runs of this test.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let query = format!("{{ run{nanos}: topProducts(first: 1) {{ upc }} }}");
    let by_hash = json!({"extensions": extensions(&query)});

    let miss = post(&second, "application/json", by_hash.clone()).await;
    assert_eq!(code(&miss), "PERSISTED_QUERY_NOT_FOUND");
    let register = post(
        &first,
        "application/json",
        json!({"query": query, "extensions": extensions(&query)}),
    )
    .await;
    let expected = register.body["data"].clone();
    assert!(
        expected[format!("run{nanos}")][0]["upc"].is_string(),
        "{expected}"
    );
    let hit = post(&second, "application/json", by_hash).await;
    assert_eq!(hit.body, json!({"data": expected}));

    // A document in Redis that does not match its key is never run under that hash.
    let forged = format!("{{ forged{nanos}: topProducts(first: 1) {{ upc }} }}");
    let client = redis::Client::open(redis.as_str()).expect("redis url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let key = format!(
        "commerce-router:apq:{}",
        hex::encode(Sha256::digest(&forged))
    );
    let () = connection
        .set(key, "{ __typename }")
        .await
        .expect("redis set");
    let refused = post(
        &second,
        "application/json",
        json!({"extensions": extensions(&forged)}),
    )
    .await;
    assert_eq!(code(&refused), "PERSISTED_QUERY_NOT_FOUND");
}

#[tokio::test]
async fn with_a_safelist_only_the_manifests_operations_run() {
    const LISTED: &str = "query Top { topProducts(first: 1) { upc } }";
    let manifest = tempfile::NamedTempFile::new().expect("temp file");
    let id = hex::encode(Sha256::digest(LISTED.as_bytes()));
    let apollo_manifest = json!({
        "format": "apollo-persisted-query-manifest",
        "version": 1,
        "operations": [{ "id": id, "name": "Top", "type": "query", "body": LISTED }],
    });
    std::fs::write(manifest.path(), apollo_manifest.to_string()).expect("write manifest");
    let mut config = Config::default();
    config.persisted_queries.manifest = Some(manifest.path().to_path_buf());
    config.persisted_queries.safelist = true;
    let router = products_router_with(config).await;

    let by_id = post(
        &router,
        "application/json",
        json!({"extensions": extensions(LISTED)}),
    )
    .await;
    let in_full = post(&router, "application/json", json!({"query": LISTED})).await;
    for response in [&by_id, &in_full] {
        assert_eq!(
            response.body["data"]["topProducts"][0]["upc"], "1",
            "{}",
            response.body
        );
    }

    let other = "{ topProducts(first: 2) { upc } }";
    let unlisted = post(
        &router,
        "application/graphql-response+json",
        json!({"query": other}),
    )
    .await;
    assert_eq!(unlisted.status, StatusCode::BAD_REQUEST);
    assert_eq!(code(&unlisted), "PERSISTED_QUERY_NOT_IN_LIST");
    // Nor can a client register it through APQ and then run it by hash.
    let register = post(
        &router,
        "application/json",
        json!({"query": other, "extensions": extensions(other)}),
    )
    .await;
    assert_eq!(code(&register), "PERSISTED_QUERY_NOT_IN_LIST");
    let by_hash = post(
        &router,
        "application/json",
        json!({"extensions": extensions(other)}),
    )
    .await;
    assert_eq!(code(&by_hash), "PERSISTED_QUERY_NOT_IN_LIST");
}
