//! Sign-up, sign-in, sessions and password reset.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use commerce_kernel::auth::Credential;
use commerce_kernel::error::top_level;
use commerce_kernel::result_union;
use commerce_kernel::server::ClientAddress;

use super::results::{
    ErrorResult, InvalidCredentials, InvalidEmail, InvalidField, InvalidResetToken, WeakPassword,
};
use super::types::AuthPayload;
use super::{customers_service, signed_in_customer, state, viewer};
use crate::service::CustomerError;
use crate::service::auth::{self as service, Realm, Registration};

#[derive(InputObject)]
pub struct RegisterInput {
    pub email: String,
    /// 10 to 128 characters; a passphrase is best.
    pub password: String,
    pub first_name: String,
    pub last_name: String,
}

/// The registration was accepted. For privacy it looks the same whether or not the email
/// already had an account (its owner is told by email); sign in next.
#[derive(SimpleObject)]
pub struct RegistrationAccepted {
    pub message: String,
}

result_union!(
    pub RegisterResult(CustomerError => ErrorResult) =
        RegistrationAccepted | InvalidEmail | WeakPassword | InvalidField
);
result_union!(
    pub LoginResult(CustomerError => ErrorResult) = AuthPayload | InvalidCredentials
);

/// The password was changed; every session was signed out.
#[derive(SimpleObject)]
pub struct PasswordChanged {
    pub message: String,
}

impl PasswordChanged {
    fn signed_out() -> Self {
        Self {
            message: "password changed; sign in again".to_owned(),
        }
    }
}

result_union!(
    pub ChangePasswordResult(CustomerError => ErrorResult) =
        PasswordChanged | InvalidCredentials | WeakPassword
);
result_union!(
    pub ResetPasswordResult(CustomerError => ErrorResult) =
        PasswordChanged | InvalidResetToken | WeakPassword
);

fn client_ip(ctx: &Context<'_>) -> Option<std::net::IpAddr> {
    ctx.data_opt::<ClientAddress>()
        .and_then(|address| address.0)
}

async fn login_in(
    ctx: &Context<'_>,
    realm: Realm,
    email: &str,
    password: &str,
) -> async_graphql::Result<LoginResult> {
    LoginResult::from_result(
        customers_service(ctx)
            .login(realm, email, password, client_ip(ctx))
            .await,
    )
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Creates a customer account. Sign in with `login` afterwards.
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<RegisterResult> {
        let registration = Registration {
            email: &input.email,
            password: &input.password,
            first_name: &input.first_name,
            last_name: &input.last_name,
        };
        let outcome = customers_service(ctx).register(registration).await;
        RegisterResult::from_result(outcome.map(|()| RegistrationAccepted {
            message: "registration accepted; sign in to continue".to_owned(),
        }))
    }

    /// Signs a customer in. Too many attempts for one email or from one address fail with a
    /// top-level `RATE_LIMITED` error carrying `retryAfterSeconds`.
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<LoginResult> {
        login_in(ctx, Realm::Customer, &email, &password).await
    }

    /// Signs a staff member in (same limits as `login`).
    async fn staff_login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> async_graphql::Result<LoginResult> {
        login_in(ctx, Realm::Staff, &email, &password).await
    }

    /// Trades a refresh token for a new session. Each refresh token works once; presenting a
    /// used one again ends that whole session (`UNAUTHENTICATED`).
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> async_graphql::Result<AuthPayload> {
        customers_service(ctx)
            .refresh(&refresh_token)
            .await
            .map(Into::into)
            .map_err(top_level)
    }

    /// Signs out: ends the session of this refresh token, if given, and revokes the access
    /// token the request carries, which every service refuses from then on
    /// (`UNAUTHENTICATED`). Always true.
    async fn logout(
        &self,
        ctx: &Context<'_>,
        refresh_token: Option<String>,
    ) -> async_graphql::Result<bool> {
        customers_service(ctx)
            .logout(refresh_token.as_deref(), ctx.data_opt::<Credential>())
            .await
            .map_err(top_level)?;
        Ok(true)
    }

    /// Ends every session of the signed-in account and revokes every access token it was
    /// issued until now, this request's included; returns how many sessions were ended.
    async fn logout_everywhere(&self, ctx: &Context<'_>) -> async_graphql::Result<i32> {
        let account = service::account_of(viewer(ctx)).map_err(top_level)?;
        let revoked = customers_service(ctx)
            .logout_everywhere(account, ctx.data_opt::<Credential>())
            .await
            .map_err(top_level)?;
        Ok(i32::try_from(revoked).unwrap_or(i32::MAX))
    }

    /// Emails a password-reset token if the address has an account. Always true, and answers
    /// before the lookup, so neither the answer nor its timing tells whether it has.
    async fn request_password_reset(
        &self,
        ctx: &Context<'_>,
        email: String,
    ) -> async_graphql::Result<bool> {
        let state = state(ctx).clone();
        tokio::spawn(async move {
            if let Err(error) = state.service.request_password_reset(&email).await {
                tracing::error!(%error, "password reset request failed");
            }
        });
        Ok(true)
    }

    /// Sets a new password with a reset token (single use, expires after 30 minutes) and ends
    /// every session.
    async fn reset_password(
        &self,
        ctx: &Context<'_>,
        token: String,
        new_password: String,
    ) -> async_graphql::Result<ResetPasswordResult> {
        let outcome = customers_service(ctx)
            .reset_password(&token, &new_password)
            .await;
        ResetPasswordResult::from_result(outcome.map(|()| PasswordChanged::signed_out()))
    }

    /// Changes the signed-in customer's password (the current one is checked and rate
    /// limited like sign-in) and ends every session; sign in again afterwards.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> async_graphql::Result<ChangePasswordResult> {
        let customer = signed_in_customer(ctx)?;
        let outcome = customers_service(ctx)
            .change_password(customer, &current_password, &new_password)
            .await;
        ChangePasswordResult::from_result(outcome.map(|()| PasswordChanged::signed_out()))
    }
}
