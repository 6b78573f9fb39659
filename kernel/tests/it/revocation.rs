//! Revocation across instances through a real Redis: two subgraph instances, each with its own
//! copy of the deny list; a token one of them revokes is refused by the other within a bound,
//! and an instance started later knows it from the start.

use std::sync::Arc;
use std::time::{Duration, Instant};

use commerce_kernel::GlobalId;
use commerce_kernel::auth::{AccessClaims, DenyList, SigningKey, SubjectKind, Verifier};

use crate::identity::{serve, whoami};

/// How soon another instance must refuse a revoked token (a Redis round trip and a pub/sub
/// message in practice: a few milliseconds).
const BOUND: Duration = Duration::from_secs(1);

fn token(key: &SigningKey, sub: &str) -> (String, AccessClaims) {
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

async fn instance(key: &SigningKey, redis: &str, namespace: &str) -> (String, Arc<DenyList>) {
    let list = DenyList::connect(redis, namespace).await.expect("Redis");
    let verifier = Verifier::with_keys(&[key.public_key().clone()], "commerce", "commerce")
        .with_revocations(list.clone());
    (serve(Arc::new(verifier)).await, list)
}

/// Polls `url` with `token` until it is refused; how long that took.
async fn refused_within(url: &str, token: &str, bound: Duration) -> Duration {
    let started = Instant::now();
    loop {
        match whoami(url, token).await {
            Err(code) => {
                assert_eq!(code, "UNAUTHENTICATED");
                return started.elapsed();
            }
            Ok(_) if started.elapsed() > bound => panic!("still accepted after {bound:?}"),
            Ok(_) => tokio::time::sleep(Duration::from_millis(2)).await,
        }
    }
}

#[tokio::test]
async fn a_token_revoked_on_one_instance_is_refused_by_another_within_a_second() {
    let redis = commerce_testkit::redis_url().await;
    let namespace = format!("revocation-{}", uuid::Uuid::new_v4());
    let key = SigningKey::generate().expect("key");
    let (first, first_list) = instance(&key, &redis, &namespace).await;
    let (second, _) = instance(&key, &redis, &namespace).await;
    let customer = GlobalId::encode("Customer", 1);
    let (revoked, claims) = token(&key, &customer);
    let (kept, _) = token(&key, &customer);
    assert!(whoami(&first, &revoked).await.is_ok());
    assert!(whoami(&second, &revoked).await.is_ok());

    first_list
        .revoke_token(claims.jti.as_deref().expect("a jti"), claims.exp)
        .await
        .expect("revokes");
    assert_eq!(
        whoami(&first, &revoked).await,
        Err("UNAUTHENTICATED".into())
    );
    let took = refused_within(&second, &revoked, BOUND).await;
    eprintln!("the other instance refused the revoked token after {took:?}");
    assert!(whoami(&second, &kept).await.is_ok(), "only that token");

    // A subject's tokens issued until now: every one of them, on every instance.
    let now = chrono::Utc::now().timestamp();
    first_list
        .revoke_subject(&customer, now + 1, 900)
        .await
        .expect("revokes");
    let took = refused_within(&second, &kept, BOUND).await;
    eprintln!("the other instance refused the subject's token after {took:?}");

    // An instance that starts afterwards loads the list before serving.
    let (third, _) = instance(&key, &redis, &namespace).await;
    assert_eq!(
        whoami(&third, &revoked).await,
        Err("UNAUTHENTICATED".into())
    );
    assert_eq!(whoami(&third, &kept).await, Err("UNAUTHENTICATED".into()));
    let other = GlobalId::encode("Customer", 2);
    assert!(whoami(&third, &token(&key, &other).0).await.is_ok());
}

#[tokio::test]
async fn shops_sharing_a_redis_keep_their_lists_apart() {
    let redis = commerce_testkit::redis_url().await;
    let key = SigningKey::generate().expect("key");
    let (shop_a, list_a) = instance(&key, &redis, &format!("a-{}", uuid::Uuid::new_v4())).await;
    let (shop_b, _) = instance(&key, &redis, &format!("b-{}", uuid::Uuid::new_v4())).await;
    let (token, claims) = token(&key, &GlobalId::encode("Customer", 1));
    list_a
        .revoke_token(claims.jti.as_deref().expect("a jti"), claims.exp)
        .await
        .expect("revokes");
    assert_eq!(whoami(&shop_a, &token).await, Err("UNAUTHENTICATED".into()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(whoami(&shop_b, &token).await.is_ok());
}
