//! External identity: a subgraph accepts the access tokens of an OpenID Connect provider (RS256
//! and ES256, keys from the JWKS it serves over HTTP) beside our own, with its roles mapped to
//! staff permissions and its customer claim to a customer; the provider's key rotation; and
//! revoked tokens refused, ours and the provider's.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, Object};
use commerce_kernel::GlobalId;
use commerce_kernel::auth::{AccessClaims, SigningKey, SubjectKind, Verifier};
use commerce_kernel::config::{Config, OidcConfig};
use commerce_kernel::subgraph;
use commerce_kernel::viewer::Viewer;
use commerce_testkit::oidc::{Alg, IdentityProvider};
use serde_json::{Value, json};

struct Query;

#[Object]
impl Query {
    async fn whoami(&self, ctx: &Context<'_>) -> String {
        format!("{:?}", ctx.data_unchecked::<Viewer>())
    }
}

/// A subgraph on a free port verifying with `verifier`; returns its GraphQL URL.
pub async fn serve(verifier: Arc<Verifier>) -> String {
    let schema = subgraph::schema_builder(Query, EmptyMutation).finish();
    let db = sea_orm::Database::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    let app = commerce_kernel::server::graphql_app(schema, db, verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("free port");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/graphql")
}

/// `{ whoami }` with `token`: the viewer's debug text, or the error code.
pub async fn whoami(url: &str, token: &str) -> Result<String, String> {
    let body: Value = reqwest::Client::new()
        .post(url)
        .bearer_auth(token)
        .json(&json!({ "query": "{ whoami }" }))
        .send()
        .await
        .expect("the subgraph answers")
        .json()
        .await
        .expect("JSON");
    match body["data"]["whoami"].as_str() {
        Some(viewer) => Ok(viewer.to_owned()),
        None => Err(body["errors"][0]["extensions"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()),
    }
}

fn oidc(idp: &IdentityProvider) -> OidcConfig {
    OidcConfig {
        issuer: idp.issuer().to_owned(),
        audience: Some("commerce-api".to_owned()),
        jwks_url: idp.jwks_url(),
        jwks_min_refresh_secs: 1,
        roles_claim: Some("realm_access.roles".to_owned()),
        groups_claim: Some("groups".to_owned()),
        permissions: BTreeMap::from([
            (
                "shop-admin".to_owned(),
                vec!["catalog:write".to_owned(), "orders:read".to_owned()],
            ),
            ("/support".to_owned(), vec!["customers:read".to_owned()]),
        ]),
        customer_id_claim: Some("commerce.customer_id".to_owned()),
        ..OidcConfig::default()
    }
}

/// The provider's claims for `sub` with our audience and `extra` merged in.
fn claims(idp: &IdentityProvider, sub: &str, extra: Value) -> Value {
    let mut claims = idp.claims(sub);
    claims["aud"] = json!(["account", "commerce-api"]);
    for (name, value) in extra.as_object().expect("an object") {
        claims[name] = value.clone();
    }
    claims
}

fn our_token(key: &SigningKey, sub: &str) -> (String, AccessClaims) {
    let now = chrono::Utc::now().timestamp();
    let claims = AccessClaims {
        sub: sub.to_owned(),
        kind: SubjectKind::Customer,
        iss: "commerce".into(),
        aud: "commerce".into(),
        iat: now,
        exp: now + 900,
        jti: Some(uuid::Uuid::new_v4().to_string()),
        groups: vec![],
        permissions: vec![],
    };
    (key.sign(&claims).expect("signs"), claims)
}

#[tokio::test]
async fn provider_tokens_are_accepted_beside_ours_with_roles_and_customers_mapped() {
    let idp = IdentityProvider::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: dir.path().to_owned(),
        events_namespace: format!("identity-{}", uuid::Uuid::new_v4()),
        oidc: Some(oidc(&idp)),
        ..Config::default()
    };
    let ours = SigningKey::development(dir.path()).expect("our key");
    let url = serve(Arc::new(Verifier::from_config(&config).expect("verifier"))).await;

    let admin = idp.sign(
        Alg::Rs256,
        &claims(
            &idp,
            "kc-admin",
            json!({ "realm_access": { "roles": ["offline_access", "shop-admin"] }, "groups": ["/support"] }),
        ),
    );
    assert_eq!(
        whoami(&url, &admin).await,
        Ok(r#"Staff { id: "oidc:kc-admin", permissions: ["catalog:write", "customers:read", "orders:read"] }"#.to_owned())
    );
    let customer = GlobalId::encode("Customer", 7);
    let linked = idp.sign(
        Alg::Es256,
        &claims(
            &idp,
            "kc-shopper",
            json!({ "commerce": { "customer_id": customer }, "groups": ["vip"] }),
        ),
    );
    assert_eq!(
        whoami(&url, &linked).await,
        Ok(format!(
            r#"Customer {{ id: "{customer}", groups: ["vip"] }}"#
        ))
    );
    let unmapped = idp.sign(Alg::Es256, &claims(&idp, "kc-nobody", json!({})));
    assert_eq!(whoami(&url, &unmapped).await, Ok("Anonymous".to_owned()));
    let (own, _) = our_token(&ours, &customer);
    assert_eq!(
        whoami(&url, &own).await,
        Ok(format!(r#"Customer {{ id: "{customer}", groups: [] }}"#))
    );

    // Another provider's key, an audience not ours, an expired token: all refused.
    let impostor = IdentityProvider::start().await;
    let forged = impostor.sign(
        Alg::Rs256,
        &claims(
            &idp,
            "kc-admin",
            json!({ "realm_access": { "roles": ["shop-admin"] } }),
        ),
    );
    let mut elsewhere = idp.claims("kc-admin");
    elsewhere["aud"] = json!("other");
    let elsewhere = idp.sign(Alg::Rs256, &elsewhere);
    let mut expired = claims(&idp, "kc-admin", json!({}));
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 600);
    let expired = idp.sign(Alg::Es256, &expired);
    for token in [forged, elsewhere, expired] {
        assert_eq!(
            whoami(&url, &token).await,
            Err("UNAUTHENTICATED".to_owned())
        );
    }
}

#[tokio::test]
async fn only_the_configured_algorithms_are_accepted() {
    let idp = IdentityProvider::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: dir.path().to_owned(),
        oidc: Some(OidcConfig {
            algorithms: vec!["ES256".to_owned()],
            ..oidc(&idp)
        }),
        ..Config::default()
    };
    let url = serve(Arc::new(Verifier::from_config(&config).expect("verifier"))).await;
    let roles = json!({ "realm_access": { "roles": ["shop-admin"] } });
    let rsa = idp.sign(Alg::Rs256, &claims(&idp, "kc-admin", roles.clone()));
    assert_eq!(whoami(&url, &rsa).await, Err("UNAUTHENTICATED".to_owned()));
    let ec = idp.sign(Alg::Es256, &claims(&idp, "kc-admin", roles));
    assert!(whoami(&url, &ec).await.is_ok());
}

#[tokio::test]
async fn a_provider_key_rotation_is_followed_at_most_once_per_interval() {
    let idp = IdentityProvider::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    // Generating an RSA key takes seconds in a debug build: the rotation uses an EC key, so
    // the interval below is measured from the fetch, not from a key generation.
    let config = Config {
        data_dir: dir.path().to_owned(),
        oidc: Some(OidcConfig {
            jwks_min_refresh_secs: 3,
            ..oidc(&idp)
        }),
        ..Config::default()
    };
    let url = serve(Arc::new(Verifier::from_config(&config).expect("verifier"))).await;
    let roles = json!({ "realm_access": { "roles": ["shop-admin"] } });
    let before = idp.sign(Alg::Es256, &claims(&idp, "kc-admin", roles.clone()));
    for _ in 0..3 {
        assert!(whoami(&url, &before).await.is_ok());
    }
    assert_eq!(idp.fetches(), 1, "the keys are cached");

    // A new key signs within the minimum interval of the last fetch: not fetched again yet,
    // however many tokens name it.
    let old_kid = idp.rotate(Alg::Es256);
    let after = idp.sign(Alg::Es256, &claims(&idp, "kc-admin", roles.clone()));
    for _ in 0..3 {
        assert_eq!(
            whoami(&url, &after).await,
            Err("UNAUTHENTICATED".to_owned())
        );
    }
    assert_eq!(idp.fetches(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(3100)).await;
    assert!(
        whoami(&url, &after).await.is_ok(),
        "fetched once the interval passed"
    );
    assert_eq!(idp.fetches(), 2);
    assert!(
        whoami(&url, &before).await.is_ok(),
        "the old key is still published"
    );
    idp.retire(&old_kid);
}

#[tokio::test]
async fn revoked_tokens_are_refused_ours_and_the_providers() {
    let idp = IdentityProvider::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config {
        data_dir: dir.path().to_owned(),
        oidc: Some(oidc(&idp)),
        ..Config::default()
    };
    let ours = SigningKey::development(dir.path()).expect("our key");
    let verifier = Arc::new(Verifier::from_config(&config).expect("verifier"));
    let revocations = verifier.revocations().clone();
    let url = serve(verifier).await;

    let customer = GlobalId::encode("Customer", 3);
    let (first, first_claims) = our_token(&ours, &customer);
    let (second, _) = our_token(&ours, &customer);
    revocations
        .revoke_token(
            first_claims.jti.as_deref().expect("a jti"),
            first_claims.exp,
        )
        .await
        .expect("revokes");
    assert_eq!(
        whoami(&url, &first).await,
        Err("UNAUTHENTICATED".to_owned())
    );
    assert!(whoami(&url, &second).await.is_ok(), "only that token");

    let provider_claims = claims(
        &idp,
        "kc-admin",
        json!({ "realm_access": { "roles": ["shop-admin"] } }),
    );
    let provider = idp.sign(Alg::Es256, &provider_claims);
    assert!(whoami(&url, &provider).await.is_ok());
    let now = chrono::Utc::now().timestamp();
    revocations
        .revoke_subject("kc-admin", now + 1, 3600)
        .await
        .expect("revokes");
    assert_eq!(
        whoami(&url, &provider).await,
        Err("UNAUTHENTICATED".to_owned())
    );
    // Revoking our customer covers the provider's tokens linked to them too.
    let linked = idp.sign(
        Alg::Rs256,
        &claims(
            &idp,
            "kc-shopper",
            json!({ "commerce": { "customer_id": customer } }),
        ),
    );
    assert!(whoami(&url, &linked).await.is_ok());
    revocations
        .revoke_subject(&customer, now + 1, 3600)
        .await
        .expect("revokes");
    assert_eq!(
        whoami(&url, &linked).await,
        Err("UNAUTHENTICATED".to_owned())
    );
    assert_eq!(
        whoami(&url, &second).await,
        Err("UNAUTHENTICATED".to_owned())
    );
}
