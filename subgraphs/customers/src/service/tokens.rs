//! Sessions: a short-lived signed access token plus a refresh token that rotates on every use.
//!
//! Each sign-in starts a refresh-token family. Refreshing marks the presented token rotated and
//! issues the next one in the family; presenting a rotated token again means it was stolen (or
//! replayed), so the whole family is revoked. Access tokens live minutes
//! (`Settings::access_ttl`); each carries a `jti`, so logging out revokes it at once through the
//! shared deny list (`service/auth.rs`), and logout stops it being renewed.
//!
//! Key rotation: the issuer signs with the current key and keeps publishing the previous one
//! (`jwt_previous_key_path`) in its JWKS, so tokens signed before the rotation still verify.

use std::time::Duration;

use chrono::{DateTime, Utc};
use commerce_kernel::auth::{AccessClaims, PublicKey, SigningKey, SubjectKind};
use sea_orm::ConnectionTrait;

use super::Account;
use crate::domain::{CustomerError, OpaqueToken};
use crate::store;

/// What a successful sign-in or refresh hands the client.
#[derive(Debug, Clone)]
pub struct Session {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub account: Account,
}

/// What the access token says about the account, read fresh at every issue.
pub struct Entitlements {
    pub groups: Vec<String>,
    pub permissions: Vec<String>,
}

pub struct TokenIssuer {
    key: SigningKey,
    /// The key of before the last rotation, published until its tokens have expired.
    previous: Option<PublicKey>,
    issuer: String,
    audience: String,
    access_ttl: Duration,
    refresh_ttl: Duration,
}

impl TokenIssuer {
    pub fn new(
        key: SigningKey,
        issuer: &str,
        audience: &str,
        access_ttl: Duration,
        refresh_ttl: Duration,
    ) -> Self {
        Self {
            key,
            previous: None,
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            access_ttl,
            refresh_ttl,
        }
    }

    /// Also publishes `previous`, the key of before a rotation.
    pub fn with_previous_key(mut self, previous: Option<PublicKey>) -> Self {
        self.previous = previous;
        self
    }

    /// The JWKS this service publishes: the signing key, and the previous one if any.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<PublicKey> = std::iter::once(self.key.public_key().clone())
            .chain(self.previous.clone())
            .collect();
        commerce_kernel::auth::jwks(&keys)
    }

    /// How long access tokens live.
    pub fn access_ttl(&self) -> Duration {
        self.access_ttl
    }

    /// Signs an access token for `account` valid from `now`.
    pub fn access_token(
        &self,
        account: Account,
        entitlements: Entitlements,
        now: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), CustomerError> {
        let expires_at = now + self.access_ttl;
        let claims = AccessClaims {
            sub: account.global_id(),
            kind: match account {
                Account::Customer(_) => SubjectKind::Customer,
                Account::Staff(_) => SubjectKind::Staff,
            },
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            jti: Some(uuid::Uuid::new_v4().to_string()),
            groups: entitlements.groups,
            permissions: entitlements.permissions,
        };
        Ok((self.key.sign(&claims)?, expires_at))
    }

    /// Issues an access token and the next refresh token of `family`.
    pub async fn issue(
        &self,
        db: &impl ConnectionTrait,
        account: Account,
        family: &str,
        entitlements: Entitlements,
    ) -> Result<Session, CustomerError> {
        let now = Utc::now();
        let refresh = OpaqueToken::generate();
        let refresh_expires_at = now + self.refresh_ttl;
        store::insert_refresh_token(
            db,
            store::NewRefreshToken {
                hash: &refresh.hash,
                family,
                subject: &account.global_id(),
                kind: account.kind(),
                expires_at: refresh_expires_at,
            },
        )
        .await?;
        let (access_token, access_token_expires_at) =
            self.access_token(account, entitlements, now)?;
        Ok(Session {
            access_token,
            access_token_expires_at,
            refresh_token: refresh.secret,
            refresh_token_expires_at: refresh_expires_at,
            account,
        })
    }
}

/// Reads what an account's access token carries: a customer's group codes or a staff
/// member's permissions (the union over their roles).
pub async fn entitlements(
    db: &impl ConnectionTrait,
    account: Account,
) -> Result<Entitlements, CustomerError> {
    Ok(match account {
        Account::Customer(id) => Entitlements {
            groups: store::groups_of(db, &[id])
                .await?
                .remove(&id)
                .unwrap_or_default()
                .into_iter()
                .map(|group| group.code)
                .collect(),
            permissions: Vec::new(),
        },
        Account::Staff(id) => {
            let mut permissions: Vec<String> = store::roles_of_staff(db, id)
                .await?
                .into_iter()
                .flat_map(|role| role.permissions)
                .collect();
            permissions.sort_unstable();
            permissions.dedup();
            Entitlements {
                groups: Vec::new(),
                permissions,
            }
        }
    })
}
