//! Access tokens shared by every subgraph: Ed25519-signed JWTs (`alg: EdDSA`) that the customers
//! subgraph issues and every subgraph verifies on its own, from a JWKS URL or a public key file,
//! so no service shares a secret. Turns `Authorization: Bearer ...` into a [`Viewer`].
//!
//! Keys, in order of precedence (see the README's configuration table):
//! - verifying: `jwks_url` (fetched lazily, cached, fetched again on an unknown `kid`), else
//!   `jwt_public_key_path`, else the public half of `jwt_private_key_path`, else the public
//!   half of the development key, read when the first token arrives (verifiers never create it);
//! - signing: `jwt_private_key_path`, else the development key: `<data_dir>/dev-jwt-ed25519.pem`,
//!   generated on first use by whichever service starts first, so one machine shares one key.
//!
//! Every token carries a `jti`, so it can be revoked before it expires: the verifier refuses a
//! token the shared deny list names, by id or by its subject ([`commerce_revocation`]). Tokens
//! of an external OpenID Connect provider are accepted beside ours when `oidc` is configured
//! ([`oidc`]); see `docs/identity.md`.
//!
//! Service tokens ([`ServiceTokens`]) let one subgraph call another's internal operations. They
//! are signed with a separate key that every subgraph holds (`service_key_path`, else
//! `<data_dir>/dev-service-ed25519.pem`), live a minute, and are the only tokens that become a
//! [`Viewer::Service`]: a customer or staff token can never pass for one, and a token signed with
//! the service key can never pass for a customer or staff member.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
pub use commerce_revocation::{DenyList, Token};
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePrivateKey};
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, RwLock};

use crate::config::Config;
use crate::error::{ErrorCode, KernelError};
use crate::viewer::Viewer;

mod oidc;

/// File name of the development signing key under `data_dir`.
pub const DEV_KEY_FILE: &str = "dev-jwt-ed25519.pem";

/// File name of the development service-token key under `data_dir`.
pub const DEV_SERVICE_KEY_FILE: &str = "dev-service-ed25519.pem";

/// How long a service token is valid: long enough for one call and its retries.
const SERVICE_TOKEN_TTL_SECONDS: i64 = 60;

/// What kind of account a token speaks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SubjectKind {
    Customer,
    Staff,
    Service,
}

/// The claims of an access token. `sub` is the account's global id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    pub kind: SubjectKind,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
    /// The token's own id, for revoking it alone; tokens issued before ids were added have
    /// none (they can still be revoked with their subject).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jti: Option<String>,
    /// Customer group codes; empty for staff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// Staff permissions; empty for customers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub permissions: Vec<String>,
}

impl AccessClaims {
    pub fn into_viewer(self) -> Viewer {
        match self.kind {
            SubjectKind::Customer => Viewer::Customer {
                id: self.sub,
                groups: self.groups,
            },
            SubjectKind::Staff => Viewer::Staff {
                id: self.sub,
                permissions: self.permissions,
            },
            SubjectKind::Service => Viewer::Service { name: self.sub },
        }
    }
}

/// The verified access token a request carries: what revoking it needs (the kernel's server
/// puts it beside the [`Viewer`] in the GraphQL context of a request with a token).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    /// Its `jti`, when it has one.
    pub id: Option<String>,
    /// Its `sub`: our account's global id, or the provider's subject.
    pub subject: String,
    /// Its `exp` (unix seconds).
    pub expires_at: i64,
}

/// An Ed25519 public key with its key id (`kid`), as published in the JWKS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicKey {
    kid: String,
    bytes: [u8; 32],
}

impl PublicKey {
    fn new(key: &ed25519_dalek::VerifyingKey) -> Self {
        let bytes = key.to_bytes();
        // The kid is derived from the key, so every service names the same key the same way.
        let kid = URL_SAFE_NO_PAD.encode(&Sha256::digest(bytes)[..12]);
        Self { kid, bytes }
    }

    /// Reads a PEM `PUBLIC KEY` (SPKI) file.
    pub fn from_pem_file(path: &Path) -> anyhow::Result<Self> {
        let pem = read_key_file(path)?;
        let key = ed25519_dalek::VerifyingKey::from_public_key_pem(&pem)
            .with_context(|| format!("{} is not an Ed25519 public key", path.display()))?;
        Ok(Self::new(&key))
    }

    /// The previous signing key of a rotation (`jwt_previous_key_path`): a PEM public key, or
    /// the old private key, of which only the public half is kept.
    pub fn previous(config: &Config) -> anyhow::Result<Option<Self>> {
        let Some(path) = &config.jwt_previous_key_path else {
            return Ok(None);
        };
        let pem = read_key_file(path)?;
        let key = match ed25519_dalek::VerifyingKey::from_public_key_pem(&pem) {
            Ok(key) => key,
            Err(_) => ed25519_dalek::SigningKey::from_pkcs8_pem(&pem)
                .with_context(|| format!("{} is not an Ed25519 key", path.display()))?
                .verifying_key(),
        };
        Ok(Some(Self::new(&key)))
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The key as a JWK (`kty: OKP`, `crv: Ed25519`).
    pub fn jwk(&self) -> serde_json::Value {
        serde_json::json!({
            "kty": "OKP",
            "crv": "Ed25519",
            "alg": "EdDSA",
            "use": "sig",
            "kid": self.kid,
            "x": URL_SAFE_NO_PAD.encode(self.bytes),
        })
    }

    fn decoding_key(&self) -> DecodingKey {
        DecodingKey::from_ed_der(&self.bytes)
    }
}

/// The JWKS document (`/.well-known/jwks.json`) publishing `keys`.
pub fn jwks(keys: &[PublicKey]) -> serde_json::Value {
    serde_json::json!({ "keys": keys.iter().map(PublicKey::jwk).collect::<Vec<_>>() })
}

/// The private key that signs access tokens; only the issuing service holds one.
pub struct SigningKey {
    encoding: EncodingKey,
    public: PublicKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.public.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    fn new(key: &ed25519_dalek::SigningKey) -> anyhow::Result<Self> {
        let der = key.to_pkcs8_der().context("encoding the signing key")?;
        Ok(Self {
            encoding: EncodingKey::from_ed_der(der.as_bytes()),
            public: PublicKey::new(&key.verifying_key()),
        })
    }

    /// A fresh random key (tests, and the development key).
    pub fn generate() -> anyhow::Result<Self> {
        Self::new(&ed25519_dalek::SigningKey::from_bytes(&rand::random()))
    }

    /// Reads a PEM `PRIVATE KEY` (PKCS#8) file, as `openssl genpkey -algorithm ed25519` writes.
    pub fn from_pem_file(path: &Path) -> anyhow::Result<Self> {
        let pem = read_key_file(path)?;
        let key = ed25519_dalek::SigningKey::from_pkcs8_pem(&pem)
            .with_context(|| format!("{} is not an Ed25519 private key", path.display()))?;
        Self::new(&key)
    }

    /// The configured key, or the development key under `data_dir` (created if missing).
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        match &config.jwt_private_key_path {
            Some(path) => Self::from_pem_file(path),
            None => Self::development(&config.data_dir),
        }
    }

    /// Loads `<dir>/dev-jwt-ed25519.pem`, generating it first if no service has yet.
    pub fn development(dir: &Path) -> anyhow::Result<Self> {
        tracing::warn!(
            dir = %dir.display(),
            "signing access tokens with the development key; set jwt_private_key_path in production"
        );
        Self::development_file(&dir.join(DEV_KEY_FILE))
    }

    /// Loads a development key file, generating it first if no service has yet.
    fn development_file(path: &Path) -> anyhow::Result<Self> {
        if !path.exists() {
            write_new_dev_key(path)?;
        }
        Self::from_pem_file(path)
    }

    pub fn public_key(&self) -> &PublicKey {
        &self.public
    }

    /// Signs `claims` into a compact JWT whose header names this key.
    pub fn sign(&self, claims: &AccessClaims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.public.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).context("signing an access token")
    }
}

/// Signs the short-lived tokens with which a subgraph calls another's internal operations.
pub struct ServiceTokens {
    key: SigningKey,
    name: String,
    issuer: String,
    audience: String,
}

impl ServiceTokens {
    /// The configured service key (`service_key_path`), else the development one under
    /// `data_dir`, signing for the service `name`.
    pub fn from_config(config: &Config, name: &str) -> anyhow::Result<Self> {
        Ok(Self {
            key: service_key(config)?,
            name: name.to_owned(),
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
        })
    }

    /// A fresh token naming this service; valid for a minute.
    pub fn issue(&self) -> anyhow::Result<String> {
        let now = unix_now();
        self.key.sign(&AccessClaims {
            sub: self.name.clone(),
            kind: SubjectKind::Service,
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now,
            exp: now + SERVICE_TOKEN_TTL_SECONDS,
            jti: Some(uuid::Uuid::new_v4().to_string()),
            groups: Vec::new(),
            permissions: Vec::new(),
        })
    }
}

pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()
        .and_then(|elapsed| i64::try_from(elapsed.as_secs()).ok())
        .unwrap_or_default()
}

fn service_key(config: &Config) -> anyhow::Result<SigningKey> {
    match &config.service_key_path {
        Some(path) => SigningKey::from_pem_file(path),
        None => SigningKey::development_file(&config.data_dir.join(DEV_SERVICE_KEY_FILE)),
    }
}

fn read_key_file(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading the key {}", path.display()))
}

/// Writes a new key beside `path` and links it into place, so two services starting at once
/// never overwrite each other's key: the loser of the race reads the winner's.
fn write_new_dev_key(path: &Path) -> anyhow::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let key = ed25519_dalek::SigningKey::from_bytes(&rand::random());
    let pem = key
        .to_pkcs8_pem(LineEnding::LF)
        .context("encoding the development key")?;
    let mut temp = tempfile_in(dir)?;
    temp.1.write_all(pem.as_bytes())?;
    temp.1.sync_all()?;
    let linked = std::fs::hard_link(&temp.0, path);
    std::fs::remove_file(&temp.0).ok();
    match linked {
        Err(error) if error.kind() != std::io::ErrorKind::AlreadyExists => {
            Err(error).with_context(|| format!("writing {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// A new file only its owner may read.
fn tempfile_in(dir: &Path) -> anyhow::Result<(PathBuf, std::fs::File)> {
    let path = dir.join(format!(".{DEV_KEY_FILE}.{}", rand::random::<u64>()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    Ok((path, file))
}

/// Verifies access tokens and turns requests into viewers. Cheap to share behind an `Arc`.
pub struct Verifier {
    keys: KeySource,
    validation: Validation,
    /// The service-token key: tokens it signed are services, and only those are.
    service: Option<PublicKey>,
    /// The external provider whose tokens are accepted too, if any.
    oidc: Option<oidc::Provider>,
    revocations: Arc<DenyList>,
}

enum KeySource {
    Fixed(HashMap<String, DecodingKey>),
    Jwks(JwksCache),
    /// The development key file, read once it exists (the issuer creates it).
    DevFile(PathBuf, RwLock<Option<PublicKey>>),
}

impl Verifier {
    /// Verifies tokens signed by one of `keys`, for `issuer` and `audience`.
    pub fn with_keys(keys: &[PublicKey], issuer: &str, audience: &str) -> Self {
        let keys = keys
            .iter()
            .map(|key| (key.kid.clone(), key.decoding_key()))
            .collect();
        Self {
            keys: KeySource::Fixed(keys),
            validation: validation(issuer, audience),
            service: None,
            oidc: None,
            revocations: DenyList::in_process(),
        }
    }

    /// Refuses the tokens `revocations` names (by default a list of its own, which nothing
    /// writes to).
    pub fn with_revocations(mut self, revocations: Arc<DenyList>) -> Self {
        self.revocations = revocations;
        self
    }

    /// The deny list this verifier checks, to revoke tokens in it.
    pub fn revocations(&self) -> &Arc<DenyList> {
        &self.revocations
    }

    /// Also accepts the access tokens of the OpenID Connect provider `config` describes.
    pub fn with_oidc(mut self, config: &crate::config::OidcConfig) -> anyhow::Result<Self> {
        self.oidc = Some(oidc::Provider::new(config)?);
        Ok(self)
    }

    /// Also accepts service tokens signed by `key` (see [`ServiceTokens`]).
    pub fn with_service_key(mut self, key: PublicKey) -> Self {
        self.service = Some(key);
        self
    }

    /// Verifies tokens against the JWKS at `url`, fetched on first use and again when a token
    /// names an unknown key, at most once per `min_refresh`.
    pub fn with_jwks_url(url: &str, issuer: &str, audience: &str, min_refresh: Duration) -> Self {
        Self {
            keys: KeySource::Jwks(JwksCache::new(url, min_refresh)),
            validation: validation(issuer, audience),
            service: None,
            oidc: None,
            revocations: DenyList::in_process(),
        }
    }

    /// The verifier the configuration asks for (see the module docs for the precedence); it
    /// accepts service tokens signed with the configured service key and the `oidc` provider's
    /// tokens, and checks the process's deny list ([`revocations`]).
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let (issuer, audience) = (&config.jwt_issuer, &config.jwt_audience);
        let previous = PublicKey::previous(config)?;
        let with_previous = |current: PublicKey| {
            let keys: Vec<PublicKey> = std::iter::once(current).chain(previous.clone()).collect();
            Self::with_keys(&keys, issuer, audience)
        };
        let mut verifier = if let Some(url) = &config.jwks_url {
            Self::with_jwks_url(url, issuer, audience, Duration::from_secs(10))
        } else {
            match (&config.jwt_public_key_path, &config.jwt_private_key_path) {
                (Some(path), _) => with_previous(PublicKey::from_pem_file(path)?),
                (None, Some(path)) => with_previous(SigningKey::from_pem_file(path)?.public),
                (None, None) => Self {
                    keys: KeySource::DevFile(config.data_dir.join(DEV_KEY_FILE), RwLock::default()),
                    validation: validation(issuer, audience),
                    service: None,
                    oidc: None,
                    revocations: DenyList::in_process(),
                },
            }
        };
        if let Some(oidc) = &config.oidc {
            anyhow::ensure!(
                oidc.issuer != config.jwt_issuer,
                "oidc.issuer must differ from jwt_issuer: the issuer tells whose token it is"
            );
            verifier = verifier.with_oidc(oidc)?;
        }
        Ok(verifier
            .with_service_key(service_key(config)?.public)
            .with_revocations(revocations(config)))
    }

    /// Checks the signature, expiry, issuer and audience of one of our tokens, and that it
    /// was not revoked.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, KernelError> {
        let claims = self.verify_signature(token).await?;
        if claims.kind != SubjectKind::Service {
            self.check_revocation(Token {
                id: claims.jti.as_deref(),
                subject: &claims.sub,
                issued_at: Some(claims.iat),
            })?;
        }
        Ok(claims)
    }

    /// The viewer a bearer token stands for, with the token's credential: one of ours, or the
    /// OpenID Connect provider's when its `iss` names it.
    pub async fn verify_viewer(&self, token: &str) -> Result<(Viewer, Credential), KernelError> {
        match self.oidc.as_ref().filter(|provider| provider.issued(token)) {
            Some(provider) => {
                let verified = provider.verify(token).await?;
                self.check_revocation(verified.token())?;
                if let Some(linked) = verified.viewer_token() {
                    self.check_revocation(linked)?;
                }
                Ok(verified.into_parts())
            }
            None => {
                let claims = self.verify(token).await?;
                let credential = Credential {
                    id: claims.jti.clone(),
                    subject: claims.sub.clone(),
                    expires_at: claims.exp,
                };
                Ok((claims.into_viewer(), credential))
            }
        }
    }

    fn check_revocation(&self, token: Token<'_>) -> Result<(), KernelError> {
        if self.revocations.is_revoked(&token) {
            return Err(KernelError::new(
                ErrorCode::Unauthenticated,
                "the access token has been revoked",
            ));
        }
        Ok(())
    }

    async fn verify_signature(&self, token: &str) -> Result<AccessClaims, KernelError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid_token())?;
        let kid = header.kid.ok_or_else(invalid_token)?;
        if let Some(service) = self.service.as_ref().filter(|key| key.kid == kid) {
            return self
                .decode(token, &service.decoding_key())
                .and_then(|claims| match claims.kind {
                    SubjectKind::Service => Ok(claims),
                    _ => Err(invalid_token()),
                });
        }
        let key = match &self.keys {
            KeySource::Fixed(keys) => keys.get(&kid).cloned(),
            KeySource::Jwks(cache) => cache.key(&kid).await?,
            KeySource::DevFile(path, loaded) => dev_key(path, loaded)
                .await
                .filter(|key| key.kid == kid)
                .map(|key| key.decoding_key()),
        };
        let key = key.ok_or_else(invalid_token)?;
        self.decode(token, &key)
            .and_then(|claims| match claims.kind {
                SubjectKind::Service => Err(invalid_token()),
                _ => Ok(claims),
            })
    }

    fn decode(&self, token: &str, key: &DecodingKey) -> Result<AccessClaims, KernelError> {
        jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => {
                    KernelError::new(ErrorCode::Unauthenticated, "the access token has expired")
                }
                _ => invalid_token(),
            })
    }

    /// The request's viewer: `Anonymous` without an `Authorization` header, an
    /// `UNAUTHENTICATED` error for anything but a valid bearer token.
    pub async fn viewer(&self, headers: &HeaderMap) -> Result<Viewer, KernelError> {
        self.authenticate(headers).await.map(|(viewer, _)| viewer)
    }

    /// Like [`Verifier::viewer`], with the credential of the request's token, if it has one.
    pub async fn authenticate(
        &self,
        headers: &HeaderMap,
    ) -> Result<(Viewer, Option<Credential>), KernelError> {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Ok((Viewer::Anonymous, None));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|value| value.split_once(' '))
            .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.is_empty())
            .map(|(_, token)| token.trim())
            .ok_or_else(|| {
                KernelError::new(
                    ErrorCode::Unauthenticated,
                    "the Authorization header must be `Bearer <access token>`",
                )
            })?;
        let (viewer, credential) = self.verify_viewer(token).await?;
        Ok((viewer, Some(credential)))
    }
}

/// The development public key, read from its file the first time it exists.
async fn dev_key(path: &Path, loaded: &RwLock<Option<PublicKey>>) -> Option<PublicKey> {
    if let Some(key) = loaded.read().await.as_ref() {
        return Some(key.clone());
    }
    match SigningKey::from_pem_file(path) {
        Ok(key) => {
            *loaded.write().await = Some(key.public.clone());
            Some(key.public)
        }
        Err(error) => {
            tracing::debug!(error = %format!("{error:#}"), "no development key to verify with yet");
            None
        }
    }
}

/// The deny list of this process for the configuration's shop (`events_namespace`): shared
/// through Redis when `redis_url` is set, else in-process.
pub fn revocations(config: &Config) -> Arc<DenyList> {
    DenyList::shared(config.redis_url.as_deref(), &config.events_namespace)
}

fn validation(issuer: &str, audience: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[audience]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    // Clocks of the issuer and the verifiers may drift a little.
    validation.leeway = 30;
    validation
}

pub(crate) fn invalid_token() -> KernelError {
    KernelError::new(ErrorCode::Unauthenticated, "invalid access token")
}

/// The keys of a remote JWKS, kept until a token names a key it does not have.
struct JwksCache {
    url: String,
    http: reqwest::Client,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// When the keys were last fetched; the lock also makes concurrent misses fetch once.
    fetched_at: Mutex<Option<Instant>>,
    min_refresh: Duration,
}

impl JwksCache {
    fn new(url: &str, min_refresh: Duration) -> Self {
        Self {
            url: url.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap_or_default(),
            keys: RwLock::default(),
            fetched_at: Mutex::default(),
            min_refresh,
        }
    }

    async fn key(&self, kid: &str) -> Result<Option<DecodingKey>, KernelError> {
        if let Some(key) = self.keys.read().await.get(kid) {
            return Ok(Some(key.clone()));
        }
        let mut fetched_at = self.fetched_at.lock().await;
        // Another request may have fetched while this one waited for the lock.
        if let Some(key) = self.keys.read().await.get(kid) {
            return Ok(Some(key.clone()));
        }
        if fetched_at.is_some_and(|at| at.elapsed() < self.min_refresh) {
            return Ok(None);
        }
        let keys = self.fetch().await.map_err(|error| {
            tracing::error!(url = %self.url, error = %format!("{error:#}"), "fetching the JWKS failed");
            KernelError::new(
                ErrorCode::InternalServerError,
                "access tokens cannot be verified right now",
            )
        })?;
        *fetched_at = Some(Instant::now());
        let found = keys.get(kid).cloned();
        *self.keys.write().await = keys;
        Ok(found)
    }

    async fn fetch(&self) -> anyhow::Result<HashMap<String, DecodingKey>> {
        let set: JwkSet = self
            .http
            .get(&self.url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        Ok(set
            .keys
            .iter()
            .filter_map(|jwk| {
                let kid = jwk.common.key_id.clone()?;
                DecodingKey::from_jwk(jwk).ok().map(|key| (kid, key))
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::HeaderValue;

    use super::*;

    const ISSUER: &str = "commerce";
    const AUDIENCE: &str = "commerce";

    fn claims(kind: SubjectKind, exp_in: i64) -> AccessClaims {
        let now = unix_now();
        AccessClaims {
            sub: "Q3VzdG9tZXI6MQ".into(),
            kind,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            iat: now,
            exp: now + exp_in,
            jti: Some(uuid::Uuid::new_v4().to_string()),
            groups: vec!["vip".into()],
            permissions: vec![],
        }
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let value = HeaderValue::from_str(&format!("Bearer {token}")).expect("ascii");
        headers.insert(AUTHORIZATION, value);
        headers
    }

    fn code(result: Result<Viewer, KernelError>) -> Result<Viewer, ErrorCode> {
        result.map_err(|error| error.code)
    }

    #[tokio::test]
    async fn turns_a_valid_token_into_its_viewer_and_no_header_into_anonymous() {
        let key = SigningKey::generate().expect("key");
        let verifier = Verifier::with_keys(&[key.public_key().clone()], ISSUER, AUDIENCE);
        let token = key.sign(&claims(SubjectKind::Customer, 60)).expect("signs");
        let viewer = verifier.viewer(&bearer(&token)).await;
        assert_eq!(
            code(viewer),
            Ok(Viewer::Customer {
                id: "Q3VzdG9tZXI6MQ".into(),
                groups: vec!["vip".into()]
            })
        );
        let anonymous = verifier.viewer(&HeaderMap::new()).await;
        assert_eq!(code(anonymous), Ok(Viewer::Anonymous));
    }

    #[tokio::test]
    async fn rejects_expired_tampered_foreign_and_malformed_tokens() {
        let key = SigningKey::generate().expect("key");
        let verifier = Verifier::with_keys(&[key.public_key().clone()], ISSUER, AUDIENCE);
        let expired = key
            .sign(&claims(SubjectKind::Customer, -120))
            .expect("signs");
        let valid = key.sign(&claims(SubjectKind::Staff, 60)).expect("signs");
        let (head, rest) = valid.split_once('.').expect("three parts");
        let (_, signature) = rest.split_once('.').expect("three parts");
        let forged_payload = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&AccessClaims {
                permissions: vec!["catalog:write".into()],
                ..claims(SubjectKind::Staff, 60)
            })
            .expect("json"),
        );
        let tampered = format!("{head}.{forged_payload}.{signature}");
        let foreign = SigningKey::generate()
            .expect("key")
            .sign(&claims(SubjectKind::Customer, 60))
            .expect("signs");
        let mut wrong_audience = claims(SubjectKind::Customer, 60);
        wrong_audience.aud = "elsewhere".into();
        let wrong_audience = key.sign(&wrong_audience).expect("signs");
        for token in [&expired, &tampered, &foreign, &wrong_audience, "garbage"] {
            let result = verifier.viewer(&bearer(token)).await;
            assert_eq!(code(result), Err(ErrorCode::Unauthenticated), "{token}");
        }
        let mut basic = HeaderMap::new();
        basic.insert(
            AUTHORIZATION,
            HeaderValue::from_static("Basic dXNlcjpwdw=="),
        );
        let result = verifier.viewer(&basic).await;
        assert_eq!(code(result), Err(ErrorCode::Unauthenticated));
    }

    #[tokio::test]
    async fn the_development_key_is_generated_once_by_the_issuer_and_read_by_verifiers() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        // A verifier started before the issuer creates nothing and accepts nothing yet.
        let verifier = Verifier::from_config(&config).expect("dev verifier");
        assert!(!dir.path().join(DEV_KEY_FILE).exists());
        let foreign = SigningKey::generate().expect("key");
        let token = foreign
            .sign(&claims(SubjectKind::Customer, 60))
            .expect("signs");
        assert!(verifier.verify(&token).await.is_err());

        let first = SigningKey::development(dir.path()).expect("generates");
        let second = SigningKey::development(dir.path()).expect("loads");
        assert_eq!(first.public_key(), second.public_key());
        let token = first
            .sign(&claims(SubjectKind::Customer, 60))
            .expect("signs");
        assert!(verifier.verify(&token).await.is_ok());
    }

    /// Serves the current JWKS on a free port and counts fetches.
    async fn jwks_server(
        keys: Arc<std::sync::Mutex<Vec<PublicKey>>>,
    ) -> (String, Arc<AtomicUsize>) {
        let fetches = Arc::new(AtomicUsize::new(0));
        let counter = fetches.clone();
        let app = axum::Router::new().route(
            "/jwks.json",
            axum::routing::get(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                let body = jwks(&keys.lock().expect("not poisoned"));
                async move { axum::Json(body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/jwks.json"), fetches)
    }

    #[tokio::test]
    async fn fetches_the_jwks_lazily_caches_it_and_refetches_on_an_unknown_kid() {
        let old = SigningKey::generate().expect("key");
        let keys = Arc::new(std::sync::Mutex::new(vec![old.public_key().clone()]));
        let (url, fetches) = jwks_server(keys.clone()).await;
        let verifier = Verifier::with_jwks_url(&url, ISSUER, AUDIENCE, Duration::ZERO);
        assert_eq!(fetches.load(Ordering::SeqCst), 0, "no fetch before a token");

        for _ in 0..3 {
            let token = old.sign(&claims(SubjectKind::Customer, 60)).expect("signs");
            assert!(verifier.verify(&token).await.is_ok());
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1, "cached after the first");

        let rotated = SigningKey::generate().expect("key");
        keys.lock()
            .expect("not poisoned")
            .push(rotated.public_key().clone());
        let token = rotated
            .sign(&claims(SubjectKind::Customer, 60))
            .expect("signs");
        assert!(verifier.verify(&token).await.is_ok());
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "refetched for the new kid"
        );
    }

    #[tokio::test]
    async fn service_tokens_are_services_and_only_they_are() {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = Config {
            data_dir: dir.path().to_owned(),
            ..Config::default()
        };
        let tokens = ServiceTokens::from_config(&config, "checkout").expect("service key");
        let verifier = Verifier::from_config(&config).expect("verifier");
        let viewer = verifier
            .viewer(&bearer(&tokens.issue().expect("token")))
            .await;
        assert_eq!(
            code(viewer),
            Ok(Viewer::Service {
                name: "checkout".into()
            })
        );
        // A staff token signed with the service key is refused, and a service claim signed
        // with the users' key too: neither key can stand in for the other.
        let staff_by_service_key = tokens
            .key
            .sign(&claims(SubjectKind::Staff, 60))
            .expect("signs");
        let refused = verifier.viewer(&bearer(&staff_by_service_key)).await;
        assert_eq!(code(refused), Err(ErrorCode::Unauthenticated));
        let users = SigningKey::development(dir.path()).expect("users' key");
        let service_by_users_key = users
            .sign(&claims(SubjectKind::Service, 60))
            .expect("signs");
        let refused = verifier.viewer(&bearer(&service_by_users_key)).await;
        assert_eq!(code(refused), Err(ErrorCode::Unauthenticated));
    }
}
