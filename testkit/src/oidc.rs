//! A real OpenID Connect provider for tests: RSA (`RS256`) and P-256 (`ES256`) keys generated
//! when it starts, its JWKS served over HTTP on a free port, access tokens signed with any
//! claims, and key rotation (a new key signs, the old stays published until retired).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::pkcs8::EncodePrivateKey;
use rsa::pkcs1::EncodeRsaPrivateKey;
use rsa::rand_core::OsRng;
use rsa::traits::PublicKeyParts;
use serde_json::{Value, json};

/// RSA modulus size. 2048 bits is the least providers use; generating one in an unoptimised
/// test build takes a moment, so each provider makes one RSA key per [`IdentityProvider::rotate`].
const RSA_BITS: usize = 2048;

/// How long the provider's tokens live unless a test says otherwise.
pub const TOKEN_LIFETIME_SECS: i64 = 300;

/// The signature algorithms the provider signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alg {
    Rs256,
    Es256,
}

struct Key {
    kid: String,
    alg: Alg,
    encoding: EncodingKey,
    jwk: Value,
}

impl Key {
    fn generate(alg: Alg) -> Self {
        let kid = uuid::Uuid::new_v4().simple().to_string();
        match alg {
            Alg::Rs256 => {
                let private = rsa::RsaPrivateKey::new(&mut OsRng, RSA_BITS).expect("an RSA key");
                let der = private.to_pkcs1_der().expect("PKCS#1 DER");
                let jwk = json!({
                    "kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
                    "n": URL_SAFE_NO_PAD.encode(private.n().to_bytes_be()),
                    "e": URL_SAFE_NO_PAD.encode(private.e().to_bytes_be()),
                });
                Self {
                    encoding: EncodingKey::from_rsa_der(der.as_bytes()),
                    kid,
                    alg,
                    jwk,
                }
            }
            Alg::Es256 => {
                let private = p256::SecretKey::random(&mut OsRng);
                let der = private.to_pkcs8_der().expect("PKCS#8 DER");
                let point = private.public_key().to_encoded_point(false);
                let coordinate = |c: Option<&p256::FieldBytes>| {
                    URL_SAFE_NO_PAD.encode(c.expect("an uncompressed point"))
                };
                let jwk = json!({
                    "kty": "EC", "use": "sig", "alg": "ES256", "crv": "P-256", "kid": kid,
                    "x": coordinate(point.x()),
                    "y": coordinate(point.y()),
                });
                Self {
                    encoding: EncodingKey::from_ec_der(der.as_bytes()),
                    kid,
                    alg,
                    jwk,
                }
            }
        }
    }
}

/// The provider: its issuer URL (`http://127.0.0.1:<port>/realms/test`), JWKS at
/// `<issuer>/protocol/openid-connect/certs` (Keycloak's layout). Stops with the test's runtime.
pub struct IdentityProvider {
    issuer: String,
    /// Published keys, oldest first; the last of each algorithm signs.
    keys: Arc<Mutex<Vec<Key>>>,
    fetches: Arc<AtomicUsize>,
}

impl IdentityProvider {
    /// Generates an RS256 and an ES256 key and serves their JWKS.
    pub async fn start() -> Self {
        let keys = Arc::new(Mutex::new(vec![
            Key::generate(Alg::Rs256),
            Key::generate(Alg::Es256),
        ]));
        let fetches = Arc::new(AtomicUsize::new(0));
        let app = axum::Router::new().route(
            "/realms/test/protocol/openid-connect/certs",
            axum::routing::get({
                let (keys, fetches) = (keys.clone(), fetches.clone());
                move || {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let jwks: Vec<Value> = lock(&keys).iter().map(|k| k.jwk.clone()).collect();
                    async move { axum::Json(json!({ "keys": jwks })) }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds a free port");
        let addr = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self {
            issuer: format!("http://{addr}/realms/test"),
            keys,
            fetches,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn jwks_url(&self) -> String {
        format!("{}/protocol/openid-connect/certs", self.issuer)
    }

    /// How many times the JWKS was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    /// The claims of a fresh access token for `sub`: `iss`, `sub`, `iat`, `exp`, `jti`.
    pub fn claims(&self, sub: &str) -> Value {
        let now = unix_now();
        json!({
            "iss": self.issuer,
            "sub": sub,
            "iat": now,
            "exp": now + TOKEN_LIFETIME_SECS,
            "jti": uuid::Uuid::new_v4().to_string(),
        })
    }

    /// Signs `claims` with the current key of `alg`.
    pub fn sign(&self, alg: Alg, claims: &Value) -> String {
        let keys = lock(&self.keys);
        let key = keys
            .iter()
            .rev()
            .find(|key| key.alg == alg)
            .expect("a key of each algorithm");
        let mut header = Header::new(match alg {
            Alg::Rs256 => Algorithm::RS256,
            Alg::Es256 => Algorithm::ES256,
        });
        header.kid = Some(key.kid.clone());
        jsonwebtoken::encode(&header, claims, &key.encoding).expect("signs")
    }

    /// Publishes a new key of `alg`, which signs from now on; the old one stays published.
    /// Returns the old key's id.
    pub fn rotate(&self, alg: Alg) -> String {
        let new = Key::generate(alg);
        let mut keys = lock(&self.keys);
        let old = keys
            .iter()
            .rev()
            .find(|key| key.alg == alg)
            .map(|key| key.kid.clone())
            .expect("a key of each algorithm");
        keys.push(new);
        old
    }

    /// Stops publishing the key `kid` (its tokens' lifetime has passed).
    pub fn retire(&self, kid: &str) {
        lock(&self.keys).retain(|key| key.kid != kid);
    }
}

fn lock(keys: &Mutex<Vec<Key>>) -> std::sync::MutexGuard<'_, Vec<Key>> {
    keys.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

fn unix_now() -> i64 {
    let elapsed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970");
    i64::try_from(elapsed.as_secs()).expect("fits")
}
