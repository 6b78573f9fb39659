//! The staff search of intents: filters, keyset pages newest first, and who may search.

use commerce_kernel::viewer::Viewer;
use commerce_testkit::{Backend, customer, error_code, on_both_backends};
use serde_json::{Value, json};

use crate::support::{TestApp, assert_no_errors, reader};

on_both_backends!(staff_search_filters_and_pages_newest_first);

const SEARCH: &str = "query ($filter: PaymentIntentFilter, $first: Int, $after: String, $last: Int, $before: String) {
  paymentIntents(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage endCursor startCursor }
    edges { node { id status } }
  }
}";

fn ids(connection: &Value) -> Vec<String> {
    connection["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["id"].as_str().expect("an id").to_owned())
        .collect()
}

async fn search(app: &TestApp, variables: Value) -> Value {
    let response = app.execute_as(reader(), SEARCH, variables).await;
    assert_no_errors(&response);
    response["data"]["paymentIntents"].clone()
}

async fn staff_search_filters_and_pages_newest_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut authorized = Vec::new();
    for _ in 0..5 {
        authorized.push(app.authorized("1.00").await);
    }
    app.void(&authorized[1], "void-1").await;
    let newest_first: Vec<String> = authorized.iter().rev().cloned().collect();

    let first = search(&app, json!({ "first": 2 })).await;
    assert_eq!(first["totalCount"], 5);
    assert_eq!(ids(&first), newest_first[..2]);
    assert_eq!(first["pageInfo"]["hasNextPage"], true);
    let next = search(
        &app,
        json!({ "first": 2, "after": first["pageInfo"]["endCursor"] }),
    )
    .await;
    assert_eq!(ids(&next), newest_first[2..4]);
    let back = search(
        &app,
        json!({ "last": 1, "before": next["pageInfo"]["startCursor"] }),
    )
    .await;
    assert_eq!(ids(&back), newest_first[1..2]);

    let voided = search(&app, json!({ "filter": { "status": "VOIDED" } })).await;
    assert_eq!(ids(&voided), [authorized[1].clone()]);
    assert_eq!(voided["totalCount"], 1);
    let none = search(
        &app,
        json!({ "filter": { "reference": "nothing-like-this" } }),
    )
    .await;
    assert_eq!(none["totalCount"], 0);

    for (viewer, code) in [
        (customer(1, &[]), "FORBIDDEN"),
        (Viewer::Anonymous, "UNAUTHENTICATED"),
    ] {
        let response = app.execute_as(viewer, SEARCH, json!({})).await;
        assert_eq!(error_code(&response), code);
    }
}
