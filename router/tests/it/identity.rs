//! Tokens of an external OpenID Connect provider (RS256 and ES256, its JWKS served over HTTP):
//! `@requiresScopes` met by the roles and permissions claims the configuration names, and
//! revoked tokens refused with 401 `UNAUTHENTICATED`, also when another process revokes them
//! through Redis.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use commerce_revocation::DenyList;
use commerce_router::Config;
use commerce_router::config::JwtConfig;
use commerce_testkit::oidc::{Alg, IdentityProvider};
use http::StatusCode;
use serde_json::{Value, json};

use crate::harness::{TestResponse, TestRouter, graphql_post, spawn_subgraph};
use crate::subgraphs::auth::{self as sg, GuardedCalls};

const QUERY: &str = "{ users { name email passwordHash } }";

async fn router(idp: &IdentityProvider, redis_url: Option<String>, namespace: &str) -> TestRouter {
    let calls = Arc::new(GuardedCalls::default());
    let accounts = spawn_subgraph(sg::accounts(calls.clone())).await;
    let orders = spawn_subgraph(sg::orders(calls)).await;
    let mut config = Config::default();
    config.authentication.jwt = Some(JwtConfig {
        jwks_urls: vec![idp.jwks_url()],
        issuers: vec![idp.issuer().to_owned()],
        // Keycloak's realm roles and Auth0's RBAC permissions count as scopes.
        scope_claims: vec![
            "scope".into(),
            "realm_access.roles".into(),
            "permissions".into(),
        ],
        revocation_redis_url: redis_url,
        revocation_namespace: namespace.to_owned(),
        ..JwtConfig::default()
    });
    TestRouter::with_config(
        "auth.graphql",
        &[("accounts", &accounts), ("orders", &orders)],
        config,
    )
}

async fn post(router: &TestRouter, token: &str) -> TestResponse {
    let body = json!({ "query": QUERY }).to_string();
    let request = graphql_post()
        .header("authorization", format!("Bearer {token}"))
        .body(Body::from(body))
        .expect("request");
    router.send(request).await
}

fn with(mut claims: Value, extra: Value) -> Value {
    for (name, value) in extra.as_object().expect("an object") {
        claims[name] = value.clone();
    }
    claims
}

#[tokio::test]
async fn roles_and_permissions_claims_meet_requires_scopes() {
    let idp = IdentityProvider::start().await;
    let router = router(&idp, None, &uuid::Uuid::new_v4().to_string()).await;
    // Keycloak: realm roles; `admin` alone grants both guarded fields.
    let keycloak = idp.sign(
        Alg::Rs256,
        &with(
            idp.claims("kc-1"),
            json!({ "scope": "openid profile", "realm_access": { "roles": ["admin"] } }),
        ),
    );
    let response = post(&router, &keycloak).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    assert_eq!(response.body["data"]["users"][0]["passwordHash"], "hash");

    // Auth0: RBAC permissions; `read:email` grants the email, not the hash.
    let auth0 = idp.sign(
        Alg::Es256,
        &with(
            idp.claims("auth0|2"),
            json!({ "permissions": ["read:email"] }),
        ),
    );
    let response = post(&router, &auth0).await;
    assert_eq!(response.body["data"]["users"][0], Value::Null);
    let errors = response.body["errors"].as_array().expect("errors");
    assert!(
        errors.iter().all(|e| e["path"][2] == "passwordHash"),
        "{}",
        response.body
    );

    let nothing = idp.sign(Alg::Es256, &idp.claims("auth0|3"));
    let response = post(&router, &nothing).await;
    let errors = response.body["errors"].as_array().expect("errors");
    assert!(
        errors.iter().any(|e| e["path"][2] == "email"),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn revoked_tokens_get_401_in_process_and_through_redis() {
    let idp = IdentityProvider::start().await;
    let admin = |sub: &str| {
        with(
            idp.claims(sub),
            json!({ "realm_access": { "roles": ["admin"] } }),
        )
    };

    // In process: the list this process's services write to.
    let namespace = uuid::Uuid::new_v4().to_string();
    let local = router(&idp, None, &namespace).await;
    let claims = admin("kc-1");
    let token = idp.sign(Alg::Rs256, &claims);
    assert_eq!(post(&local, &token).await.status, StatusCode::OK);
    DenyList::shared(None, &namespace)
        .revoke_token(
            claims["jti"].as_str().expect("jti"),
            claims["exp"].as_i64().expect("exp"),
        )
        .await
        .expect("revokes");
    let refused = post(&local, &token).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.body["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );

    // Through Redis: another process (a list of its own) revokes every token of a subject.
    let redis = commerce_testkit::redis_url().await;
    let namespace = uuid::Uuid::new_v4().to_string();
    let shared = router(&idp, Some(redis.clone()), &namespace).await;
    let other_process = DenyList::connect(&redis, &namespace).await.expect("Redis");
    let token = idp.sign(Alg::Es256, &admin("kc-2"));
    // The router's copy loads in the background; a first request settles it.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(post(&shared, &token).await.status, StatusCode::OK);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    other_process
        .revoke_subject("kc-2", now + 1, 3600)
        .await
        .expect("revokes");
    let started = Instant::now();
    while post(&shared, &token).await.status == StatusCode::OK {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "still accepted after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    eprintln!(
        "the router refused the revoked subject after {:?}",
        started.elapsed()
    );
    let fresh = idp.sign(Alg::Rs256, &admin("kc-3"));
    assert_eq!(post(&shared, &fresh).await.status, StatusCode::OK);
}
