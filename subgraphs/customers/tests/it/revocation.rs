//! Access tokens revoked before they expire: signing out revokes the token it was sent with,
//! signing out everywhere (and staff) every token of the account issued until then, staff
//! revoke one token by id; another instance, following the deny list in Redis, refuses them too.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commerce_kernel::auth::{DenyList, Verifier};
use commerce_testkit::{Backend, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestApp, post_to, tokens};

on_both_backends!(
    logout_revokes_the_access_token_it_was_sent_with,
    logout_everywhere_revokes_every_access_token_issued_before,
    staff_revoke_one_token_by_id_or_every_token_of_a_subject,
);

const ME: &str = "{ me { id } }";

/// The token's claims, unverified (the test issued it).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).expect("a JWT");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).expect("base64")).expect("JSON")
}

async fn logout_revokes_the_access_token_it_was_sent_with(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (phone, refresh) = app.customer("ines@example.com").await;
    let (laptop, _) = tokens(&app.login_as("login", "ines@example.com", PASSWORD).await);
    assert!(claims(&phone)["jti"].is_string(), "our tokens carry an id");
    assert!(app.as_bearer(&phone, ME, json!({})).await["data"]["me"]["id"].is_string());

    let logout = app
        .as_bearer(
            &phone,
            "mutation($token: String) { logout(refreshToken: $token) }",
            json!({ "token": refresh }),
        )
        .await;
    assert_eq!(logout["data"]["logout"], true, "{logout}");
    assert_eq!(
        error_code(&app.as_bearer(&phone, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert!(
        app.as_bearer(&laptop, ME, json!({})).await["data"]["me"]["id"].is_string(),
        "another session's token is still valid"
    );
    // Without a refresh token: the access token alone.
    let logout = app
        .as_bearer(&laptop, "mutation { logout }", json!({}))
        .await;
    assert_eq!(logout["data"]["logout"], true, "{logout}");
    assert_eq!(
        error_code(&app.as_bearer(&laptop, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
}

async fn logout_everywhere_revokes_every_access_token_issued_before(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (phone, _) = app.customer("jules@example.com").await;
    let (laptop, _) = tokens(&app.login_as("login", "jules@example.com", PASSWORD).await);
    // Tokens issued in the very second of the revocation stay valid (`iat` has seconds).
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let everywhere = app
        .as_bearer(&phone, "mutation { logoutEverywhere }", json!({}))
        .await;
    assert_eq!(everywhere["data"]["logoutEverywhere"], 2, "{everywhere}");
    for token in [&phone, &laptop] {
        assert_eq!(
            error_code(&app.as_bearer(token, ME, json!({})).await),
            "UNAUTHENTICATED"
        );
    }
    let (again, _) = tokens(&app.login_as("login", "jules@example.com", PASSWORD).await);
    assert!(
        app.as_bearer(&again, ME, json!({})).await["data"]["me"]["id"].is_string(),
        "signing in again works at once"
    );
}

async fn staff_revoke_one_token_by_id_or_every_token_of_a_subject(backend: Backend) {
    let app = TestApp::new(backend).await;
    let admin = app.admin().await;
    let (first, _) = app.customer("kim@example.com").await;
    let (second, _) = tokens(&app.login_as("login", "kim@example.com", PASSWORD).await);
    let revoke = "mutation($id: String!) { revokeAccessToken(tokenId: $id) }";
    let id = claims(&first)["jti"].clone();
    let forbidden = app.as_bearer(&second, revoke, json!({ "id": id })).await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN");
    let revoked = app.as_bearer(&admin, revoke, json!({ "id": id })).await;
    assert_eq!(revoked["data"]["revokeAccessToken"], true, "{revoked}");
    assert_eq!(
        error_code(&app.as_bearer(&first, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert!(app.as_bearer(&second, ME, json!({})).await["data"]["me"]["id"].is_string());

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let subject = claims(&second)["sub"].clone();
    let revoke_all = "mutation($subject: String!) { revokeAccessTokensOf(subject: $subject) }";
    let revoked = app
        .as_bearer(&admin, revoke_all, json!({ "subject": subject }))
        .await;
    assert_eq!(revoked["data"]["revokeAccessTokensOf"], true, "{revoked}");
    assert_eq!(
        error_code(&app.as_bearer(&second, ME, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert!(
        app.as_bearer(&admin, ME, json!({}))
            .await
            .get("errors")
            .is_none(),
        "only that subject's"
    );
}

#[tokio::test]
async fn another_instance_refuses_a_signed_out_token_within_a_second() {
    let namespace = format!("customers-{}", uuid::Uuid::new_v4());
    let app = TestApp::with_redis_namespace(Backend::Sqlite, &namespace).await;
    // A second instance of the subgraph: same database, its own copy of the deny list.
    let redis = app.config.redis_url.clone().expect("Redis");
    let list = DenyList::connect(&redis, &namespace).await.expect("Redis");
    let verifier = Verifier::from_config(&app.config)
        .expect("verifier")
        .with_revocations(list);
    let other = commerce_customers::router(app.state.clone(), Arc::new(verifier));
    let (token, _) = app.customer("lea@example.com").await;
    let bearer = format!("Bearer {token}");
    let headers = [("authorization", bearer.as_str())];
    assert!(post_to(&other, ME, json!({}), &headers).await["data"]["me"]["id"].is_string());

    let logout = app
        .as_bearer(&token, "mutation { logout }", json!({}))
        .await;
    assert_eq!(logout["data"]["logout"], true, "{logout}");
    let started = Instant::now();
    while post_to(&other, ME, json!({}), &headers)
        .await
        .get("errors")
        .is_none()
    {
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "still accepted after 1 s"
        );
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    eprintln!(
        "the other instance refused the token after {:?}",
        started.elapsed()
    );
    let refused = post_to(&other, ME, json!({}), &headers).await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED");
}
