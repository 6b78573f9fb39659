//! The routers' response cache follows the domains' events: two routers sharing one Redis
//! both serve a storefront page from the cache, and a price change and a stock change made by
//! another pricing and inventory instance (never through either router) show through both
//! within a second.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use commerce_stack::{Listeners, Subgraphs, start};
use commerce_testkit::{Backend, test_config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const PAGE: &str = r#"{ products(first: 1) { edges { node { id name variants {
    id available price(currency: "USD") { listPrice { amount } } } } } } }"#;

/// The page through `router`, and its `x-cache`.
async fn page(router: SocketAddr) -> (Value, String) {
    let response = reqwest::Client::new()
        .post(format!("http://{router}/graphql"))
        .json(&json!({ "query": PAGE }))
        .send()
        .await
        .expect("the router answers");
    let status = response
        .headers()
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
        .to_owned();
    let body: Value = response.json().await.expect("a JSON body");
    assert!(body.get("errors").is_none(), "{body:#}");
    let variant = body["data"]["products"]["edges"][0]["node"]["variants"][0].clone();
    (variant, status)
}

/// Runs `query` as staff with `permission` on another instance's schema.
macro_rules! staff {
    ($schema:expr, $permission:expr, $query:expr, $variables:expr) => {{
        let viewer = commerce_testkit::staff(&[$permission]);
        let response = commerce_testkit::execute_as($schema, viewer, $query, $variables).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"].clone()
    }};
}

/// Polls both routers until `seen` holds for the variant each serves; returns how long the
/// slower one took.
async fn until_both(routers: [SocketAddr; 2], seen: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    for router in routers {
        while !seen(&page(router).await.0) {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "router {router} kept the old answer"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_price_and_a_stock_change_show_through_two_cached_routers_within_a_second() {
    let test_config = test_config(Backend::Sqlite).await;
    let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binds free ports");
    let mut config = listeners.config(&test_config).expect("addresses");
    let redis = commerce_testkit::redis_url().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    config.redis_url = Some(redis.clone());
    config.events_namespace = format!("t{nanos}");
    config.response_cache_ttl_secs = 300;
    let subgraphs = Subgraphs::connect(&config)
        .await
        .expect("subgraphs connect");
    subgraphs.load_demo(1).await.expect("demo data loads");
    let pricing = commerce_pricing::schema(
        commerce_pricing::state(&config)
            .await
            .expect("another pricing instance"),
    );
    let inventory = commerce_inventory::schema(
        commerce_inventory::state(&config)
            .await
            .expect("another inventory instance"),
    );
    let shutdown = CancellationToken::new();
    let stack = start(subgraphs, listeners, shutdown.clone())
        .await
        .expect("stack starts");
    // A second router on the same subgraphs and the same Redis.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let second = listener.local_addr().expect("an address");
    let urls: Vec<(&str, String)> = stack
        .subgraphs
        .iter()
        .map(|(name, addr)| (*name, format!("http://{addr}/graphql")))
        .collect();
    let router_config = commerce_stack::router_config(&urls, Some(redis), 300);
    let state = commerce_router::RouterState::from_sdl(commerce_stack::SUPERGRAPH, router_config)
        .expect("the committed supergraph");
    tokio::spawn(commerce_router::serve(
        listener,
        state,
        shutdown.clone().cancelled_owned(),
    ));
    let routers = [stack.router, second];

    let (before, status) = page(stack.router).await;
    assert_eq!(status, "MISS");
    let (same, status) = page(second).await;
    assert_eq!(
        (same, status.as_str()),
        (before.clone(), "HIT"),
        "shared through Redis"
    );
    let variant = before["id"].as_str().expect("a variant id").to_owned();
    let available = before["available"].as_i64().expect("a count");

    let _ = staff!(
        &pricing,
        "pricing:write",
        r#"mutation($variant: ID!) { setVariantPrices(input: { variantId: $variant,
            prices: [{ currency: "USD", amount: "123.45" }] }) { __typename } }"#,
        json!({ "variant": variant })
    );
    let price_took = until_both(routers, |v| v["price"]["listPrice"]["amount"] == "123.45").await;

    let warehouses = staff!(
        &inventory,
        "inventory:write",
        "{ warehouses { id } }",
        json!({})
    );
    let warehouse = warehouses["warehouses"][0]["id"].clone();
    let _ = staff!(
        &inventory,
        "inventory:write",
        r#"mutation($variant: ID!, $warehouse: ID!) { adjustStock(input: { variantId: $variant,
            warehouseId: $warehouse, delta: 5 }, idempotencyKey: "router-cache") { __typename } }"#,
        json!({ "variant": variant, "warehouse": warehouse })
    );
    let stock_took = until_both(routers, |v| v["available"] == available + 5).await;
    // Cached again afterwards (a refill that overlaps a late invalidation is not kept).
    let mut refilled = false;
    for _ in 0..50 {
        page(stack.router).await;
        if page(second).await.1 == "HIT" {
            refilled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(refilled, "the page was never cached again");
    println!(
        "price change seen through both routers after {price_took:?}, stock change after {stock_took:?}"
    );
    assert!(
        price_took < Duration::from_secs(1),
        "price seen after {price_took:?}"
    );
    assert!(
        stock_took < Duration::from_secs(1),
        "stock seen after {stock_took:?}"
    );

    shutdown.cancel();
    stack.wait().await.expect("the stack stops cleanly");
}
