//! Access tokens of an external OpenID Connect provider (Keycloak, Auth0, ...), signed with
//! RSA or EC keys it publishes as a JWKS. A token is the provider's when its (unverified) `iss`
//! names it; then its signature, algorithm, expiry, issuer and audience are checked, and the
//! configured claims (`OidcConfig`) decide who it is: a staff member with the permissions its
//! roles, groups and scopes map to, else the customer its customer-id claim names, else
//! anonymous.

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use commerce_revocation::Token;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation};
use serde::Deserialize;
use serde_json::Value;

use super::{JwksCache, invalid_token};
use crate::config::OidcConfig;
use crate::error::{ErrorCode, KernelError};
use crate::id::GlobalId;
use crate::viewer::Viewer;

/// The global id type of the customers a customer-id claim may name.
const CUSTOMER_TYPE: &str = "Customer";

pub(super) struct Provider {
    issuer: String,
    keys: JwksCache,
    /// The signature algorithms accepted.
    algorithms: Vec<Algorithm>,
    /// Issuer, audience and required claims; its algorithm is each token's own, since
    /// jsonwebtoken refuses a validation listing algorithms of another family than the key.
    validation: Validation,
    roles: Option<String>,
    groups: Option<String>,
    scopes: Option<String>,
    permissions: BTreeMap<String, Vec<String>>,
    customer_id: Option<String>,
}

/// A verified provider token: its viewer, and what revoking it needs.
pub(super) struct Verified {
    viewer: Viewer,
    id: Option<String>,
    subject: String,
    issued_at: Option<i64>,
    expires_at: i64,
}

impl Verified {
    /// Its id and subject (the provider's `sub`) for the deny list.
    pub(super) fn token(&self) -> Token<'_> {
        Token {
            id: self.id.as_deref(),
            subject: &self.subject,
            issued_at: self.issued_at,
        }
    }

    pub(super) fn into_parts(self) -> (Viewer, super::Credential) {
        let credential = super::Credential {
            id: self.id,
            subject: self.subject,
            expires_at: self.expires_at,
        };
        (self.viewer, credential)
    }

    /// The viewer's id when it differs from `sub` (a linked customer): revoking the
    /// customer's tokens covers the provider's tokens for them too.
    pub(super) fn viewer_token(&self) -> Option<Token<'_>> {
        match &self.viewer {
            Viewer::Customer { id, .. } => Some(Token {
                id: None,
                subject: id,
                issued_at: self.issued_at,
            }),
            _ => None,
        }
    }
}

#[derive(Deserialize)]
struct Issuer {
    iss: Option<String>,
}

impl Provider {
    pub(super) fn new(config: &OidcConfig) -> anyhow::Result<Self> {
        anyhow::ensure!(!config.issuer.is_empty(), "oidc.issuer is required");
        anyhow::ensure!(!config.jwks_url.is_empty(), "oidc.jwks_url is required");
        let algorithms = config
            .algorithms
            .iter()
            .map(|name| {
                let algorithm: Algorithm = name
                    .parse()
                    .with_context(|| format!("oidc.algorithms: unknown algorithm {name:?}"))?;
                anyhow::ensure!(
                    !matches!(
                        algorithm,
                        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
                    ),
                    "oidc.algorithms: {name} needs a shared secret; only public-key algorithms"
                );
                Ok(algorithm)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(!algorithms.is_empty(), "oidc.algorithms is empty");
        let mut validation = Validation::new(algorithms[0]);
        validation.set_issuer(&[&config.issuer]);
        match &config.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        validation.leeway = 30;
        Ok(Self {
            issuer: config.issuer.clone(),
            keys: JwksCache::new(
                &config.jwks_url,
                Duration::from_secs(config.jwks_min_refresh_secs),
            ),
            algorithms,
            validation,
            roles: config.roles_claim.clone(),
            groups: config.groups_claim.clone(),
            scopes: config.scopes_claim.clone(),
            permissions: config.permissions.clone(),
            customer_id: config.customer_id_claim.clone(),
        })
    }

    /// Whether the token says this provider issued it (not yet verified: the signature
    /// check that follows is the provider's, so a forged `iss` gains nothing).
    pub(super) fn issued(&self, token: &str) -> bool {
        let Some(payload) = token.split('.').nth(1) else {
            return false;
        };
        URL_SAFE_NO_PAD
            .decode(payload)
            .ok()
            .and_then(|json| serde_json::from_slice::<Issuer>(&json).ok())
            .and_then(|claims| claims.iss)
            .is_some_and(|iss| iss == self.issuer)
    }

    pub(super) async fn verify(&self, token: &str) -> Result<Verified, KernelError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid_token())?;
        if !self.algorithms.contains(&header.alg) {
            return Err(invalid_token());
        }
        let kid = header.kid.ok_or_else(invalid_token)?;
        let key = self.keys.key(&kid).await?.ok_or_else(invalid_token)?;
        let mut validation = self.validation.clone();
        validation.algorithms = vec![header.alg];
        let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|error| match error.kind() {
                ErrorKind::ExpiredSignature => {
                    KernelError::new(ErrorCode::Unauthenticated, "the access token has expired")
                }
                _ => invalid_token(),
            })?;
        let subject = claims["sub"].as_str().ok_or_else(invalid_token)?.to_owned();
        Ok(Verified {
            viewer: self.viewer(&claims, &subject),
            id: claims["jti"].as_str().map(str::to_owned),
            issued_at: claims["iat"].as_i64(),
            expires_at: claims["exp"].as_i64().ok_or_else(invalid_token)?,
            subject,
        })
    }

    fn viewer(&self, claims: &Value, subject: &str) -> Viewer {
        let read = |path: &Option<String>| path.as_deref().map(|p| strings(claims, p));
        let groups = read(&self.groups).unwrap_or_default();
        let mut permissions: Vec<String> = [read(&self.roles), read(&self.scopes)]
            .into_iter()
            .flatten()
            .flatten()
            .chain(groups.iter().cloned())
            .filter_map(|granted| self.permissions.get(&granted))
            .flatten()
            .cloned()
            .collect();
        permissions.sort_unstable();
        permissions.dedup();
        if !permissions.is_empty() {
            return Viewer::Staff {
                id: format!("oidc:{subject}"),
                permissions,
            };
        }
        let customer = self
            .customer_id
            .as_deref()
            .and_then(|path| claim(claims, path))
            .and_then(Value::as_str)
            .filter(|id| GlobalId::decode(id, CUSTOMER_TYPE).is_ok());
        match customer {
            Some(id) => Viewer::Customer {
                id: id.to_owned(),
                groups,
            },
            None => Viewer::Anonymous,
        }
    }
}

/// The value at a dotted path (`realm_access.roles`).
fn claim<'v>(claims: &'v Value, path: &str) -> Option<&'v Value> {
    path.split('.')
        .try_fold(claims, |value, segment| value.get(segment))
}

/// The strings at a dotted path: an array's string items, or a space-separated string's words.
fn strings(claims: &Value, path: &str) -> Vec<String> {
    match claim(claims, path) {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        Some(Value::String(words)) => words.split_whitespace().map(str::to_owned).collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn provider(permissions: &[(&str, &[&str])], customer_id: Option<&str>) -> Provider {
        Provider::new(&OidcConfig {
            issuer: "https://idp.example/realms/shop".into(),
            jwks_url: "http://127.0.0.1:9/certs".into(),
            roles_claim: Some("realm_access.roles".into()),
            groups_claim: Some("groups".into()),
            permissions: permissions
                .iter()
                .map(|(role, granted)| {
                    (
                        (*role).to_owned(),
                        granted.iter().map(|p| (*p).to_owned()).collect(),
                    )
                })
                .collect(),
            customer_id_claim: customer_id.map(str::to_owned),
            ..OidcConfig::default()
        })
        .expect("valid")
    }

    #[test]
    fn roles_groups_and_scopes_map_to_staff_permissions() {
        let provider = provider(
            &[
                ("shop-admin", &["catalog:write", "orders:read"]),
                ("/support", &["orders:read", "customers:read"]),
                ("analytics", &["analytics:read"]),
            ],
            None,
        );
        let claims = json!({
            "realm_access": { "roles": ["offline_access", "shop-admin"] },
            "groups": ["/support"],
            "scope": "openid analytics",
        });
        assert_eq!(
            provider.viewer(&claims, "kc-1"),
            Viewer::Staff {
                id: "oidc:kc-1".into(),
                permissions: vec![
                    "analytics:read".into(),
                    "catalog:write".into(),
                    "customers:read".into(),
                    "orders:read".into()
                ],
            }
        );
    }

    #[test]
    fn a_token_without_permissions_is_its_linked_customer_or_anonymous() {
        let provider = provider(
            &[("shop-admin", &["catalog:write"])],
            Some("commerce.customer"),
        );
        let customer = GlobalId::encode("Customer", 7);
        let linked = json!({ "commerce": { "customer": customer }, "groups": ["vip"] });
        assert_eq!(
            provider.viewer(&linked, "kc-2"),
            Viewer::Customer {
                id: customer,
                groups: vec!["vip".into()]
            }
        );
        let staff_id = json!({ "commerce": { "customer": GlobalId::encode("StaffMember", 1) } });
        assert_eq!(provider.viewer(&staff_id, "kc-3"), Viewer::Anonymous);
        assert_eq!(provider.viewer(&json!({}), "kc-4"), Viewer::Anonymous);
    }

    #[test]
    fn refuses_shared_secret_and_unknown_algorithms() {
        for algorithms in [vec!["HS256"], vec!["RS257"], vec![]] {
            let config = OidcConfig {
                issuer: "https://idp.example".into(),
                jwks_url: "http://127.0.0.1:9/certs".into(),
                algorithms: algorithms.into_iter().map(str::to_owned).collect(),
                ..OidcConfig::default()
            };
            assert!(Provider::new(&config).is_err());
        }
    }
}
