//! The HTTP routes of `router(state)`: GraphQL over POST beside the webhook, `/health` and
//! `/ready`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use commerce_testkit::Backend;
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::support::TestApp;

async fn send(app: &TestApp, request: Request<Body>) -> (StatusCode, String) {
    let response = commerce_payments::router(app.state.clone(), app.verifier())
        .oneshot(request)
        .await
        .expect("the router answers");
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("reads the body")
        .to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn serves_graphql_health_and_readiness_beside_the_webhook() {
    let app = TestApp::new(Backend::Sqlite).await;
    let post = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"query":"{ __typename }"}"#))
        .expect("a valid request");
    assert_eq!(
        send(&app, post).await,
        (
            StatusCode::OK,
            r#"{"data":{"__typename":"Query"}}"#.to_owned()
        )
    );
    let get = |uri: &str| Request::get(uri).body(Body::empty()).expect("a request");
    assert_eq!(
        send(&app, get("/health")).await,
        (StatusCode::OK, "ok".to_owned())
    );
    assert_eq!(
        send(&app, get("/ready")).await,
        (StatusCode::OK, "ready".to_owned())
    );
    let other_provider = Request::post("/webhooks/payments/stripe")
        .body(Body::from("{}"))
        .expect("a request");
    assert_eq!(send(&app, other_provider).await.0, StatusCode::NOT_FOUND);
}
