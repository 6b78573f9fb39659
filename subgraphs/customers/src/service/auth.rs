//! Registration, sign-in, refresh, logout and password reset.
//!
//! No account enumeration: registering a taken email looks exactly like a new registration
//! (the owner gets an email instead); an unknown email and a wrong password give the same
//! error after the same argon2 work; a reset request always answers the same.

use std::net::IpAddr;
use std::time::Duration;

use commerce_kernel::auth::Credential;
use commerce_kernel::db::begin_write;
use commerce_kernel::events::Outbox;

use super::CustomersService;
use super::mailer::{Mail, post};
use super::rate_limit::Decision;
use super::tokens::{Session, entitlements};
use super::{Account, decode_id, ids};
use crate::domain::events::CustomerRegistered;
use crate::domain::{CustomerError, Email, OpaqueToken, Password, required_text};
use crate::store;

const RESET_MAIL_WINDOW: Duration = Duration::from_secs(3600);

pub struct Registration<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
}

/// Which kind of account is signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Realm {
    Customer,
    Staff,
}

/// The signed-in account behind a viewer id, for `logoutEverywhere`.
pub fn account_of(viewer: &commerce_kernel::viewer::Viewer) -> Result<Account, CustomerError> {
    use commerce_kernel::viewer::Viewer;
    match viewer {
        Viewer::Customer { id, .. } => Ok(Account::Customer(decode_id(id, ids::CUSTOMER)?)),
        Viewer::Staff { id, .. } => Ok(Account::Staff(decode_id(id, ids::STAFF_MEMBER)?)),
        Viewer::Anonymous | Viewer::Service { .. } => Err(commerce_kernel::KernelError::new(
            commerce_kernel::ErrorCode::Unauthenticated,
            "sign in first",
        )
        .into()),
    }
}

impl CustomersService {
    /// Creates the account, or mails the owner if the email is taken; the caller cannot tell which.
    pub async fn register(&self, input: Registration<'_>) -> Result<(), CustomerError> {
        let email = Email::parse(input.email)?;
        let password = Password::parse(input.password, &email)?;
        let first_name = required_text("firstName", input.first_name, 100)?;
        let last_name = required_text("lastName", input.last_name, 100)?;
        // Hash before looking the email up, so both outcomes cost the same.
        let password_hash = self.passwords.hash(password).await?;
        let txn = begin_write(&self.db).await?;
        let inserted = store::insert_customer(
            &txn,
            store::NewCustomer {
                email: email.as_str(),
                password_hash: &password_hash,
                first_name: &first_name,
                last_name: &last_name,
            },
        )
        .await?;
        if let Some(id) = inserted {
            let event = CustomerRegistered::new(id, email.as_str(), chrono::Utc::now());
            Outbox::append(&txn, &event).await?;
        }
        txn.commit().await?;
        match inserted {
            Some(id) => tracing::info!(customer = id, "customer registered"),
            None => post(
                &self.mailer,
                Mail::AlreadyRegistered {
                    to: email.to_string(),
                },
            ),
        }
        Ok(())
    }

    /// Signs in with email and password, subject to the per-account and per-address limits.
    pub async fn login(
        &self,
        realm: Realm,
        email: &str,
        password: &str,
        client: Option<IpAddr>,
    ) -> Result<Session, CustomerError> {
        // An unparseable email cannot match an account; it still counts and still costs a hash.
        let email = Email::parse(email).ok();
        let account_key = format!(
            "login:{realm:?}:{}",
            email.as_ref().map_or("-", Email::as_str)
        );
        self.check_limits(&account_key, client).await?;
        let credentials = match &email {
            Some(email) => match realm {
                Realm::Customer => store::customer_credentials(&self.db, email.as_str()).await?,
                Realm::Staff => store::staff_credentials(&self.db, email.as_str()).await?,
            },
            None => None,
        };
        let stored = credentials.as_ref().map(|c| c.password_hash.clone());
        let matches = self.passwords.verify(password.to_owned(), stored).await?;
        let Some(credentials) = credentials.filter(|_| matches) else {
            return Err(CustomerError::InvalidCredentials);
        };
        self.limiter.reset(&account_key).await;
        let account = match realm {
            Realm::Customer => Account::Customer(credentials.id),
            Realm::Staff => Account::Staff(credentials.id),
        };
        self.upgrade_hash(account, password, &credentials.password_hash)
            .await;
        let family = uuid::Uuid::new_v4().to_string();
        let granted = entitlements(&self.db, account).await?;
        self.tokens.issue(&self.db, account, &family, granted).await
    }

    /// Re-hashes with today's parameters after raising them; a failure only delays the upgrade.
    async fn upgrade_hash(&self, account: Account, password: &str, stored: &str) {
        let upgraded = match self.passwords.upgrade(password.to_owned(), stored).await {
            Ok(Some(hash)) => hash,
            Ok(None) => return,
            Err(error) => return tracing::warn!(%error, "password re-hash failed"),
        };
        let saved = match account {
            Account::Customer(id) => store::set_password_hash(&self.db, id, &upgraded).await,
            Account::Staff(id) => store::set_staff_password_hash(&self.db, id, &upgraded).await,
        };
        match saved {
            Ok(()) => tracing::info!(?account, "password hash upgraded to the current parameters"),
            Err(error) => tracing::warn!(%error, "saving an upgraded password hash failed"),
        }
    }

    async fn check_limits(
        &self,
        account_key: &str,
        client: Option<IpAddr>,
    ) -> Result<(), CustomerError> {
        let limits = &self.settings.login_limits;
        let mut decisions = vec![
            self.limiter
                .hit(account_key, limits.per_account, limits.window)
                .await,
        ];
        if let Some(ip) = client {
            let key = format!("login:ip:{ip}");
            decisions.push(
                self.limiter
                    .hit(&key, limits.per_address, limits.window)
                    .await,
            );
        }
        let retry_after = decisions
            .into_iter()
            .filter_map(|decision| match decision {
                Decision::Limited { retry_after } => Some(retry_after),
                Decision::Allowed => None,
            })
            .max();
        match retry_after {
            Some(after) => {
                tracing::warn!(%account_key, ?client, "sign-in rate limited");
                Err(CustomerError::RateLimited {
                    retry_after_secs: after.as_secs().max(1),
                })
            }
            None => Ok(()),
        }
    }

    /// Exchanges a refresh token for a new session; the presented token is used up.
    pub async fn refresh(&self, refresh_token: &str) -> Result<Session, CustomerError> {
        let hash = OpaqueToken::hash(refresh_token);
        let stored = store::find_refresh_token(&self.db, &hash)
            .await?
            .ok_or(CustomerError::InvalidRefreshToken)?;
        if stored.revoked {
            return Err(CustomerError::InvalidRefreshToken);
        }
        if stored.rotated {
            return Err(self.reuse_detected(&stored.family).await);
        }
        if stored.expires_at <= chrono::Utc::now() {
            return Err(CustomerError::InvalidRefreshToken);
        }
        let account = Account::from_subject(&stored.subject, &stored.kind)?;
        if !self.may_sign_in(account).await? {
            return Err(CustomerError::InvalidRefreshToken);
        }
        let txn = begin_write(&self.db).await?;
        if !store::mark_rotated(&txn, stored.id).await? {
            txn.rollback().await?;
            // Another request rotated it a moment ago: the same token presented twice.
            return Err(self.reuse_detected(&stored.family).await);
        }
        let granted = entitlements(&txn, account).await?;
        let session = self
            .tokens
            .issue(&txn, account, &stored.family, granted)
            .await?;
        txn.commit().await?;
        Ok(session)
    }

    /// Whether the account still exists and, for staff, is still active.
    async fn may_sign_in(&self, account: Account) -> Result<bool, CustomerError> {
        Ok(match account {
            Account::Customer(id) => store::find_customer(&self.db, id).await?.is_some(),
            Account::Staff(id) => store::find_staff_member(&self.db, id)
                .await?
                .is_some_and(|member| member.active),
        })
    }

    /// A used refresh token came back: revoke its whole family, so whoever holds the newer token
    /// (the thief or the owner) must sign in again.
    async fn reuse_detected(&self, family: &str) -> CustomerError {
        tracing::warn!(%family, "refresh token reuse detected; revoking the session");
        match store::revoke_family(&self.db, family).await {
            Ok(_) => CustomerError::InvalidRefreshToken,
            Err(error) => error.into(),
        }
    }

    /// Ends the session the refresh token belongs to (unknown tokens are ignored) and revokes
    /// the access token the request came with.
    pub async fn logout(
        &self,
        refresh_token: Option<&str>,
        current: Option<&Credential>,
    ) -> Result<(), CustomerError> {
        if let Some(refresh_token) = refresh_token {
            let hash = OpaqueToken::hash(refresh_token);
            if let Some(stored) = store::find_refresh_token(&self.db, &hash).await? {
                store::revoke_family(&self.db, &stored.family).await?;
            }
        }
        if let Some(current) = current {
            self.revoke_credential(current).await?;
        }
        Ok(())
    }

    /// Ends every session of the account and revokes its access tokens issued until now (the
    /// request's own too); returns how many refresh tokens were revoked.
    pub async fn logout_everywhere(
        &self,
        account: Account,
        current: Option<&Credential>,
    ) -> Result<u64, CustomerError> {
        let revoked = store::revoke_subject(&self.db, &account.global_id()).await?;
        self.revoke_subject_tokens(&account.global_id()).await?;
        if let Some(current) = current {
            self.revoke_credential(current).await?;
        }
        Ok(revoked)
    }

    /// Mails a single-use reset token if the email has an account; otherwise does nothing.
    pub async fn request_password_reset(&self, email: &str) -> Result<(), CustomerError> {
        let Ok(email) = Email::parse(email) else {
            return Ok(());
        };
        // A few mails per address per hour stops anyone flooding a mailbox; past that the request
        // is dropped silently, like one for an unknown address.
        let key = format!("reset:{}", email.as_str());
        if let Decision::Limited { .. } = self.limiter.hit(&key, 3, RESET_MAIL_WINDOW).await {
            tracing::warn!(%email, "password reset requests rate limited");
            return Ok(());
        }
        let Some(customer) = store::find_customer_by_email(&self.db, email.as_str()).await? else {
            return Ok(());
        };
        let token = OpaqueToken::generate();
        let expires_at = chrono::Utc::now() + self.settings.reset_ttl;
        store::insert_password_reset(&self.db, customer.id, &token.hash, expires_at).await?;
        post(
            &self.mailer,
            Mail::PasswordReset {
                to: customer.email,
                token: token.secret,
            },
        );
        Ok(())
    }

    /// Sets a new password with a reset token, which then works no more, and signs the customer
    /// out everywhere.
    pub async fn reset_password(
        &self,
        token: &str,
        new_password: &str,
    ) -> Result<(), CustomerError> {
        let hash = OpaqueToken::hash(token);
        let (reset_id, customer_id) = store::live_password_reset(&self.db, &hash)
            .await?
            .ok_or(CustomerError::InvalidResetToken)?;
        let customer = store::find_customer(&self.db, customer_id)
            .await?
            .ok_or(CustomerError::InvalidResetToken)?;
        let email = Email::parse(&customer.email)?;
        let password = Password::parse(new_password, &email)?;
        let password_hash = self.passwords.hash(password).await?;
        let txn = begin_write(&self.db).await?;
        if !store::use_password_reset(&txn, reset_id).await? {
            txn.rollback().await?;
            return Err(CustomerError::InvalidResetToken);
        }
        store::expire_password_resets(&txn, customer_id).await?;
        store::set_password_hash(&txn, customer_id, &password_hash).await?;
        store::revoke_subject(&txn, &Account::Customer(customer_id).global_id()).await?;
        txn.commit().await?;
        self.revoke_subject_tokens(&Account::Customer(customer_id).global_id())
            .await
    }

    /// Changes a signed-in customer's password after checking the current one (rate limited like
    /// sign-in), and ends every session, so a stolen session does not outlive the change.
    pub async fn change_password(
        &self,
        customer_id: i64,
        current: &str,
        new_password: &str,
    ) -> Result<(), CustomerError> {
        let customer = store::find_customer(&self.db, customer_id)
            .await?
            .ok_or(CustomerError::InvalidCredentials)?;
        let email = Email::parse(&customer.email)?;
        let account_key = format!("login:{:?}:{}", Realm::Customer, email.as_str());
        self.check_limits(&account_key, None).await?;
        let password = Password::parse(new_password, &email)?;
        let stored = store::customer_credentials(&self.db, email.as_str())
            .await?
            .map(|credentials| credentials.password_hash);
        if !self.passwords.verify(current.to_owned(), stored).await? {
            return Err(CustomerError::InvalidCredentials);
        }
        let password_hash = self.passwords.hash(password).await?;
        let txn = begin_write(&self.db).await?;
        store::set_password_hash(&txn, customer_id, &password_hash).await?;
        store::revoke_subject(&txn, &Account::Customer(customer_id).global_id()).await?;
        txn.commit().await?;
        self.revoke_subject_tokens(&Account::Customer(customer_id).global_id())
            .await
    }
}
