//! HTTP serving shared by every subgraph: the GraphQL endpoint with GraphiQL, `/health`
//! (process alive) and `/ready` (database reachable), and graceful shutdown on SIGTERM/Ctrl-C.

use std::future::Future;

use async_graphql::http::GraphiQLSource;
use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;

/// The subgraph's routes: `POST/GET /graphql`, GraphiQL for browsers, `/health`, `/ready`.
pub fn graphql_app<Q, M, S>(schema: Schema<Q, M, S>, db: DatabaseConnection) -> Router
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    Router::new()
        .route("/graphql", get(graphiql).post_service(GraphQL::new(schema)))
        .merge(health_routes(db))
}

/// `/health` answers while the process runs; `/ready` only while the database answers, so a
/// load balancer stops sending traffic to an instance that lost its database.
pub fn health_routes(db: DatabaseConnection) -> Router {
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/ready", get(ready))
        .with_state(db)
}

async fn ready(State(db): State<DatabaseConnection>) -> impl IntoResponse {
    if crate::db::ping(&db).await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    }
}

async fn graphiql() -> Html<String> {
    Html(GraphiQLSource::build().endpoint("/graphql").finish())
}

/// Serves `app` on `listener` until SIGTERM or Ctrl-C, letting in-flight requests finish.
pub async fn serve(listener: TcpListener, app: Router) -> anyhow::Result<()> {
    serve_until(listener, app, shutdown_signal()).await
}

/// Serves until `shutdown` resolves; tests pass their own signal.
pub async fn serve_until(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await?;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received, shutting down"),
        () = terminate => tracing::info!("SIGTERM received, shutting down"),
    }
}
