//! One subgraph calling another's internal operation over real HTTP with a service token: the
//! callee sees the calling service, refuses customers, and a callee that is not there is
//! `SERVICE_UNAVAILABLE`.

use std::sync::Arc;

use async_graphql::{Context, EmptyMutation, Object};
use commerce_kernel::auth::Verifier;
use commerce_kernel::config::Config;
use commerce_kernel::internal::{InternalClient, InternalError};
use commerce_kernel::subgraph;
use commerce_kernel::viewer::Viewer;
use commerce_kernel::{ClientResultExt, DomainError, ErrorCode};
use serde::Deserialize;
use serde_json::json;

struct Query;

#[Object]
impl Query {
    /// Internal: the name of the calling service.
    #[graphql(inaccessible)]
    async fn caller(&self, ctx: &Context<'_>) -> async_graphql::Result<String> {
        let viewer = ctx.data::<Viewer>()?;
        viewer.require_service().map(str::to_owned).or_client()
    }
}

#[derive(Debug, Deserialize)]
struct Caller {
    caller: String,
}

/// Serves the callee on a free port, verifying tokens as `config` says.
async fn callee(config: &Config) -> String {
    let schema = subgraph::schema_builder(Query, EmptyMutation).finish();
    let db = sea_orm::Database::connect("sqlite::memory:")
        .await
        .expect("in-memory SQLite");
    let verifier = Arc::new(Verifier::from_config(config).expect("verifier"));
    let app = commerce_kernel::server::graphql_app(schema, db, verifier);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("free port");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/graphql")
}

fn config(dir: &std::path::Path, payments: &str) -> Config {
    Config {
        data_dir: dir.to_owned(),
        services: [("payments".to_owned(), payments.to_owned())].into(),
        internal_timeout_ms: 2_000,
        ..Config::default()
    }
}

#[tokio::test]
async fn a_service_token_reaches_internal_operations_and_nothing_else_does() {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = callee(&config(dir.path(), "")).await;
    let client =
        InternalClient::from_config(&config(dir.path(), &url), "checkout").expect("client");
    let answer: Caller = client
        .execute("payments", "{ caller }", json!({}))
        .await
        .expect("the callee answers");
    assert_eq!(answer.caller, "checkout");

    // Without a service token the same operation is refused.
    let anonymous: serde_json::Value = reqwest::Client::new()
        .post(&url)
        .json(&json!({ "query": "{ caller }" }))
        .send()
        .await
        .expect("response")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        anonymous["errors"][0]["extensions"]["code"],
        "UNAUTHENTICATED"
    );
}

#[tokio::test]
async fn a_service_key_the_callee_does_not_know_is_refused() {
    let (ours, theirs) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let url = callee(&config(theirs.path(), "")).await;
    let client =
        InternalClient::from_config(&config(ours.path(), &url), "checkout").expect("client");
    let refused = client
        .execute::<Caller>("payments", "{ caller }", json!({}))
        .await
        .expect_err("another key");
    assert!(
        matches!(&refused, InternalError::Refused { code, .. } if code == "UNAUTHENTICATED"),
        "{refused:?}"
    );
    // The client's caller sees a masked internal error, not the callee's auth failure.
    assert_eq!(refused.code(), ErrorCode::InternalServerError);
}

#[tokio::test]
async fn a_callee_that_is_not_there_is_unavailable() {
    let dir = tempfile::tempdir().expect("temp dir");
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("free port");
    let url = format!("http://{}/graphql", closed.local_addr().expect("address"));
    drop(closed);
    let client =
        InternalClient::from_config(&config(dir.path(), &url), "checkout").expect("client");
    let error = client
        .execute::<Caller>("payments", "{ caller }", json!({}))
        .await
        .expect_err("nobody listens");
    assert_eq!(error.code(), ErrorCode::ServiceUnavailable);
}
