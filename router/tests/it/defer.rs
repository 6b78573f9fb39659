//! `@defer`: the deferred fields arrive in a later part of a `multipart/mixed` answer in the
//! incremental delivery format Apollo Client and urql read (`deferSpec=20220824`), the rest
//! does not wait for them, and a client that does not accept multipart gets one whole answer.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{Value, json};

use crate::harness::{TestRouter, graphql_post, spawn_canned, spawn_subgraph};

const ACCEPT: &str = "multipart/mixed;deferSpec=20220824, application/json";
const DEFERRED: &str = r#"{ maybeUsers { name ... @defer(label: "cost") { shippingCost } } }"#;

/// The JSON bodies of a `multipart/mixed` answer with the boundary `graphql`.
fn parts(body: &str) -> Vec<Value> {
    assert!(body.ends_with("\r\n--graphql--\r\n"), "{body:?}");
    body.split("\r\n--graphql")
        .filter_map(|part| part.split_once("\r\n\r\n").map(|(_, json)| json))
        .map(|json| serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}")))
        .collect()
}

async fn values_router(shipping: &str) -> TestRouter {
    let shop = spawn_subgraph(crate::subgraphs::values::shop()).await;
    TestRouter::new("values.graphql", &[("shop", &shop), ("shipping", shipping)])
}

#[tokio::test]
async fn deferred_fields_arrive_in_a_later_part_at_their_paths() {
    let shipping = spawn_subgraph(crate::subgraphs::values::shipping()).await;
    let router = values_router(&shipping).await;
    let whole = router
        .query("{ maybeUsers { name shippingCost } }", json!({}))
        .await;
    let request = graphql_post()
        .header("accept", ACCEPT)
        .body(json!({ "query": DEFERRED }).to_string().into())
        .expect("request");
    let response = router.send(request).await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(
        response.headers["content-type"],
        "multipart/mixed;boundary=\"graphql\";deferSpec=20220824"
    );
    let users = whole["data"]["maybeUsers"].as_array().expect("users");
    let names: Vec<Value> = users.iter().map(|u| json!({ "name": u["name"] })).collect();
    let increments: Vec<Value> = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            json!({
                "data": { "shippingCost": u["shippingCost"] },
                "path": ["maybeUsers", i],
                "label": "cost",
            })
        })
        .collect();
    assert_eq!(
        parts(response.body.as_str().expect("text")),
        [
            json!({ "data": { "maybeUsers": names }, "hasNext": true }),
            json!({ "incremental": increments, "hasNext": false }),
        ]
    );
}

#[tokio::test]
async fn a_slow_deferred_field_does_not_hold_back_the_rest() {
    let slow = spawn_canned(
        200,
        r#"{"data":{"_entities":[{"shippingCost":5},{"shippingCost":7}]}}"#,
        Duration::from_millis(800),
    )
    .await;
    let router = values_router(&slow).await;
    let addr = router.listen().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let request = http::Request::post(format!("http://{addr}/graphql"))
        .header("content-type", "application/json")
        .header("accept", ACCEPT)
        // A browser's: the parts must not wait in a compressor.
        .header("accept-encoding", "gzip, br")
        .body(Full::new(Bytes::from(
            json!({ "query": DEFERRED }).to_string(),
        )))
        .expect("request");
    let started = Instant::now();
    let mut body = client
        .request(request)
        .await
        .expect("an answer")
        .into_body();
    let mut text = String::new();
    let mut first_part_after = None;
    while let Some(frame) = body.frame().await {
        if let Some(data) = frame.expect("a frame").data_ref() {
            text.push_str(std::str::from_utf8(data).expect("UTF-8"));
            if first_part_after.is_none() && text.contains("\"hasNext\":true") {
                first_part_after = Some(started.elapsed());
            }
        }
    }
    let first = first_part_after.expect("a first part");
    assert!(
        first < Duration::from_millis(600),
        "the first part took {first:?}"
    );
    assert!(started.elapsed() >= Duration::from_millis(800));
    let parts = parts(&text);
    assert_eq!(parts.len(), 2);
    assert_eq!(
        parts[1]["incremental"][1],
        json!({ "data": { "shippingCost": 7 }, "path": ["maybeUsers", 1], "label": "cost" })
    );
}

#[tokio::test]
async fn without_multipart_the_answer_comes_whole() {
    let shipping = spawn_subgraph(crate::subgraphs::values::shipping()).await;
    let router = values_router(&shipping).await;
    let whole = router
        .query("{ maybeUsers { name shippingCost } }", json!({}))
        .await;
    let deferred = router.query(DEFERRED, json!({})).await;
    assert_eq!(deferred, whole);
    assert!(deferred["data"]["maybeUsers"][0]["shippingCost"].is_number());
}

#[tokio::test]
async fn a_document_error_is_reported_as_without_defer() {
    let shipping = spawn_subgraph(crate::subgraphs::values::shipping()).await;
    let router = values_router(&shipping).await;
    let request = graphql_post()
        .header("accept", ACCEPT)
        .body(
            json!({ "query": "{ maybeUsers { ... @defer { nope } } }" })
                .to_string()
                .into(),
        )
        .expect("request");
    let response = router.send(request).await;
    assert_eq!(
        response.body["errors"][0]["extensions"]["code"], "GRAPHQL_VALIDATION_FAILED",
        "{}",
        response.body
    );
}

#[tokio::test]
async fn a_client_accepting_both_streams_gets_parts_and_one_accepting_events_gets_it_whole() {
    let shipping = spawn_subgraph(crate::subgraphs::values::shipping()).await;
    let router = values_router(&shipping).await;
    // urql's Accept for queries.
    let urql = "application/graphql-response+json, application/graphql+json, application/json, \
                text/event-stream, multipart/mixed";
    let send = |accept: &'static str| {
        graphql_post()
            .header("accept", accept)
            .body(json!({ "query": DEFERRED }).to_string().into())
            .expect("request")
    };
    let response = router.send(send(urql)).await;
    let parts = parts(response.body.as_str().expect("text"));
    assert_eq!(parts.len(), 2, "{parts:?}");
    assert_eq!(parts[1]["hasNext"], false);

    let response = router.send(send("text/event-stream")).await;
    let text = response.body.as_str().expect("text");
    assert!(text.starts_with("event: next"), "{text}");
    assert!(text.contains("\"shippingCost\""), "{text}");
}
