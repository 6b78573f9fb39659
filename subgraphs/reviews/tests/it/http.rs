//! The HTTP routes of `router(state)`: GraphQL over POST, GraphiQL, `/health` and `/ready`.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use commerce_testkit::Backend;
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::support::{TestApp, product};

async fn send(app: &TestApp, request: Request<Body>) -> (StatusCode, String) {
    let response = commerce_reviews::router(app.state.clone(), app.verifier())
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

fn get(uri: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::ACCEPT, "text/html")
        .body(Body::empty())
        .expect("a valid request")
}

#[tokio::test]
async fn serves_graphql_graphiql_health_and_readiness() {
    let app = TestApp::new(Backend::Sqlite).await;
    app.approved(&product(1), 4).await;

    let query = json!({
        "query": "query ($id: ID!) { _entities(representations: [{ __typename: \"Product\", id: $id }]) { ... on Product { rating { average count } } } }",
        "variables": { "id": product(1) },
    });
    let post = Request::post("/graphql")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(query.to_string()))
        .expect("a valid request");
    let (status, body) = send(&app, post).await;
    assert_eq!(status, StatusCode::OK);
    let body: Value = serde_json::from_str(&body).expect("a JSON response");
    assert_eq!(
        body["data"]["_entities"][0]["rating"],
        json!({ "average": 4.0, "count": 1 })
    );

    let (status, page) = send(&app, get("/graphql")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("graphiql"), "{page}");
    assert_eq!(
        send(&app, get("/health")).await,
        (StatusCode::OK, "ok".to_owned())
    );
    assert_eq!(
        send(&app, get("/ready")).await,
        (StatusCode::OK, "ready".to_owned())
    );
}
