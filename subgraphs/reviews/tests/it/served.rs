//! A reviews subgraph as its binary serves it: `state(config)` (its own database connection,
//! cache and, with `redis_url`, Redis), `router(..)` driven over HTTP, tokens signed with the
//! test's development key.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use commerce_kernel::GlobalId;
use commerce_kernel::auth::{AccessClaims, SigningKey, SubjectKind};
use commerce_kernel::config::Config;
use commerce_reviews::AppState;
use commerce_testkit::{Backend, TestConfig, test_config};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

pub struct Served {
    pub state: AppState,
    pub config: Config,
    app: Router,
    key: SigningKey,
    _test_config: TestConfig,
}

impl Served {
    pub async fn start(configure: impl FnOnce(&mut Config)) -> Self {
        let test_config = test_config(Backend::Sqlite).await;
        let mut config = test_config.config();
        configure(&mut config);
        // The key first: the verifier trusts the development key it finds.
        let key = SigningKey::from_config(&config).expect("the development key");
        let state = commerce_reviews::state(&config)
            .await
            .expect("the subgraph starts");
        let app = commerce_reviews::router(state.clone(), commerce_testkit::verifier(&config));
        Self {
            state,
            config,
            app,
            key,
            _test_config: test_config,
        }
    }

    /// Posts a GraphQL request and returns the response body.
    pub async fn post(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = json!({ "query": query, "variables": variables }).to_string();
        let body = self
            .send(request.body(Body::from(body)).expect("a request"))
            .await;
        serde_json::from_str(&body).expect("a JSON response")
    }

    /// `GET /metrics`.
    pub async fn metrics(&self) -> String {
        let request = Request::get("/metrics")
            .body(Body::empty())
            .expect("a request");
        self.send(request).await
    }

    async fn send(&self, request: Request<Body>) -> String {
        let response = self.app.clone().oneshot(request).await.expect("an answer");
        let body = response
            .into_body()
            .collect()
            .await
            .expect("a body")
            .to_bytes();
        String::from_utf8(body.to_vec()).expect("UTF-8")
    }

    /// An access token of customer `n`.
    pub fn customer_token(&self, n: i64) -> String {
        let now = chrono::Utc::now().timestamp();
        self.key
            .sign(&AccessClaims {
                sub: GlobalId::encode("Customer", n),
                kind: SubjectKind::Customer,
                iss: self.config.jwt_issuer.clone(),
                aud: self.config.jwt_audience.clone(),
                iat: now,
                exp: now + 600,
                jti: None,
                groups: vec![],
                permissions: vec![],
            })
            .expect("signs")
    }
}

/// The rating of product `n`, as the router asks for it.
pub const RATING: &str = "query ($id: ID!) { _entities(representations: [{ __typename: \"Product\", id: $id }]) { ... on Product { rating { average count } } } }";

pub const SUBMIT: &str = "mutation ($input: SubmitReviewInput!) { submitReview(input: $input) { __typename ... on Review { id } } }";

/// A valid review of product `n`.
pub fn review_of(n: i64) -> Value {
    json!({
        "input": {
            "productId": crate::support::product(n),
            "authorName": "Ada L.",
            "rating": 5,
            "title": "Very good",
            "body": "Does what it says on the box.",
        }
    })
}
