//! A customers app on a fresh database, driven over HTTP, with helpers to sign up and in.

use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use commerce_customers::service::mailer::MemoryMailer;
use commerce_customers::{AppState, HashingParams, Settings};
use commerce_kernel::config::Config;
use commerce_testkit::{Backend, SqlCounter, TestConfig, test_config};
use serde_json::{Value, json};
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct TestApp {
    pub state: AppState,
    pub app: axum::Router,
    pub mailer: Arc<MemoryMailer>,
    pub statements: SqlCounter,
    pub config: Config,
    _database: TestConfig,
}

/// Production settings, with argon2 parameters cheap enough for tests, and a batch window
/// wide enough that a loaded CI machine still batches each list level once.
pub fn test_settings() -> Settings {
    Settings {
        hashing: HashingParams::INSECURE_FAST,
        loader_delay: std::time::Duration::from_millis(20),
        ..Settings::default()
    }
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, test_settings(), false).await
    }

    pub async fn with(backend: Backend, settings: Settings, redis: bool) -> Self {
        let redis_url = match redis {
            true => Some(commerce_testkit::redis_url().await),
            false => None,
        };
        Self::build(backend, settings, |config| config.redis_url = redis_url).await
    }

    /// With Redis for the rate limits and the deny list of access tokens, under a
    /// `namespace` of its own (no other test's revocations reach it).
    pub async fn with_redis_namespace(backend: Backend, namespace: &str) -> Self {
        let redis_url = commerce_testkit::redis_url().await;
        Self::build(backend, test_settings(), |config| {
            config.redis_url = Some(redis_url);
            config.events_namespace = namespace.to_owned();
        })
        .await
    }

    /// With `settings`, on a configuration `configure` adjusts.
    pub async fn build(
        backend: Backend,
        settings: Settings,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let database = test_config(backend).await;
        let mut config = database.config();
        configure(&mut config);
        let mailer = Arc::new(MemoryMailer::default());
        let mut state = commerce_customers::state_with(&config, settings, mailer.clone())
            .await
            .expect("builds the state");
        // The use cases query through the service's connection.
        let statements = SqlCounter::attach(&mut state.service.db);
        state.db = state.service.db.clone();
        Self {
            app: commerce_customers::router(state.clone(), commerce_testkit::verifier(&config)),
            state,
            mailer,
            statements,
            config,
            _database: database,
        }
    }

    /// POSTs an operation to `/graphql` with optional extra headers; returns the JSON body.
    pub async fn post(&self, query: &str, variables: Value, headers: &[(&str, &str)]) -> Value {
        post_to(&self.app, query, variables, headers).await
    }

    pub async fn anonymous(&self, query: &str, variables: Value) -> Value {
        self.post(query, variables, &[]).await
    }

    pub async fn as_bearer(&self, token: &str, query: &str, variables: Value) -> Value {
        let header = format!("Bearer {token}");
        self.post(query, variables, &[("authorization", &header)])
            .await
    }

    pub async fn register(&self, email: &str) {
        let response = self
            .anonymous(
                "mutation($input: RegisterInput!) { register(input: $input) { __typename } }",
                json!({ "input": {
                    "email": email, "password": PASSWORD, "firstName": "Ada", "lastName": "Lovelace"
                }}),
            )
            .await;
        assert_eq!(
            response["data"]["register"]["__typename"], "RegistrationAccepted",
            "{response}"
        );
    }

    /// Signs in (`login` or `staffLogin`) and returns the whole result object.
    pub async fn login_as(&self, mutation: &str, email: &str, password: &str) -> Value {
        let query = format!(
            "mutation($email: String!, $password: String!) {{ {mutation}(email: $email, password: $password) {{
                __typename
                ... on AuthPayload {{ accessToken refreshToken tokenType }}
                ... on ErrorResult {{ code message }}
            }} }}"
        );
        let response = self
            .anonymous(&query, json!({ "email": email, "password": password }))
            .await;
        assert!(response.get("errors").is_none(), "{response}");
        response["data"][mutation].clone()
    }

    /// Registers and signs in a customer; returns (access token, refresh token).
    pub async fn customer(&self, email: &str) -> (String, String) {
        self.register(email).await;
        let session = self.login_as("login", email, PASSWORD).await;
        tokens(&session)
    }

    /// Seeds the demo data and signs in as its admin (every permission).
    pub async fn admin(&self) -> String {
        commerce_customers::demo::seed(&self.state, 7)
            .await
            .expect("seeds");
        let session = self
            .login_as(
                "staffLogin",
                commerce_customers::demo::ADMIN_EMAIL,
                commerce_customers::demo::ADMIN_PASSWORD,
            )
            .await;
        tokens(&session).0
    }
}

/// POSTs an operation to `app`'s `/graphql` with optional extra headers; returns the JSON body.
pub async fn post_to(
    app: &axum::Router,
    query: &str,
    variables: Value,
    headers: &[(&str, &str)],
) -> Value {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = json!({ "query": query, "variables": variables }).to_string();
    let response = app
        .clone()
        .oneshot(request.body(Body::from(body)).expect("a request"))
        .await
        .expect("a response");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .expect("a body");
    serde_json::from_slice(&bytes).expect("a JSON body")
}

pub fn tokens(session: &Value) -> (String, String) {
    let access = session["accessToken"].as_str();
    let refresh = session["refreshToken"].as_str();
    match (access, refresh) {
        (Some(access), Some(refresh)) => (access.to_owned(), refresh.to_owned()),
        _ => panic!("not a session: {session}"),
    }
}
