//! Supergraph hot reload: new versions are picked up, broken ones are refused.

use std::time::Duration;

use commerce_router::{Config, RouterState};
use serde_json::Value;

use crate::harness::fixture;

fn query_fields(state: &RouterState) -> Vec<String> {
    state
        .schema()
        .api
        .get("Query")
        .map(|t| {
            t.fields
                .keys()
                .filter(|k| !k.starts_with("__"))
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_for(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..100 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

#[tokio::test]
async fn swaps_in_a_changed_supergraph_and_keeps_the_old_one_when_broken() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("supergraph.graphql");
    let original = fixture("products.graphql");
    std::fs::write(&path, &original).expect("write supergraph");
    let state = RouterState::from_sdl(&original, Config::default()).expect("valid");
    let watcher =
        commerce_router::reload::watch(state.clone(), path.clone(), Duration::from_millis(10));

    let extended = original.replace(
        "  users: [User] @join__field(graph: ACCOUNTS)",
        "  users: [User] @join__field(graph: ACCOUNTS)\n  newest: Product @join__field(graph: PRODUCTS)",
    );
    std::fs::write(&path, &extended).expect("write new supergraph");
    assert!(wait_for(|| query_fields(&state).contains(&"newest".to_string())).await);
    let version = state.schema().version;

    std::fs::write(&path, "type Query { broken").expect("write broken supergraph");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        state.schema().version,
        version,
        "a broken supergraph must not replace the old one"
    );
    assert!(query_fields(&state).contains(&"newest".to_string()));
    watcher.abort();
}

#[tokio::test]
async fn rejects_sdl_that_is_not_a_supergraph() {
    let error = RouterState::from_sdl("type Query { a: Int }", Config::default())
        .err()
        .expect("plain SDL is not a supergraph");
    assert!(format!("{error:#}").contains("join__Graph"), "{error:#}");
    let _ = Value::Null;
}
