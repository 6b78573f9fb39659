//! Revoking access tokens before they expire, through the deny list that every subgraph and
//! the router check (`commerce_kernel::auth::DenyList`, shared through Redis): a signed-out
//! token at once, and every token of an account whose sessions end (sign out everywhere, a
//! password change or reset, a deactivated staff member).

use std::sync::Arc;

use commerce_kernel::GlobalId;
use commerce_kernel::auth::{Credential, DenyList};

use super::{CustomersService, ids};
use crate::domain::CustomerError;

/// The deny list and how long entries without a known expiry are kept.
#[derive(Debug, Clone)]
pub struct Revocations {
    pub list: Arc<DenyList>,
    /// The longest lifetime of any accepted access token (`access_token_max_lifetime_secs`).
    pub max_lifetime_secs: i64,
}

/// Who may revoke a subject's tokens: a customer's needs `customers:write`, anyone else's
/// (staff, the identity provider's subjects) `staff:manage`.
pub fn permission_to_revoke(subject: &str) -> &'static str {
    match GlobalId::decode(subject, ids::CUSTOMER) {
        Ok(_) => "customers:write",
        Err(_) => "staff:manage",
    }
}

impl CustomersService {
    /// Revokes the token a request was made with (signing out).
    pub async fn revoke_credential(&self, credential: &Credential) -> Result<(), CustomerError> {
        let Some(id) = &credential.id else {
            // A token of before ids: only its subject's revocation can stop it.
            return Ok(());
        };
        self.revocations
            .list
            .revoke_token(id, credential.expires_at)
            .await?;
        tracing::info!(subject = %credential.subject, "access token revoked");
        Ok(())
    }

    /// Revokes the token `id` (its `jti`), whose expiry is not known: the entry is kept for
    /// the longest token lifetime.
    pub async fn revoke_token_id(&self, id: &str) -> Result<(), CustomerError> {
        let id = crate::domain::required_text("tokenId", id, 200)?;
        let until = chrono::Utc::now().timestamp() + self.revocations.max_lifetime_secs;
        self.revocations.list.revoke_token(&id, until).await?;
        tracing::info!(token = %id, "access token revoked by staff");
        Ok(())
    }

    /// Revokes every token of `subject` issued before now; it may sign in again at once.
    pub async fn revoke_subject_tokens(&self, subject: &str) -> Result<(), CustomerError> {
        let subject = crate::domain::required_text("subject", subject, 200)?;
        let now = chrono::Utc::now().timestamp();
        self.revocations
            .list
            .revoke_subject(&subject, now, self.revocations.max_lifetime_secs)
            .await?;
        tracing::info!(%subject, "access tokens issued until now revoked");
        Ok(())
    }
}
