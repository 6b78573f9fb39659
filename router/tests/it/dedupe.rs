//! Deduplication: identical in-flight subgraph fetches share one request; inbound dedupe
//! shares one execution among identical concurrent client queries.

use std::sync::atomic::Ordering;
use std::time::Duration;

use commerce_router::Config;
use commerce_router::config::DedupeConfig;
use futures::future::join_all;
use serde_json::json;

use crate::harness::{TestRouter, spawn_counting};

async fn concurrent_hits(dedupe: DedupeConfig) -> (usize, Vec<serde_json::Value>) {
    let (accounts, hits) = spawn_counting(Duration::from_millis(300)).await;
    let config = Config {
        dedupe,
        ..Config::default()
    };
    let router = TestRouter::with_config("products.graphql", &[("accounts", &accounts)], config);
    let responses = join_all((0..5).map(|_| router.query("{ me { name } }", json!({})))).await;
    (hits.load(Ordering::SeqCst), responses)
}

#[tokio::test]
async fn identical_in_flight_subgraph_fetches_share_one_request() {
    let (hits, responses) = concurrent_hits(DedupeConfig {
        subgraph: true,
        inbound: false,
    })
    .await;
    assert_eq!(hits, 1);
    assert!(
        responses
            .iter()
            .all(|r| r == &json!({ "data": { "me": { "name": "Ada" } } }))
    );
}

#[tokio::test]
async fn without_dedupe_every_request_reaches_the_subgraph() {
    let (hits, _) = concurrent_hits(DedupeConfig {
        subgraph: false,
        inbound: false,
    })
    .await;
    assert_eq!(hits, 5);
}

#[tokio::test]
async fn inbound_dedupe_shares_one_execution() {
    let (hits, responses) = concurrent_hits(DedupeConfig {
        subgraph: false,
        inbound: true,
    })
    .await;
    assert_eq!(
        hits, 1,
        "one execution, so one subgraph request even without subgraph dedupe"
    );
    assert!(
        responses
            .iter()
            .all(|r| r == &json!({ "data": { "me": { "name": "Ada" } } }))
    );
}
