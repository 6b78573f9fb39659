//! The routers' caches follow the domains' events: two routers sharing one Redis both serve a
//! storefront page from the response cache, and a price change and a stock change made by
//! another pricing and inventory instance (never through either router) show through both
//! within a second; with the entity cache, a page asks pricing, inventory and reviews only for
//! products it has not seen, and price, stock, review and promotion changes show within a
//! second too, as does a promotion's window opening (which writes nothing).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use commerce_kernel::config::Config;
use commerce_stack::{Listeners, Stack, Subgraphs, start};
use commerce_testkit::{Backend, TestConfig, test_config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const PAGE: &str = r#"{ products(first: 1) { edges { node { id name variants {
    id available price(currency: "USD") { listPrice { amount } } } } } } }"#;

/// The stack with its demo data, events through a Redis under a namespace of its own, the router
/// caches `cache` turns on, and other pricing, inventory and reviews instances on the same
/// databases, whose writes reach the stack only through events.
struct Shop {
    stack: Stack,
    config: Config,
    shutdown: CancellationToken,
    pricing: commerce_pricing::PricingSchema,
    inventory: commerce_inventory::InventorySchema,
    reviews: commerce_reviews::ReviewsSchema,
    /// Keeps the databases' directory for the test's life: bind it, or `..` drops it.
    _databases: TestConfig,
}

async fn shop(cache: impl FnOnce(&mut Config)) -> Shop {
    let databases = test_config(Backend::Sqlite).await;
    let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .expect("binds free ports");
    let mut config = listeners.config(&databases).expect("addresses");
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    config.redis_url = Some(commerce_testkit::redis_url().await);
    config.events_namespace = format!("t{nanos}");
    cache(&mut config);
    let subgraphs = Subgraphs::connect(&config)
        .await
        .expect("subgraphs connect");
    subgraphs.load_demo(1).await.expect("demo data loads");
    let pricing = commerce_pricing::state(&config)
        .await
        .expect("another pricing instance");
    let inventory = commerce_inventory::state(&config)
        .await
        .expect("another inventory instance");
    let reviews = commerce_reviews::state(&config)
        .await
        .expect("another reviews instance");
    let shutdown = CancellationToken::new();
    let stack = start(subgraphs, listeners, shutdown.clone())
        .await
        .expect("stack starts");
    Shop {
        stack,
        config,
        shutdown,
        pricing: commerce_pricing::schema(pricing),
        inventory: commerce_inventory::schema(inventory),
        reviews: commerce_reviews::schema(reviews),
        _databases: databases,
    }
}

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
    let Shop {
        stack,
        _databases,
        config,
        shutdown,
        pricing,
        inventory,
        ..
    } = shop(|config| config.response_cache_ttl_secs = 300).await;
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
    let router_config = commerce_stack::router_config(&urls, &config);
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

const ENTITY_PAGE: &str = r#"{ products(first: 1) { edges { node { id inStock
    priceRange(currency: "USD") { min { amount } } rating { count }
    variants { id available price(currency: "USD") { listPrice { amount } unitPrice { amount } } } } } } }"#;

/// A listing's product fields alone: pricing and inventory compute them from the variants'
/// ids (`@requires`), and answer them without the variants' own fields.
const RANGE_PAGE: &str = r#"{ products(first: 1) { edges { node { id inStock
    priceRange(currency: "USD") { min { amount } } } } } }"#;

/// The first product of `query` through `router`.
async fn entity_page(router: SocketAddr, query: &str) -> Value {
    let body: Value = reqwest::Client::new()
        .post(format!("http://{router}/graphql"))
        .json(&json!({ "query": query }))
        .send()
        .await
        .expect("the router answers")
        .json()
        .await
        .expect("a JSON body");
    assert!(body.get("errors").is_none(), "{body:#}");
    body["data"]["products"]["edges"][0]["node"].clone()
}

/// Entities the router found in its entity cache, from its metrics.
async fn entity_hits(router: SocketAddr) -> u64 {
    let metrics = reqwest::get(format!("http://{router}/metrics"))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    metrics
        .lines()
        .filter(|line| line.starts_with("router_entity_cache_total") && line.contains("hit"))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .map(|n| n as u64)
        .sum()
}

/// Polls until `seen` holds for the product `router` serves; returns how long it took.
async fn until_seen(router: SocketAddr, query: &str, seen: impl Fn(&Value) -> bool) -> Duration {
    let started = Instant::now();
    loop {
        let page = entity_page(router, query).await;
        if seen(&page) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the router kept the old entity: {page:#}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn entities_cached_by_the_router_follow_price_stock_and_review_changes_within_a_second() {
    let Shop {
        stack,
        _databases,
        shutdown,
        pricing,
        inventory,
        reviews,
        ..
    } = shop(|config| config.entity_cache_ttl_secs = 300).await;
    let router = stack.router;

    let before = entity_page(router, ENTITY_PAGE).await;
    let hits = entity_hits(router).await;
    assert_eq!(entity_page(router, ENTITY_PAGE).await, before);
    let range = entity_page(router, RANGE_PAGE).await;
    assert_eq!(entity_page(router, RANGE_PAGE).await, range, "cached too");
    assert!(
        entity_hits(router).await > hits,
        "the second page found its entities in the cache"
    );
    let product = before["id"].as_str().expect("a product id").to_owned();
    let variant = before["variants"][0]["id"]
        .as_str()
        .expect("a variant")
        .to_owned();

    let _ = staff!(
        &pricing,
        "pricing:write",
        r#"mutation($variant: ID!) { setVariantPrices(input: { variantId: $variant,
            prices: [{ currency: "USD", amount: "0.12" }] }) { __typename } }"#,
        json!({ "variant": variant })
    );
    let price_took = until_seen(router, ENTITY_PAGE, |p| {
        p["variants"][0]["price"]["listPrice"]["amount"] == "0.12"
    })
    .await;
    // The product's price range comes from its variants' ids (`@requires`), asked apart from
    // any variant field: its cached entity is tagged with them, so it follows too (a
    // promotion may take some off).
    let range_took = until_seen(router, RANGE_PAGE, |p| {
        let min = p["priceRange"]["min"]["amount"].as_str();
        min.and_then(|a| a.parse().ok())
            .is_some_and(|min: f64| min <= 0.12)
    })
    .await;

    let available = before["variants"][0]["available"]
        .as_i64()
        .expect("a count");
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
        r#"mutation($variant: ID!, $warehouse: ID!, $delta: Int!) { adjustStock(input: {
            variantId: $variant, warehouseId: $warehouse, delta: $delta },
            idempotencyKey: "entity-cache") { __typename } }"#,
        json!({ "variant": variant, "warehouse": warehouse, "delta": 7 })
    );
    let stock_took = until_seen(router, ENTITY_PAGE, |p| {
        p["variants"][0]["available"] == available + 7
    })
    .await;

    let count = before["rating"]["count"].as_i64().expect("a count");
    let submitted = commerce_testkit::execute_as(
        &reviews,
        commerce_testkit::customer(987_654, &[]),
        r#"mutation($product: ID!) { submitReview(input: { productId: $product,
            authorName: "Ada", rating: 5, title: "Cached", body: "Seen through the cache." }) {
            ... on Review { id } } }"#,
        json!({ "product": product }),
    )
    .await;
    let review = submitted["data"]["submitReview"]["id"].clone();
    assert!(review.is_string(), "{submitted:#}");
    let _ = staff!(
        &reviews,
        "reviews:moderate",
        "mutation($id: ID!) { approveReview(id: $id) { __typename } }",
        json!({ "id": review })
    );
    let review_took = until_seen(router, ENTITY_PAGE, |p| p["rating"]["count"] == count + 1).await;

    // A promotion writes no price: its `pricing.rules_changed` drops every cached product and
    // variant.
    let unit_price = |p: &Value| p["variants"][0]["price"]["unitPrice"]["amount"].clone();
    let _ = staff!(
        &pricing,
        "pricing:write",
        r#"mutation { createPromotion(input: { name: "Half off", kind: CATALOGUE,
            action: { type: PERCENTAGE, percent: "50" } }) { __typename } }"#,
        json!({})
    );
    let promotion_took = until_seen(router, ENTITY_PAGE, |p| unit_price(p) == "0.06").await;
    // Nor does a promotion's window opening: pricing's answers say until when they hold, and
    // the router keeps them no longer than that.
    let opens = chrono::Utc::now() + chrono::Duration::seconds(2);
    let _ = staff!(
        &pricing,
        "pricing:write",
        r#"mutation($opens: DateTime!) { createPromotion(input: { name: "Flash sale",
            kind: CATALOGUE, startsAt: $opens, action: { type: PERCENTAGE, percent: "75" } }) {
            __typename } }"#,
        json!({ "opens": opens.to_rfc3339() })
    );
    let before_opening = entity_page(router, ENTITY_PAGE).await;
    assert_eq!(
        unit_price(&before_opening),
        "0.06",
        "the sale has not begun"
    );
    until_seen(router, ENTITY_PAGE, |p| unit_price(p) == "0.03").await;
    let window_took = (chrono::Utc::now() - opens).to_std().unwrap_or_default();

    println!(
        "seen after: price {price_took:?}, range {range_took:?}, stock {stock_took:?}, \
         review {review_took:?}, promotion {promotion_took:?}, its window {window_took:?}"
    );
    for (what, took) in [
        ("price", price_took),
        ("price range", range_took),
        ("stock", stock_took),
        ("review", review_took),
        ("promotion", promotion_took),
        ("promotion window", window_took),
    ] {
        assert!(took < Duration::from_secs(1), "{what} seen after {took:?}");
    }

    shutdown.cancel();
    stack.wait().await.expect("the stack stops cleanly");
}
