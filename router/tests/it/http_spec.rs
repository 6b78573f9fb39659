//! GraphQL over HTTP: methods, media types, status codes and request errors.

use axum::body::Body;
use http::{Request, StatusCode, header};
use insta::assert_json_snapshot;
use serde_json::json;

use crate::entities::products_router;
use crate::harness::{TestResponse, TestRouter};

async fn post(
    router: &TestRouter,
    content_type: Option<&str>,
    accept: Option<&str>,
    body: &str,
) -> TestResponse {
    let mut request = Request::post("/graphql");
    if let Some(ct) = content_type {
        request = request.header(header::CONTENT_TYPE, ct);
    }
    if let Some(accept) = accept {
        request = request.header(header::ACCEPT, accept);
    }
    router
        .send(request.body(Body::from(body.to_string())).expect("request"))
        .await
}

async fn get(router: &TestRouter, uri: &str, accept: &str) -> TestResponse {
    router
        .send(
            Request::get(uri)
                .header(header::ACCEPT, accept)
                .body(Body::empty())
                .expect("request"),
        )
        .await
}

fn content_type(response: &TestResponse) -> &str {
    response
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

const GRAPHQL_JSON: &str = "application/graphql-response+json";

#[tokio::test]
async fn answers_queries_over_get() {
    let router = products_router().await;
    let response = get(
        &router,
        "/graphql?query=query%20Q(%24n%3AInt)%7BtopProducts(first%3A%24n)%7Bupc%7D%7D&variables=%7B%22n%22%3A1%7D",
        "application/json",
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(content_type(&response), "application/json; charset=utf-8");
    assert_json_snapshot!(response.body, @r#"
    {
      "data": {
        "topProducts": [
          {
            "upc": "1"
          }
        ]
      }
    }
    "#);
}

#[tokio::test]
async fn refuses_mutations_over_get_with_405_and_runs_them_over_post() {
    let router = crate::values::router().await;
    let mutation = r#"mutation { rename(id: "1", name: "Lovelace") { name } }"#;
    let over_get = get(
        &router,
        "/graphql?query=mutation%7Brename(id%3A%221%22%2Cname%3A%22L%22)%7Bname%7D%7D",
        GRAPHQL_JSON,
    )
    .await;
    assert_eq!(over_get.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(over_get.headers[header::ALLOW], "POST");
    let over_post = router.query(mutation, json!({})).await;
    let no_mutation_type = get(
        &products_router().await,
        "/graphql?query=mutation%7Bx%7D",
        GRAPHQL_JSON,
    )
    .await;
    assert_eq!(no_mutation_type.status, StatusCode::BAD_REQUEST);
    assert_json_snapshot!([over_get.body, over_post, no_mutation_type.body], @r#"
    [
      {
        "errors": [
          {
            "message": "Mutations can only be sent over HTTP POST",
            "extensions": {
              "code": "METHOD_NOT_ALLOWED"
            }
          }
        ]
      },
      {
        "data": {
          "rename": {
            "name": "Lovelace"
          }
        }
      },
      {
        "errors": [
          {
            "message": "The mutation operation is not supported by the schema.",
            "locations": [
              {
                "line": 1,
                "column": 1
              }
            ],
            "extensions": {
              "code": "GRAPHQL_VALIDATION_FAILED"
            }
          }
        ]
      }
    ]
    "#);
}

#[tokio::test]
async fn uses_400_for_document_errors_only_with_graphql_response_json() {
    let router = products_router().await;
    let body = json!({ "query": "{ topProducts { nope } }" }).to_string();
    let modern = post(&router, Some("application/json"), Some(GRAPHQL_JSON), &body).await;
    let legacy = post(
        &router,
        Some("application/json"),
        Some("application/json"),
        &body,
    )
    .await;
    let parse = post(
        &router,
        Some("application/json"),
        Some(GRAPHQL_JSON),
        r#"{"query":"{ topProducts "}"#,
    )
    .await;
    assert_eq!(modern.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        content_type(&modern),
        "application/graphql-response+json; charset=utf-8"
    );
    assert_eq!(legacy.status, StatusCode::OK);
    assert_eq!(parse.status, StatusCode::BAD_REQUEST);
    assert_json_snapshot!([modern.body, parse.body], @r#"
    [
      {
        "errors": [
          {
            "message": "Cannot query field \"nope\" on type \"Product\".",
            "locations": [
              {
                "line": 1,
                "column": 17
              }
            ],
            "extensions": {
              "code": "GRAPHQL_VALIDATION_FAILED"
            }
          }
        ]
      },
      {
        "errors": [
          {
            "message": "Syntax Error: Parse error at 1:15 Unexpected end of input Expected }",
            "locations": [
              {
                "line": 1,
                "column": 15
              }
            ],
            "extensions": {
              "code": "GRAPHQL_PARSE_FAILED"
            }
          }
        ]
      }
    ]
    "#);
}

#[tokio::test]
async fn explains_malformed_requests_with_stable_codes() {
    let router = products_router().await;
    let no_content_type = post(&router, None, None, r#"{"query":"{ me { id } }"}"#).await;
    let wrong_content_type = post(
        &router,
        Some("text/plain"),
        None,
        r#"{"query":"{ me { id } }"}"#,
    )
    .await;
    let not_json = post(&router, Some("application/json"), None, "{query").await;
    let no_query = post(
        &router,
        Some("application/json"),
        None,
        r#"{"variables":{}}"#,
    )
    .await;
    let bad_variables = post(
        &router,
        Some("application/json"),
        None,
        r#"{"query":"{ me { id } }","variables":[1]}"#,
    )
    .await;
    let statuses: Vec<u16> = [
        &no_content_type,
        &wrong_content_type,
        &not_json,
        &no_query,
        &bad_variables,
    ]
    .iter()
    .map(|r| r.status.as_u16())
    .collect();
    assert_eq!(statuses, [415, 415, 400, 400, 400]);
    let codes: Vec<&serde_json::Value> = [
        &no_content_type,
        &wrong_content_type,
        &not_json,
        &no_query,
        &bad_variables,
    ]
    .iter()
    .map(|r| &r.body["errors"][0]["extensions"]["code"])
    .collect();
    assert_json_snapshot!(codes, @r#"
    [
      "UNSUPPORTED_MEDIA_TYPE",
      "UNSUPPORTED_MEDIA_TYPE",
      "BAD_REQUEST",
      "BAD_REQUEST",
      "BAD_REQUEST"
    ]
    "#);
}

#[tokio::test]
async fn rejects_bodies_over_the_limit() {
    let router = TestRouter::with_config(
        "products.graphql",
        &[],
        commerce_router::Config {
            body_limit: 64,
            ..Default::default()
        },
    );
    let big = json!({ "query": format!("{{ me {{ id }} }} # {}", "x".repeat(200)) }).to_string();
    let response = post(&router, Some("application/json"), None, &big).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.body["errors"][0]["extensions"]["code"],
        "PAYLOAD_TOO_LARGE"
    );
}

#[tokio::test]
async fn serves_graphiql_to_browsers_and_health_endpoints() {
    let router = products_router().await;
    let page = get(&router, "/graphql", "text/html,application/xhtml+xml").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .as_str()
            .is_some_and(|html| html.contains("GraphiQL"))
    );
    let health = get(&router, "/health", "*/*").await;
    let ready = get(&router, "/ready", "*/*").await;
    assert_json_snapshot!([health.body, ready.body], @r#"
    [
      {
        "status": "ok"
      },
      {
        "status": "ready",
        "subgraphs": 4
      }
    ]
    "#);
}

#[tokio::test]
async fn sets_a_request_id_on_every_response_and_keeps_a_given_one() {
    let router = products_router().await;
    let generated = get(&router, "/health", "*/*").await;
    assert!(generated.headers.get("x-request-id").is_some());
    let kept = router
        .send(
            Request::get("/health")
                .header("x-request-id", "abc-123")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(kept.headers["x-request-id"], "abc-123");
    let failed = post(&router, None, None, "").await;
    assert!(failed.headers.get("x-request-id").is_some());
}

#[tokio::test]
async fn compresses_responses_when_asked() {
    let router = products_router().await;
    let response = router
        .send(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::ACCEPT_ENCODING, "gzip")
                .body(Body::from(
                    json!({"query": "{ topProducts { upc name price weight } }"}).to_string(),
                ))
                .expect("request"),
        )
        .await;
    assert_eq!(response.headers[header::CONTENT_ENCODING], "gzip");
}

#[tokio::test]
async fn allows_cross_origin_requests() {
    let router = products_router().await;
    let response = router
        .send(
            Request::options("/graphql")
                .header(header::ORIGIN, "https://shop.example")
                .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(response.headers[header::ACCESS_CONTROL_ALLOW_ORIGIN], "*");
}

#[tokio::test]
async fn keeps_the_requested_field_order() {
    let router = products_router().await;
    let bytes = router
        .raw(json!({"query": "{ me { username id name } topProducts(first: 1) { weight upc } }"}))
        .await;
    assert_eq!(
        bytes,
        r#"{"data":{"me":{"username":"@user1","id":"1","name":"User 1"},"topProducts":[{"weight":100,"upc":"1"}]}}"#
    );
}

#[tokio::test]
async fn forwards_the_authorization_header_to_subgraphs() {
    let accounts = crate::harness::spawn_header_echo().await;
    let router = TestRouter::new("products.graphql", &[("accounts", &accounts)]);
    let body = json!({ "query": "{ me { name } }" }).to_string();
    let with_token = router
        .send(
            Request::post("/graphql")
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::AUTHORIZATION, "Bearer t0ken")
                .body(Body::from(body.clone()))
                .expect("request"),
        )
        .await;
    let anonymous = post(&router, Some("application/json"), None, &body).await;
    assert_json_snapshot!([with_token.body, anonymous.body], @r#"
    [
      {
        "data": {
          "me": {
            "name": "Bearer t0ken"
          }
        }
      },
      {
        "data": {
          "me": {
            "name": null
          }
        }
      }
    ]
    "#);
}

#[tokio::test]
async fn refuses_absurdly_deep_documents_without_crashing() {
    let router = products_router().await;
    let deep = format!("{}{}", "{ me ".repeat(5000), "}".repeat(5000));
    let body = json!({ "query": deep }).to_string();
    let response = post(&router, Some("application/json"), Some(GRAPHQL_JSON), &body).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        response.body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
}

#[tokio::test]
async fn answers_malformed_documents_with_request_errors_never_a_crash() {
    let router = products_router().await;
    let documents = [
        "{",
        "query { topProducts { ...F } } fragment F on Product { ...F }",
        r#"{ topProducts(first: "x") { upc } }"#,
        "subscription { topProducts { upc } }",
        "{ __type { name } }",
        r#"query($a: Int = "s") { topProducts(first: $a) { upc } }"#,
        "{ topProducts { upc { nope } } }",
        "query A { me { id } } query A { me { id } }",
        "fragment F on Product { upc }",
        "{ me { ... on Product { upc } } }",
    ];
    let mut codes = Vec::new();
    for document in documents {
        let body = json!({ "query": document }).to_string();
        let response = post(&router, Some("application/json"), Some(GRAPHQL_JSON), &body).await;
        assert_eq!(
            response.status,
            StatusCode::BAD_REQUEST,
            "{document}: {}",
            response.body
        );
        assert!(response.body.get("data").is_none(), "{document}");
        codes.push(response.body["errors"][0]["extensions"]["code"].clone());
    }
    assert_json_snapshot!(codes, @r#"
    [
      "GRAPHQL_PARSE_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED",
      "GRAPHQL_VALIDATION_FAILED"
    ]
    "#);
}

#[tokio::test]
async fn refuses_operations_over_the_limits_before_planning() {
    let router = products_router().await;
    let fields: String = (0..130)
        .map(|i| format!("p{i}: topProducts {{ upc }} "))
        .collect();
    let body = serde_json::to_string(&json!({ "query": format!("{{ {fields} }}") })).expect("json");
    let response = post(&router, Some("application/json"), Some(GRAPHQL_JSON), &body).await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
    let codes: Vec<&str> = response.body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["extensions"]["code"].as_str())
        .collect();
    assert_eq!(codes, ["MAX_ALIASES_EXCEEDED", "MAX_ROOT_FIELDS_EXCEEDED"]);
}
