//! Rotating the signing key: the previous key stays published in the JWKS beside the new one,
//! tokens signed with either verify, and new tokens name the new key.

use std::path::Path;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commerce_kernel::auth::{AccessClaims, SigningKey, SubjectKind, Verifier};
use commerce_kernel::config::Config;
use commerce_testkit::Backend;
use serde_json::{Value, json};

use crate::support::{TestApp, test_settings};

/// A fresh key written as PEM under `dir` (as `openssl genpkey -algorithm ed25519` would).
fn key_file(dir: &Path) -> (SigningKey, std::path::PathBuf) {
    let key = SigningKey::development(dir).expect("writes a key");
    (key, dir.join(commerce_kernel::auth::DEV_KEY_FILE))
}

fn kid(token: &str) -> String {
    let header = token.split('.').next().expect("a JWT");
    let header: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64")).expect("JSON");
    header["kid"].as_str().expect("a kid").to_owned()
}

#[tokio::test]
async fn tokens_of_the_previous_key_verify_until_it_is_removed_and_new_ones_use_the_new_key() {
    let (old_dir, new_dir) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let (old, old_path) = key_file(old_dir.path());
    let (new, new_path) = key_file(new_dir.path());
    let app = TestApp::build(Backend::Sqlite, test_settings(), |config| {
        config.jwt_private_key_path = Some(new_path.clone());
        config.jwt_previous_key_path = Some(old_path.clone());
    })
    .await;

    // A token the old key signed before the rotation, still within its lifetime.
    let now = chrono::Utc::now().timestamp();
    let (before, _) = app.customer("noor@example.com").await;
    let mut claims: AccessClaims = serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(before.split('.').nth(1).expect("payload"))
            .expect("base64"),
    )
    .expect("claims");
    assert_eq!(
        kid(&before),
        new.public_key().kid(),
        "new tokens name the new key"
    );
    claims.iat = now - 60;
    claims.jti = Some(uuid::Uuid::new_v4().to_string());
    let old_token = old.sign(&claims).expect("signs");
    assert_eq!(claims.kind, SubjectKind::Customer);

    // The JWKS lists both keys, new first.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(commerce_kernel::server::serve(listener, app.app.clone()));
    let url = format!("http://{addr}/.well-known/jwks.json");
    let jwks: Value = reqwest::get(&url)
        .await
        .expect("fetches")
        .json()
        .await
        .expect("JSON");
    let kids: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|key| key["kid"].as_str())
        .collect();
    assert_eq!(kids, [new.public_key().kid(), old.public_key().kid()]);

    // Verifiers reading the JWKS and verifiers with key files accept both.
    let from_jwks = Verifier::with_jwks_url(&url, "commerce", "commerce", Duration::from_secs(10));
    let from_files = Verifier::from_config(&app.config).expect("verifier");
    for verifier in [&from_jwks, &from_files] {
        assert!(verifier.verify(&before).await.is_ok());
        assert!(verifier.verify(&old_token).await.is_ok());
    }
    let me = app.as_bearer(&old_token, "{ me { id } }", json!({})).await;
    assert!(me["data"]["me"]["id"].is_string(), "{me}");

    // Once the previous key is removed, its tokens are refused.
    let after = Config {
        jwt_previous_key_path: None,
        ..app.config.clone()
    };
    let verifier = Verifier::from_config(&after).expect("verifier");
    assert!(verifier.verify(&old_token).await.is_err());
    assert!(verifier.verify(&before).await.is_ok());
}
