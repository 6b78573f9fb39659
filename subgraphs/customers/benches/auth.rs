//! Sign-in cost and access-token verification cost.
//!
//! Run with `cargo bench -p commerce-customers --bench auth`. Figures go to BENCHMARKS.md.
//! - `argon2id/*`: one hash / one verify with the production parameters (OWASP: m=19 MiB, t=2,
//!   p=1);
//! - `login/*`: the whole `login` mutation over HTTP on SQLite (rate limits lifted), one at a
//!   time and 8 at once (throughput in logins per second);
//! - `access_token/*`: verifying one token, and a GraphQL request with and without a bearer
//!   token, so the difference is what verification adds to every request.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Request};
use commerce_customers::domain::{Email, HashingParams, Password, PasswordHasher};
use commerce_customers::{LoginLimits, Settings};
use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::mail::LogMailer;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use serde_json::{Value, json};
use tower::ServiceExt;

const PASSWORD: &str = "correct horse battery staple";

fn argon2id(c: &mut Criterion) {
    let hasher = PasswordHasher::new(HashingParams::OWASP).expect("valid parameters");
    let email = Email::parse("ada@example.com").expect("valid");
    let hash = hasher
        .hash(&Password::parse(PASSWORD, &email).expect("valid"))
        .expect("hashes");
    let mut group = c.benchmark_group("argon2id");
    group.sample_size(20);
    group.bench_function("hash", |b| {
        b.iter(|| {
            let password = Password::parse(PASSWORD, &email).expect("valid");
            hasher.hash(&password).expect("hashes")
        });
    });
    group.bench_function("verify", |b| {
        b.iter(|| hasher.verify(PASSWORD, Some(&hash)))
    });
    group.finish();
}

struct Bench {
    runtime: tokio::runtime::Runtime,
    app: axum::Router,
    _dir: tempfile::TempDir,
}

async fn post(app: &axum::Router, body: &Value, bearer: Option<&str>) -> Value {
    let mut request = Request::post("/graphql").header("content-type", "application/json");
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let request = request
        .body(Body::from(body.to_string()))
        .expect("a request");
    let response = app.clone().oneshot(request).await.expect("a response");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .expect("a body");
    serde_json::from_slice(&bytes).expect("json")
}

fn login_body() -> Value {
    json!({
        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { ... on AuthPayload { accessToken } } }",
        "variables": { "e": "ada@example.com", "p": PASSWORD },
    })
}

fn setup() -> Bench {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let dir = tempfile::tempdir().expect("a temp dir");
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        ..Config::default()
    };
    let settings = Settings {
        login_limits: LoginLimits {
            per_account: u32::MAX,
            per_address: u32::MAX,
            window: Duration::from_secs(1),
        },
        ..Settings::default()
    };
    let app = runtime.block_on(async {
        let state = commerce_customers::state_with(&config, settings, Arc::new(LogMailer))
            .await
            .expect("a state");
        let app = commerce_customers::router(state, commerce_testkit::verifier(&config));
        let register = json!({
            "query": "mutation($i: RegisterInput!) { register(input: $i) { __typename } }",
            "variables": { "i": { "email": "ada@example.com", "password": PASSWORD, "firstName": "Ada", "lastName": "Lovelace" } },
        });
        post(&app, &register, None).await;
        app
    });
    Bench {
        runtime,
        app,
        _dir: dir,
    }
}

fn login(c: &mut Criterion) {
    let bench = setup();
    let body = login_body();
    let mut group = c.benchmark_group("login");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("sequential", |b| {
        b.to_async(&bench.runtime)
            .iter(|| async { post(&bench.app, &body, None).await });
    });
    group.throughput(Throughput::Elements(8));
    group.bench_function("concurrent_8", |b| {
        b.to_async(&bench.runtime).iter(|| async {
            let logins = (0..8).map(|_| post(&bench.app, &body, None));
            futures::future::join_all(logins).await
        });
    });
    group.finish();
}

fn access_token(c: &mut Criterion) {
    let bench = setup();
    let token = bench.runtime.block_on(async {
        let session = post(&bench.app, &login_body(), None).await;
        session["data"]["login"]["accessToken"]
            .as_str()
            .expect("a token")
            .to_owned()
    });
    let dir = bench._dir.path().to_path_buf();
    let verifier = Verifier::from_config(&Config {
        data_dir: dir,
        ..Config::default()
    })
    .expect("the dev key verifier");
    let mut headers = HeaderMap::new();
    headers.insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {token}")).expect("ascii"),
    );
    let viewer_query = json!({ "query": "{ viewer { kind } }" });

    let mut group = c.benchmark_group("access_token");
    group.bench_function("verify", |b| {
        b.to_async(&bench.runtime)
            .iter(|| async { verifier.verify(&token).await.expect("valid") });
    });
    group.bench_function("viewer_from_header", |b| {
        b.to_async(&bench.runtime)
            .iter(|| async { verifier.viewer(&headers).await.expect("valid") });
    });
    group.bench_function("request_anonymous", |b| {
        b.to_async(&bench.runtime)
            .iter(|| async { post(&bench.app, &viewer_query, None).await });
    });
    group.bench_function("request_with_bearer", |b| {
        b.to_async(&bench.runtime)
            .iter(|| async { post(&bench.app, &viewer_query, Some(&token)).await });
    });
    group.finish();
}

criterion_group!(benches, argon2id, login, access_token);
criterion_main!(benches);
