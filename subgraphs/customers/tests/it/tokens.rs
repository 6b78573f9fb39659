//! Sessions: refresh rotation and reuse detection, logout, logout everywhere, password reset,
//! tampered and expired access tokens, and the JWKS other services verify with.

use std::time::Duration;

use commerce_customers::Settings;
use commerce_kernel::auth::{AccessClaims, SigningKey, SubjectKind, Verifier};
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, test_settings, tokens};

on_both_backends!(
    changing_the_password_checks_the_current_one_and_ends_every_session,
    refresh_rotates_and_a_reused_token_ends_the_session,
    logout_ends_one_session_and_logout_everywhere_ends_all,
    a_reset_token_works_once_and_signs_out_everywhere,
    an_expired_reset_token_does_not_work,
);

async fn changing_the_password_checks_the_current_one_and_ends_every_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (access, refresh_token) = app.customer("barbara@example.com").await;
    let change = "mutation($current: String!, $new: String!) {
        changePassword(currentPassword: $current, newPassword: $new) { __typename }
    }";
    let new_password = "a brand new passphrase";
    let wrong = app
        .as_bearer(
            &access,
            change,
            json!({ "current": "not my passphrase", "new": new_password }),
        )
        .await;
    assert_eq!(
        wrong["data"]["changePassword"]["__typename"],
        "InvalidCredentials"
    );
    let changed = app
        .as_bearer(
            &access,
            change,
            json!({ "current": PASSWORD, "new": new_password }),
        )
        .await;
    assert_eq!(
        changed["data"]["changePassword"]["__typename"],
        "PasswordChanged"
    );
    assert_eq!(
        error_code(&refresh(&app, &refresh_token).await),
        "UNAUTHENTICATED"
    );
    let session = app
        .login_as("login", "barbara@example.com", new_password)
        .await;
    assert_eq!(session["__typename"], "AuthPayload");
    let anonymous = app
        .anonymous(change, json!({ "current": PASSWORD, "new": new_password }))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

const REFRESH: &str = "mutation($token: String!) { refreshSession(refreshToken: $token) { accessToken refreshToken } }";

async fn refresh(app: &TestApp, token: &str) -> Value {
    app.anonymous(REFRESH, json!({ "token": token })).await
}

async fn refresh_rotates_and_a_reused_token_ends_the_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, first) = app.customer("ada@example.com").await;
    let rotated = refresh(&app, &first).await;
    let (access, second) = tokens(&rotated["data"]["refreshSession"]);
    assert_ne!(first, second);
    let me = app.as_bearer(&access, "{ me { email } }", json!({})).await;
    assert_eq!(me["data"]["me"]["email"], "ada@example.com");

    // The first token again: reuse. It fails, and so does the newer token of the same session.
    let reused = refresh(&app, &first).await;
    assert_eq!(error_code(&reused), "UNAUTHENTICATED");
    let after_reuse = refresh(&app, &second).await;
    assert_eq!(error_code(&after_reuse), "UNAUTHENTICATED");
    insta::assert_json_snapshot!(after_reuse["errors"][0]["message"], @r#""the refresh token is invalid, expired or revoked; sign in again""#);

    let garbage = refresh(&app, "not-a-token").await;
    assert_eq!(error_code(&garbage), "UNAUTHENTICATED");
}

async fn logout_ends_one_session_and_logout_everywhere_ends_all(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, phone) = app.customer("grace@example.com").await;
    let laptop = tokens(&app.login_as("login", "grace@example.com", PASSWORD).await);
    let tablet = tokens(&app.login_as("login", "grace@example.com", PASSWORD).await);

    let logout = app
        .anonymous(
            "mutation($token: String!) { logout(refreshToken: $token) }",
            json!({ "token": phone }),
        )
        .await;
    assert_eq!(logout["data"]["logout"], true);
    assert_eq!(error_code(&refresh(&app, &phone).await), "UNAUTHENTICATED");
    let laptop_refreshed = refresh(&app, &laptop.1).await;
    let laptop = tokens(&laptop_refreshed["data"]["refreshSession"]);

    let everywhere = app
        .as_bearer(&laptop.0, "mutation { logoutEverywhere }", json!({}))
        .await;
    assert_eq!(everywhere["data"]["logoutEverywhere"], 2, "{everywhere}");
    assert_eq!(
        error_code(&refresh(&app, &laptop.1).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&refresh(&app, &tablet.1).await),
        "UNAUTHENTICATED"
    );

    let anonymous = app
        .anonymous("mutation { logoutEverywhere }", json!({}))
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");
}

const RESET: &str = "mutation($token: String!, $password: String!) {
    resetPassword(token: $token, newPassword: $password) { __typename ... on ErrorResult { code message } }
}";

async fn request_reset(app: &TestApp, email: &str) -> Value {
    app.anonymous(
        "mutation($email: String!) { requestPasswordReset(email: $email) }",
        json!({ "email": email }),
    )
    .await
}

async fn a_reset_token_works_once_and_signs_out_everywhere(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, refresh_token) = app.customer("alan@example.com").await;
    // Unknown addresses get the same answer and no mail.
    let unknown = request_reset(&app, "nobody@example.com").await;
    let known = request_reset(&app, "Alan@Example.com").await;
    assert_eq!(unknown, known);
    let token = app
        .mailer
        .reset_token_for("alan@example.com")
        .await
        .expect("a reset mail");
    assert_eq!(app.mailer.sent().await.len(), 1);
    // Requests past three an hour send nothing more, and still answer the same.
    for _ in 0..4 {
        assert_eq!(request_reset(&app, "alan@example.com").await, known);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(app.mailer.sent().await.len(), 3);

    let new_password = "an entirely new passphrase";
    let weak = app
        .anonymous(RESET, json!({ "token": token, "password": "short" }))
        .await;
    assert_eq!(weak["data"]["resetPassword"]["__typename"], "WeakPassword");
    let reset = app
        .anonymous(RESET, json!({ "token": token, "password": new_password }))
        .await;
    assert_eq!(
        reset["data"]["resetPassword"]["__typename"],
        "PasswordChanged"
    );
    let again = app
        .anonymous(
            RESET,
            json!({ "token": token, "password": "yet another passphrase" }),
        )
        .await;
    insta::assert_json_snapshot!(again, @r#"
    {
      "data": {
        "resetPassword": {
          "__typename": "InvalidResetToken",
          "code": "BAD_USER_INPUT",
          "message": "the password reset link is invalid, expired or already used"
        }
      }
    }
    "#);

    assert_eq!(
        error_code(&refresh(&app, &refresh_token).await),
        "UNAUTHENTICATED"
    );
    let old = app.login_as("login", "alan@example.com", PASSWORD).await;
    assert_eq!(old["__typename"], "InvalidCredentials");
    let new = app
        .login_as("login", "alan@example.com", new_password)
        .await;
    assert_eq!(new["__typename"], "AuthPayload");
}

async fn an_expired_reset_token_does_not_work(backend: Backend) {
    let settings = Settings {
        reset_ttl: Duration::ZERO,
        ..test_settings()
    };
    let app = TestApp::with(backend, settings, false).await;
    app.register("edsger@example.com").await;
    request_reset(&app, "edsger@example.com").await;
    let token = app
        .mailer
        .reset_token_for("edsger@example.com")
        .await
        .expect("a reset mail");
    let reset = app
        .anonymous(
            RESET,
            json!({ "token": token, "password": "an entirely new passphrase" }),
        )
        .await;
    assert_eq!(
        reset["data"]["resetPassword"]["__typename"],
        "InvalidResetToken"
    );
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn tampered_expired_and_foreign_access_tokens_are_unauthenticated() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (access, _) = app.customer("ada@example.com").await;
    // The same development key the service signs with, from the same data directory.
    let key = SigningKey::from_config(&app.config).expect("the dev key");
    let claims = |exp: i64, permissions: Vec<String>| AccessClaims {
        sub: commerce_kernel::GlobalId::encode("StaffMember", 1),
        kind: SubjectKind::Staff,
        iss: "commerce".into(),
        aud: "commerce".into(),
        iat: unix_now() - 3600,
        exp,
        jti: None,
        groups: vec![],
        permissions,
    };
    let expired = key
        .sign(&claims(unix_now() - 120, vec!["staff:manage".into()]))
        .expect("signs");
    let foreign = SigningKey::generate()
        .expect("a key")
        .sign(&claims(unix_now() + 600, vec!["staff:manage".into()]))
        .expect("signs");
    // Swap the payload of a real customer token for one claiming staff permissions.
    let mut parts: Vec<&str> = access.split('.').collect();
    let forged = {
        use base64::Engine;
        let payload = serde_json::to_vec(&claims(unix_now() + 600, vec!["staff:manage".into()]))
            .expect("json");
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(payload)
    };
    parts[1] = &forged;
    let tampered = parts.join(".");

    for token in [&expired, &foreign, &tampered] {
        let response = app.as_bearer(token, "{ viewer { kind } }", json!({})).await;
        assert_eq!(error_code(&response), "UNAUTHENTICATED", "{response}");
        assert_eq!(response["data"], Value::Null);
    }
    let expired = app
        .as_bearer(&expired, "{ viewer { kind } }", json!({}))
        .await;
    assert_eq!(
        expired["errors"][0]["message"],
        "the access token has expired"
    );
    let fine = app
        .as_bearer(&access, "{ viewer { kind } }", json!({}))
        .await;
    assert_eq!(fine["data"]["viewer"]["kind"], "CUSTOMER");
}

#[tokio::test]
async fn other_services_verify_tokens_with_the_published_jwks() {
    let app = TestApp::new(Backend::Sqlite).await;
    let (access, _) = app.customer("ada@example.com").await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("an address");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(commerce_kernel::server::serve_until(
        listener,
        app.app.clone(),
        async {
            stopped.await.ok();
        },
    ));
    let url = format!("http://{addr}/.well-known/jwks.json");
    let jwks: Value = reqwest::get(&url)
        .await
        .expect("fetches")
        .json()
        .await
        .expect("json");
    assert_eq!(jwks["keys"][0]["kty"], "OKP");
    assert_eq!(jwks["keys"][0]["crv"], "Ed25519");
    assert_eq!(jwks["keys"][0]["alg"], "EdDSA");

    let verifier = Verifier::with_jwks_url(&url, "commerce", "commerce", Duration::from_secs(10));
    let claims = verifier.verify(&access).await.expect("verifies");
    assert_eq!(claims.kind, SubjectKind::Customer);
    stop.send(()).ok();
    server.await.expect("joins").expect("serves");
}
