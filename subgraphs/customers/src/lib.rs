//! The customers subgraph: customer accounts with secure sign-in (argon2id, rate limits, no
//! account enumeration), signed access tokens with a JWKS, rotating refresh tokens, password
//! reset, profiles, address books, customer groups, wishlists, and staff with roles and
//! permissions. Owns `Customer @key(fields: "id")`.

pub mod demo;
pub mod domain;
mod graphql;
pub mod service;

pub use service::CustomersService;
mod store;

use std::sync::Arc;
use std::time::Duration;

use axum::routing::get;
use commerce_kernel::auth::Verifier;
use commerce_kernel::auth::{PublicKey, SigningKey};
use commerce_kernel::config::Config;
use commerce_kernel::events::{Relay, Transport};
use commerce_kernel::mail::Mailer;
use commerce_kernel::{db, server, subgraph};
use sea_orm::DatabaseConnection;
use tokio_util::sync::CancellationToken;

pub use domain::HashingParams;
pub use graphql::CustomersSchema;
use service::passwords::Passwords;
use service::rate_limit::{MemoryRateLimiter, RateLimiter, RedisRateLimiter};
use service::tokens::TokenIssuer;

pub const DEFAULT_PORT: u16 = 4005;
const DOMAIN: &str = "customers";

/// Sign-in attempt limits, counted in fixed windows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginLimits {
    /// Attempts per email address per window; a successful sign-in resets the count.
    pub per_account: u32,
    /// Attempts per client address per window, whatever the email.
    pub per_address: u32,
    pub window: Duration,
}

/// Security knobs of the service. The defaults are the production values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub access_ttl: Duration,
    pub refresh_ttl: Duration,
    pub reset_ttl: Duration,
    pub hashing: HashingParams,
    pub login_limits: LoginLimits,
    /// How long a DataLoader waits to collect keys into one batch.
    pub loader_delay: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            access_ttl: Duration::from_secs(15 * 60),
            refresh_ttl: Duration::from_secs(30 * 24 * 3600),
            reset_ttl: Duration::from_secs(30 * 60),
            hashing: HashingParams::OWASP,
            login_limits: LoginLimits {
                per_account: 5,
                per_address: 50,
                window: Duration::from_secs(15 * 60),
            },
            loader_delay: Duration::from_millis(1),
        }
    }
}

/// Everything a request needs; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub service: CustomersService,
}

/// Connects, migrates and builds the state with the production settings, mailing through
/// the configured mailer (`smtp_url`, or the log).
pub async fn state(config: &Config) -> anyhow::Result<AppState> {
    let mailer = commerce_kernel::mail::from_config(config)?;
    state_with(config, Settings::default(), mailer).await
}

/// Like [`state`], with explicit settings and mail delivery (tests, benches).
pub async fn state_with(
    config: &Config,
    settings: Settings,
    mailer: Arc<dyn Mailer>,
) -> anyhow::Result<AppState> {
    let db =
        db::connect_and_migrate::<commerce_migrations::customers::Migrator>(config, DOMAIN).await?;
    let limiter: Arc<dyn RateLimiter> = match &config.redis_url {
        Some(url) => Arc::new(RedisRateLimiter::connect(url, DOMAIN).await?),
        None => Arc::new(MemoryRateLimiter::default()),
    };
    let tokens = TokenIssuer::new(
        SigningKey::from_config(config)?,
        &config.jwt_issuer,
        &config.jwt_audience,
        settings.access_ttl,
        settings.refresh_ttl,
    )
    .with_previous_key(PublicKey::previous(config)?);
    let service = CustomersService {
        db: db.clone(),
        tokens: Arc::new(tokens),
        passwords: Arc::new(Passwords::new(settings.hashing)?),
        limiter,
        mailer,
        settings: Arc::new(settings),
        revocations: service::revocation::Revocations {
            list: commerce_kernel::auth::revocations(config),
            max_lifetime_secs: i64::try_from(config.access_token_max_lifetime_secs)
                .unwrap_or(i64::MAX),
        },
    };
    Ok(AppState { db, service })
}

pub fn schema(state: AppState) -> CustomersSchema {
    graphql::schema(state)
}

/// The Federation v2 SDL, as committed in `schema/subgraphs/customers.graphql`.
pub fn sdl() -> String {
    graphql::sdl()
}

/// `/graphql`, `/health`, `/ready`, and the public keys at `/.well-known/jwks.json` for every
/// other service.
pub fn router(state: AppState, auth: Arc<Verifier>) -> axum::Router {
    let jwks = state.service.tokens.jwks();
    let db = state.db.clone();
    server::graphql_app(schema(state), db, auth).route(
        "/.well-known/jwks.json",
        get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    )
}

/// Starts the customers event relay (on a pool of its own) until `shutdown`. Whoever serves
/// the subgraph (`run`, or the all-in-one binary) starts it once.
pub async fn spawn_events(
    config: &Config,
    transport: &Transport,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    Relay::connect(config, DOMAIN, transport.clone())
        .await?
        .spawn(shutdown);
    Ok(())
}

/// Runs the customers subgraph as its own process, with its event relay.
pub async fn run(config: Config) -> anyhow::Result<()> {
    subgraph::run_with_shutdown(
        config,
        DOMAIN,
        DEFAULT_PORT,
        |config, shutdown| async move {
            let state = state(&config).await?;
            let transport = Transport::from_config(&config).await?;
            spawn_events(&config, &transport, shutdown).await?;
            Ok(router(state, Arc::new(Verifier::from_config(&config)?)))
        },
    )
    .await
}
