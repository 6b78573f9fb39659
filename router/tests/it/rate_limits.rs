//! Per-client rate limits: 429 with `Retry-After` and `RATE_LIMITED` past the burst, clients
//! apart, buckets shared by instances through Redis, and the peer address as the client.

use axum::body::Body;
use commerce_router::Config;
use commerce_router::config::RateLimitConfig;
use http::StatusCode;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::entities::products_router_with;
use crate::harness::{TestResponse, TestRouter, graphql_post};

fn limited(per_second: u32, burst: u32) -> Config {
    Config {
        rate_limit: RateLimitConfig {
            requests_per_second: per_second,
            burst,
            key_header: Some("x-api-key".into()),
            ..Default::default()
        },
        ..Config::default()
    }
}

async fn post(router: &TestRouter, api_key: &str) -> TestResponse {
    let body = json!({ "query": "{ topProducts(first: 1) { upc } }" }).to_string();
    router
        .send(
            graphql_post()
                .header("x-api-key", api_key)
                .body(Body::from(body))
                .expect("request"),
        )
        .await
}

fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    format!("{name}-{nanos}")
}

#[tokio::test]
async fn a_client_past_its_burst_gets_429_with_retry_after_and_others_do_not() {
    let router = products_router_with(limited(1, 2)).await;
    for _ in 0..2 {
        assert_eq!(post(&router, "alice").await.status, StatusCode::OK);
    }
    let refused = post(&router, "alice").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.headers["retry-after"], "1");
    assert_eq!(
        refused.body["errors"][0]["extensions"]["code"],
        "RATE_LIMITED"
    );
    assert_eq!(
        refused.body["errors"][0]["extensions"]["retryAfterSeconds"],
        1
    );
    assert_eq!(post(&router, "bob").await.status, StatusCode::OK);
}

#[tokio::test]
async fn instances_sharing_a_redis_share_each_clients_budget() {
    let redis = commerce_testkit::redis_url().await;
    let config = || {
        let mut config = limited(1, 3);
        config.rate_limit.redis_url = Some(redis.clone());
        config
    };
    let (first, second) = (
        products_router_with(config()).await,
        products_router_with(config()).await,
    );
    let client = unique("carol");
    let statuses = [
        post(&first, &client).await.status,
        post(&second, &client).await.status,
        post(&first, &client).await.status,
        post(&second, &client).await.status,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "three requests of burst across both instances, then refused"
    );
}

#[tokio::test]
async fn without_a_key_header_the_peer_address_is_the_client() {
    let config = Config {
        rate_limit: RateLimitConfig {
            requests_per_second: 1,
            burst: 1,
            ..Default::default()
        },
        ..Config::default()
    };
    let addr = products_router_with(config).await.listen().await;
    let body = r#"{"query":"{ topProducts(first: 1) { upc } }"}"#;
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let request = format!(
            "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).await.expect("write");
        let mut response = String::new();
        stream.read_to_string(&mut response).await.expect("read");
        statuses.push(response.split(' ').nth(1).unwrap_or_default().to_owned());
    }
    assert_eq!(statuses, ["200", "429"]);
}
