//! `@authenticated` and `@requiresScopes`: JWTs checked against a JWKS (file or URL), denied
//! fields left out of the plan and read as null with `UNAUTHORIZED_FIELD_OR_TYPE`, `reject`
//! mode, and tokens that do not verify.

use std::sync::Arc;

use axum::body::Body;
use commerce_router::Config;
use commerce_router::config::JwtConfig;
use commerce_router::config::UnauthorizedMode;
use http::StatusCode;
use insta::assert_json_snapshot;
use serde_json::{Value, json};

use crate::harness::{TestResponse, TestRouter, graphql_post, serve_app, spawn_subgraph};
use crate::subgraphs::auth::{self as sg, GuardedCalls};

const SECRET: &[u8] = b"router-test-secret-0123456789abcdef";
pub(crate) const JWKS: &str = r#"{"keys":[{"kty":"oct","kid":"test","alg":"HS256","k":"cm91dGVyLXRlc3Qtc2VjcmV0LTAxMjM0NTY3ODlhYmNkZWY"}]}"#;

/// A token the JWKS verifies, granting `scope`, expiring `expires_in` seconds from now.
pub(crate) fn token(scope: &str, expires_in: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64;
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    header.kid = Some("test".into());
    jsonwebtoken::encode(
        &header,
        &json!({ "sub": "1", "scope": scope, "exp": now + expires_in }),
        &jsonwebtoken::EncodingKey::from_secret(SECRET),
    )
    .expect("sign")
}

struct Setup {
    router: TestRouter,
    calls: Arc<GuardedCalls>,
    _jwks: tempfile::NamedTempFile,
}

async fn setup(configure: impl FnOnce(&mut Config)) -> Setup {
    let calls = Arc::new(GuardedCalls::default());
    let accounts = spawn_subgraph(sg::accounts(calls.clone())).await;
    let orders = spawn_subgraph(sg::orders(calls.clone())).await;
    let jwks = tempfile::NamedTempFile::new().expect("temp file");
    std::fs::write(jwks.path(), JWKS).expect("write JWKS");
    let mut config = Config::default();
    config.authentication.jwt = Some(JwtConfig {
        jwks_files: vec![jwks.path().to_path_buf()],
        ..JwtConfig::default()
    });
    configure(&mut config);
    let router = TestRouter::with_config(
        "auth.graphql",
        &[("accounts", &accounts), ("orders", &orders)],
        config,
    );
    Setup {
        router,
        calls,
        _jwks: jwks,
    }
}

async fn post(router: &TestRouter, query: &str, bearer: Option<&str>) -> TestResponse {
    let mut request = graphql_post();
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = json!({ "query": query }).to_string();
    router
        .send(request.body(Body::from(body)).expect("request"))
        .await
}

const QUERY: &str = "{ me { name } users { name email orders { total } } }";

#[tokio::test]
async fn anonymous_callers_get_nulls_and_errors_and_subgraphs_are_never_asked() {
    let setup = setup(|_| {}).await;
    let response = post(&setup.router, QUERY, None).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(setup.calls.count(), 0, "a guarded resolver ran");
    assert_json_snapshot!(response.body, @r#"
    {
      "data": {
        "me": null,
        "users": [
          {
            "name": "User 1",
            "email": null,
            "orders": null
          },
          {
            "name": "User 2",
            "email": null,
            "orders": null
          }
        ]
      },
      "errors": [
        {
          "message": "Unauthorized field or type",
          "locations": [
            {
              "line": 1,
              "column": 3
            }
          ],
          "path": [
            "me"
          ],
          "extensions": {
            "code": "UNAUTHORIZED_FIELD_OR_TYPE"
          }
        },
        {
          "message": "Unauthorized field or type",
          "locations": [
            {
              "line": 1,
              "column": 28
            }
          ],
          "path": [
            "users",
            0,
            "email"
          ],
          "extensions": {
            "code": "UNAUTHORIZED_FIELD_OR_TYPE"
          }
        },
        {
          "message": "Unauthorized field or type",
          "locations": [
            {
              "line": 1,
              "column": 34
            }
          ],
          "path": [
            "users",
            0,
            "orders"
          ],
          "extensions": {
            "code": "UNAUTHORIZED_FIELD_OR_TYPE"
          }
        },
        {
          "message": "Unauthorized field or type",
          "locations": [
            {
              "line": 1,
              "column": 28
            }
          ],
          "path": [
            "users",
            1,
            "email"
          ],
          "extensions": {
            "code": "UNAUTHORIZED_FIELD_OR_TYPE"
          }
        },
        {
          "message": "Unauthorized field or type",
          "locations": [
            {
              "line": 1,
              "column": 34
            }
          ],
          "path": [
            "users",
            1,
            "orders"
          ],
          "extensions": {
            "code": "UNAUTHORIZED_FIELD_OR_TYPE"
          }
        }
      ]
    }
    "#);
}

#[tokio::test]
async fn a_token_with_the_scope_sees_everything_it_allows() {
    let setup = setup(|_| {}).await;
    let response = post(&setup.router, QUERY, Some(&token("read:email", 600))).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    assert_eq!(
        response.body["data"]["users"][1],
        json!({ "name": "User 2", "email": "user2@example.com", "orders": [{ "total": 42 }] })
    );
    assert_eq!(response.body["data"]["me"], json!({ "name": "User 1" }));

    // Authenticated without the scope: only `email` is denied (and the plan is another one).
    let response = post(&setup.router, QUERY, Some(&token("read:orders", 600))).await;
    let errors = response.body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{}", response.body);
    assert!(errors.iter().all(|e| e["path"][2] == "email"));
    assert_eq!(
        response.body["data"]["users"][0]["orders"],
        json!([{ "total": 42 }])
    );
}

#[tokio::test]
async fn a_denied_non_null_field_nulls_its_parent_with_one_error() {
    let setup = setup(|_| {}).await;
    let response = post(
        &setup.router,
        "{ users { name passwordHash } }",
        Some(&token("read:email", 600)),
    )
    .await;
    assert_eq!(response.body["data"], json!({ "users": [null, null] }));
    let errors = response.body["errors"].as_array().expect("errors");
    assert_eq!(errors.len(), 2, "{}", response.body);
    assert_eq!(errors[0]["path"], json!(["users", 0, "passwordHash"]));
    assert_eq!(setup.calls.count(), 0);

    let admin = post(
        &setup.router,
        "{ users { passwordHash } }",
        Some(&token("admin", 600)),
    )
    .await;
    assert_eq!(
        admin.body,
        json!({ "data": { "users": [{ "passwordHash": "hash" }, { "passwordHash": "hash" }] } })
    );
}

#[tokio::test]
async fn tokens_that_do_not_verify_get_401() {
    let setup = setup(|_| {}).await;
    let expired = post(&setup.router, QUERY, Some(&token("admin", -3600))).await;
    let forged = {
        let mut parts: Vec<String> = token("admin", 600).split('.').map(String::from).collect();
        parts[2] = "AAAA".into();
        post(&setup.router, QUERY, Some(&parts.join("."))).await
    };
    let garbage = post(&setup.router, QUERY, Some("not-a-jwt")).await;
    for response in [expired, forged, garbage] {
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{}",
            response.body
        );
        assert_eq!(
            response.body["errors"][0]["extensions"]["code"],
            "UNAUTHENTICATED"
        );
    }
    assert_eq!(setup.calls.count(), 0);
}

#[tokio::test]
async fn reject_mode_refuses_the_operation_and_authentication_can_be_required() {
    let setup = setup(|config| {
        config.authorization.unauthorized = UnauthorizedMode::Reject;
    })
    .await;
    let response = post(&setup.router, "{ users { name email } }", None).await;
    assert_eq!(response.body["data"], Value::Null, "{}", response.body);
    assert_eq!(
        response.body["errors"][0]["message"],
        "Unauthorized field or type: User.email"
    );
    assert_eq!(setup.calls.count(), 0);
    let allowed = post(&setup.router, "{ users { name } }", None).await;
    assert!(allowed.body.get("errors").is_none(), "{}", allowed.body);

    let setup = setup_required().await;
    let anonymous = post(&setup.router, "{ users { name } }", None).await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let signed_in = post(&setup.router, "{ users { name } }", Some(&token("", 600))).await;
    assert_eq!(signed_in.status, StatusCode::OK);
}

async fn setup_required() -> Setup {
    setup(|config| config.authorization.require_authentication = true).await
}

#[tokio::test]
async fn keys_are_fetched_from_a_jwks_url_before_the_first_token_is_judged() {
    // A slow key server: the router's first fetch is still running when the first token
    // arrives, and that request waits for it instead of failing.
    let jwks = serve_app(axum::Router::new().route(
        "/graphql",
        axum::routing::get(|| async {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            ([("content-type", "application/json")], JWKS)
        }),
    ))
    .await;
    let setup = setup(move |config| {
        config.authentication.jwt = Some(JwtConfig {
            jwks_urls: vec![jwks],
            ..JwtConfig::default()
        });
    })
    .await;
    let response = post(&setup.router, "{ me { name } }", Some(&token("", 600))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    assert_eq!(
        response.body,
        json!({ "data": { "me": { "name": "User 1" } } })
    );
}

#[tokio::test]
async fn without_authentication_configured_guarded_fields_stay_closed() {
    let setup = setup(|config| config.authentication.jwt = None).await;
    let response = post(
        &setup.router,
        "{ me { name } users { name } }",
        Some("anything"),
    )
    .await;
    assert_eq!(
        response.body["data"],
        json!({ "me": null, "users": [{ "name": "User 1" }, { "name": "User 2" }] })
    );
    assert_eq!(setup.calls.count(), 0);
}

#[tokio::test]
async fn variables_used_only_by_denied_fields_do_not_break_planning() {
    let setup = setup(|_| {}).await;
    let request = json!({
        "query": "query($withEmail: Boolean!) { users { name email @include(if: $withEmail) } }",
        "variables": { "withEmail": true },
    });
    let response = setup.router.post_json(&request).await;
    assert_eq!(
        response.body["data"],
        json!({ "users": [{ "name": "User 1", "email": null }, { "name": "User 2", "email": null }] }),
        "{}",
        response.body
    );
    assert_eq!(setup.calls.count(), 0);
}
