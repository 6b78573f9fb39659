//! Per-client rate limits: 429 with `Retry-After` and `RATE_LIMITED` past the burst, clients
//! apart, buckets shared by instances through Redis, the peer address as the client, and
//! tiers: a token's subject in the tier its `kind` names, API keys by their hash.

use std::collections::BTreeMap;

use axum::body::Body;
use commerce_router::Config;
use commerce_router::config::{JwtConfig, RateLimitConfig, TierRate};
use http::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

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

const SECRET: &[u8] = b"rate-limit-test-secret-0123456789abcdef";
const JWKS: &str = r#"{"keys":[{"kty":"oct","kid":"rate","alg":"HS256","k":"cmF0ZS1saW1pdC10ZXN0LXNlY3JldC0wMTIzNDU2Nzg5YWJjZGVm"}]}"#;

/// A token the JWKS verifies, with these claims and `exp` `expires_in` seconds from now.
fn token(mut claims: Value, expires_in: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    claims["exp"] = json!(now + expires_in);
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("rate".into());
    jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .expect("sign")
}

fn customer(subject: &str) -> String {
    token(json!({ "sub": subject, "kind": "customer" }), 300)
}

fn rate(requests_per_second: u32, burst: u32) -> TierRate {
    TierRate {
        requests_per_second,
        burst,
    }
}

/// Bursts of 1 (anonymous), 2 (customer), 4 (staff) and 3 (the `partner` API key's tier),
/// all refilled at 1/s: a test's few requests take far less than a second.
struct Tiered {
    config: Config,
    _jwks: tempfile::NamedTempFile,
}

fn tiered() -> Tiered {
    let jwks = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(jwks.path(), JWKS).expect("write JWKS");
    let mut config = Config::default();
    config.authentication.jwt = Some(JwtConfig {
        jwks_files: vec![jwks.path().to_path_buf()],
        ..JwtConfig::default()
    });
    config.rate_limit = RateLimitConfig {
        requests_per_second: 1,
        burst: 1,
        key_header: Some("x-api-key".into()),
        tiers: BTreeMap::from([
            ("customer".into(), rate(1, 2)),
            ("staff".into(), rate(1, 4)),
            ("partner".into(), rate(1, 3)),
        ]),
        tier_claim: Some("kind".into()),
        api_keys: BTreeMap::from([(hex::encode(Sha256::digest("partner-key")), "partner".into())]),
        ..Default::default()
    };
    Tiered {
        config,
        _jwks: jwks,
    }
}

async fn post_as(router: &TestRouter, bearer: Option<&str>, api_key: Option<&str>) -> TestResponse {
    let mut request = graphql_post();
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    if let Some(key) = api_key {
        request = request.header("x-api-key", key);
    }
    let body = json!({ "query": "{ topProducts(first: 1) { upc } }" }).to_string();
    router
        .send(request.body(Body::from(body)).expect("request"))
        .await
}

/// How many of five requests in a row pass before the first 429 (asserting none after).
async fn allowed(router: &TestRouter, bearer: Option<&str>, api_key: Option<&str>) -> usize {
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(post_as(router, bearer, api_key).await.status);
    }
    let passed = statuses
        .iter()
        .take_while(|s| **s == StatusCode::OK)
        .count();
    assert!(
        statuses[passed..]
            .iter()
            .all(|s| *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    passed
}

#[tokio::test]
async fn anonymous_customer_staff_and_api_key_clients_each_get_their_tiers_burst() {
    let setup = tiered();
    let router = products_router_with(setup.config.clone()).await;
    let staff = token(json!({ "sub": "s1", "kind": "staff" }), 300);
    let unknown_kind = token(json!({ "sub": "x1", "kind": "robot" }), 300);
    assert_eq!(allowed(&router, None, None).await, 1, "anonymous");
    assert_eq!(allowed(&router, Some(&customer("c1")), None).await, 2);
    assert_eq!(allowed(&router, Some(&staff), None).await, 4);
    assert_eq!(allowed(&router, None, Some("partner-key")).await, 3);
    assert_eq!(
        allowed(&router, Some(&unknown_kind), None).await,
        1,
        "a kind naming no tier is anonymous, yet its own client (the address is spent)"
    );
    assert_eq!(
        post_as(&router, None, Some("made-up")).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "an unlisted key counts against the (spent) address"
    );
}

#[tokio::test]
async fn two_tokens_of_one_subject_share_a_bucket_and_two_subjects_do_not() {
    let setup = tiered();
    let router = products_router_with(setup.config.clone()).await;
    let first = customer("c2");
    let second = token(
        json!({ "sub": "c2", "kind": "customer", "jti": "other" }),
        600,
    );
    assert_ne!(first, second);
    let statuses = [
        post_as(&router, Some(&first), None).await.status,
        post_as(&router, Some(&second), None).await.status,
        post_as(&router, Some(&first), None).await.status,
    ];
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ]
    );
    // Every request so far came from the same (unknown) address.
    assert_eq!(
        post_as(&router, Some(&customer("c3")), None).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_token_that_does_not_verify_gets_401_and_counts_as_the_address() {
    let setup = tiered();
    let router = products_router_with(setup.config.clone()).await;
    let expired = token(json!({ "sub": "c4", "kind": "staff" }), -600);
    let refused = post_as(&router, Some(&expired), None).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
    let forged = format!("{}x", customer("c4"));
    let limited = post_as(&router, Some(&forged), None).await;
    assert_eq!(
        limited.status,
        StatusCode::TOO_MANY_REQUESTS,
        "the expired token spent the address's burst of 1, not a staff bucket"
    );
    assert_eq!(
        post_as(&router, Some(&customer("c4")), None).await.status,
        StatusCode::OK,
        "the subject's own bucket is untouched"
    );
}

#[tokio::test]
async fn a_websocket_upgrade_counts_against_its_tokens_subject() {
    let setup = tiered();
    let router = products_router_with(setup.config.clone()).await;
    let addr = router.listen().await;
    let token = customer("c5");
    let upgrade = || {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .expect("request");
        let headers = request.headers_mut();
        headers.insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().unwrap(),
        );
        headers.insert("authorization", format!("Bearer {token}").parse().unwrap());
        tokio_tungstenite::connect_async(request)
    };
    // Two connections: the customer's burst, where the address alone would allow one.
    let (_first, _) = upgrade()
        .await
        .expect("the first connection is within the burst");
    let (_second, _) = upgrade().await.expect("so is the second");
    assert_eq!(
        post_as(&router, Some(&token), None).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a request of that subject from elsewhere finds the bucket spent"
    );
    match upgrade().await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        }
        other => panic!("expected 429, got {:?}", other.map(|(_, r)| r.status())),
    }
}

#[tokio::test]
async fn instances_sharing_a_redis_share_each_subjects_budget_in_its_tier() {
    let redis = commerce_testkit::redis_url().await;
    let setup = tiered();
    let config = || {
        let mut config = setup.config.clone();
        config.rate_limit.redis_url = Some(redis.clone());
        config
    };
    let (first, second) = (
        products_router_with(config()).await,
        products_router_with(config()).await,
    );
    let staff = token(json!({ "sub": unique("staff"), "kind": "staff" }), 300);
    let mut statuses = Vec::new();
    for router in [&first, &second, &first, &second, &first] {
        statuses.push(post_as(router, Some(&staff), None).await.status);
    }
    assert_eq!(
        statuses,
        [
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::OK,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "the staff burst of 4 across both instances, then refused"
    );
}
