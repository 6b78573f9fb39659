//! Bearer JWTs checked against JSON Web Key Sets: files read at start; URLs fetched at start,
//! every `jwks_refresh_secs`, every 5 s while a fetch fails (keeping the keys they had), and
//! when a token names a key not seen yet. A verified token is refused when the shared deny list
//! names its `jti` or its `sub` (revoked before it expires); its scopes are the values of the
//! `scope_claims`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use arc_swap::ArcSwap;
use http::{HeaderMap, Uri};
use http_body_util::BodyExt;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use commerce_revocation::{DenyList, Token};

use super::AuthContext;
use crate::config::JwtConfig;
use crate::executor::client::HttpClient;

struct Key {
    id: Option<String>,
    /// The algorithm the key is for, when its JWK says.
    algorithm: Option<Algorithm>,
    key: DecodingKey,
}

fn keys(set: &JwkSet) -> Vec<Key> {
    set.keys
        .iter()
        .filter_map(|jwk: &Jwk| {
            let key = DecodingKey::from_jwk(jwk).ok()?;
            let algorithm = jwk
                .common
                .key_algorithm
                .and_then(|a| a.to_string().parse::<Algorithm>().ok());
            Some(Key {
                id: jwk.common.key_id.clone(),
                algorithm,
                key,
            })
        })
        .collect()
}

pub struct Authenticator {
    config: JwtConfig,
    file_keys: Vec<Key>,
    urls: Vec<Uri>,
    /// Per URL, the keys of its last successful fetch.
    url_keys: Vec<ArcSwap<Vec<Key>>>,
    http: HttpClient,
    /// Claims every token must have (`exp`, and `iss`/`aud` when configured); the algorithm
    /// is each token's, checked against its key.
    validation: Validation,
    /// When the URLs were last fetched; held while fetching, so fetches never overlap.
    fetched_at: tokio::sync::Mutex<Option<Instant>>,
    revocations: Arc<DenyList>,
}

/// How soon after a fetch a token with an unknown key may cause another (key rotation).
const UNKNOWN_KEY_REFETCH: Duration = Duration::from_secs(5);

enum Rejection {
    /// No key has the token's `kid` (or, without one, its algorithm).
    UnknownKey,
    Invalid(String),
}

impl Authenticator {
    /// Reads the key files (a bad file is an error) and starts fetching the URLs: at once, then
    /// every `jwks_refresh_secs`, and every 5 s while a fetch fails.
    pub fn new(config: JwtConfig, http: HttpClient) -> anyhow::Result<Arc<Self>> {
        let mut file_keys = Vec::new();
        for path in &config.jwks_files {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading JWKS {}", path.display()))?;
            let set: JwkSet = serde_json::from_str(&text)
                .with_context(|| format!("parsing JWKS {}", path.display()))?;
            let found = keys(&set);
            anyhow::ensure!(
                !found.is_empty(),
                "JWKS {} has no usable key",
                path.display()
            );
            file_keys.extend(found);
        }
        let urls = config
            .jwks_urls
            .iter()
            .map(|u| {
                u.parse::<Uri>()
                    .with_context(|| format!("invalid JWKS URL {u:?}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(
            !file_keys.is_empty() || !urls.is_empty(),
            "authentication.jwt needs jwks_files or jwks_urls"
        );
        let mut validation = Validation::default();
        validation.set_required_spec_claims(&["exp"]);
        validation.leeway = config.leeway_secs;
        if config.issuers.is_empty() {
            validation.iss = None;
        } else {
            validation.set_issuer(&config.issuers);
        }
        if config.audiences.is_empty() {
            validation.validate_aud = false;
        } else {
            validation.set_audience(&config.audiences);
        }
        let authenticator = Arc::new(Self {
            validation,
            url_keys: urls
                .iter()
                .map(|_| ArcSwap::from_pointee(Vec::new()))
                .collect(),
            urls,
            file_keys,
            http,
            fetched_at: tokio::sync::Mutex::new(None),
            revocations: DenyList::shared(
                config.revocation_redis_url.as_deref(),
                &config.revocation_namespace,
            ),
            config,
        });
        if !authenticator.urls.is_empty() {
            let runtime = tokio::runtime::Handle::try_current()
                .context("fetching JWKS URLs needs a Tokio runtime")?;
            let weak = Arc::downgrade(&authenticator);
            let every = Duration::from_secs(authenticator.config.jwks_refresh_secs.max(1));
            runtime.spawn(async move {
                loop {
                    let Some(authenticator) = weak.upgrade() else {
                        return;
                    };
                    let fetched = authenticator.fetch_keys(Duration::ZERO).await;
                    drop(authenticator);
                    let retry = if fetched {
                        every
                    } else {
                        every.min(UNKNOWN_KEY_REFETCH)
                    };
                    tokio::time::sleep(retry).await;
                }
            });
        }
        Ok(authenticator)
    }

    /// Fetches every URL unless that was done less than `min_age` ago; `false` when one failed
    /// (its previous keys stay).
    async fn fetch_keys(&self, min_age: Duration) -> bool {
        let mut fetched_at = self.fetched_at.lock().await;
        if fetched_at.is_some_and(|at| at.elapsed() < min_age) {
            return true;
        }
        let mut all = true;
        for (url, slot) in self.urls.iter().zip(&self.url_keys) {
            match fetch(&self.http, url).await {
                Ok(set) => slot.store(Arc::new(keys(&set))),
                Err(reason) => {
                    all = false;
                    tracing::warn!(%url, %reason, "JWKS fetch failed; keeping the keys it had");
                }
            }
        }
        *fetched_at = Some(Instant::now());
        all
    }

    /// Who the request's token says is asking: unauthenticated without a token, an error for a
    /// token that does not verify. A token signed with a key not seen yet (the first request
    /// after a start, or a rotation) waits for the URLs to be fetched again.
    pub async fn authenticate(&self, headers: &HeaderMap) -> Result<AuthContext, String> {
        let Some(value) = headers.get(self.config.header_name.as_str()) else {
            return Ok(AuthContext::default());
        };
        let value = value
            .to_str()
            .map_err(|_| "the authorization header is not text".to_string())?
            .trim();
        let prefix = self.config.header_prefix.as_str();
        let token = if prefix.is_empty() {
            value
        } else {
            match value.split_once(' ') {
                Some((scheme, token)) if scheme.eq_ignore_ascii_case(prefix) => token.trim(),
                _ => return Err(format!("expected '{prefix} <token>'")),
            }
        };
        let verified = match self.verify(token) {
            Err(Rejection::UnknownKey) if !self.urls.is_empty() => {
                self.fetch_keys(UNKNOWN_KEY_REFETCH).await;
                self.verify(token)
            }
            other => other,
        };
        let claims = verified.map_err(|rejection| match rejection {
            Rejection::UnknownKey => "no key matches the token".to_string(),
            Rejection::Invalid(reason) => reason,
        })?;
        let revoked = self.revocations.is_revoked(&Token {
            id: claims["jti"].as_str(),
            // Without a `sub`, only the token's id can be listed ("" is never a subject).
            subject: claims["sub"].as_str().unwrap_or_default(),
            issued_at: claims["iat"].as_i64(),
        });
        if revoked {
            return Err("the token has been revoked".to_string());
        }
        let scopes = self
            .config
            .scope_claims
            .iter()
            .flat_map(|path| strings(&claims, path))
            .collect();
        // `exp` is required, so a verified token has it.
        let exp = claims.get("exp");
        let exp = exp.and_then(serde_json::Value::as_u64).or_else(|| {
            exp.and_then(serde_json::Value::as_f64)
                .map(|exp| exp as u64)
        });
        let expires_at = exp.map(|exp| {
            std::time::UNIX_EPOCH + Duration::from_secs(exp.saturating_add(self.config.leeway_secs))
        });
        Ok(AuthContext {
            authenticated: true,
            scopes,
            expires_at,
            claims: Some(Arc::new(claims)),
        })
    }

    fn verify(&self, token: &str) -> Result<serde_json::Value, Rejection> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| Rejection::Invalid(format!("invalid JWT: {e}")))?;
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        let url_keys: Vec<_> = self.url_keys.iter().map(ArcSwap::load_full).collect();
        let candidates = self
            .file_keys
            .iter()
            .chain(url_keys.iter().flat_map(|k| k.iter()))
            .filter(|k| header.kid.is_none() || k.id == header.kid)
            .filter(|k| k.algorithm.is_none_or(|a| a == header.alg));
        let mut rejection = Rejection::UnknownKey;
        for key in candidates {
            match jsonwebtoken::decode::<serde_json::Value>(token, &key.key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => rejection = Rejection::Invalid(format!("invalid JWT: {e}")),
            }
        }
        Err(rejection)
    }
}

/// The strings at a dotted claim path (`realm_access.roles`): an array's string items, or a
/// space-separated string's words.
fn strings(claims: &serde_json::Value, path: &str) -> Vec<String> {
    let value = path
        .split('.')
        .try_fold(claims, |value, segment| value.get(segment));
    match value {
        Some(serde_json::Value::String(s)) => s.split_whitespace().map(String::from).collect(),
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|s| s.as_str().map(String::from))
            .collect(),
        _ => Vec::new(),
    }
}

async fn fetch(http: &HttpClient, url: &Uri) -> Result<JwkSet, String> {
    let request = http::Request::get(url.clone())
        .body(Default::default())
        .map_err(|e| e.to_string())?;
    let response = tokio::time::timeout(Duration::from_secs(10), http.request(request))
        .await
        .map_err(|_| "timed out".to_string())?
        .map_err(|e| e.to_string())?;
    if !response.status().is_success() {
        return Err(format!("HTTP {}", response.status()));
    }
    let body = response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    serde_json::from_slice(&body).map_err(|e| format!("not a JWKS: {e}"))
}
