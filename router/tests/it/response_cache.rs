//! The response cache: answers kept for their time-to-live, tagged with their entities and
//! dropped by mutations, `POST /invalidation` and the Redis channel; private answers never
//! shared; in Redis, shared by router instances. Also the plan cache across a reload.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::{EmptySubscription, ID, Object, Schema};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::post_service;
use commerce_router::Config;
use http::Request;
use serde_json::{Value, json};

use crate::harness::{
    CacheControl, TestResponse, TestRouter, graphql_post, serve_app, spawn_subgraph,
    with_cache_control,
};

/// The subgraphs' shared state: prices by product id and how many requests each answered.
#[derive(Clone, Default)]
struct Shop {
    prices: Arc<Mutex<HashMap<String, i32>>>,
    catalog_calls: Arc<AtomicUsize>,
    pricing_calls: Arc<AtomicUsize>,
    /// What pricing answers as its `Cache-Control`.
    cache_control: CacheControl,
}

impl Shop {
    fn price(&self, id: &str) -> i32 {
        *self.prices.lock().expect("prices").get(id).unwrap_or(&100)
    }
    fn calls(&self) -> usize {
        self.catalog_calls.load(Ordering::SeqCst) + self.pricing_calls.load(Ordering::SeqCst)
    }
}

struct CatalogProduct(String);

#[Object(name = "Product")]
impl CatalogProduct {
    async fn id(&self) -> ID {
        ID(self.0.clone())
    }
    async fn name(&self) -> String {
        format!("Product {}", self.0)
    }
}

struct CatalogQuery(Shop);

#[Object]
impl CatalogQuery {
    async fn products(&self) -> Vec<CatalogProduct> {
        self.0.catalog_calls.fetch_add(1, Ordering::SeqCst);
        vec![CatalogProduct("p1".into()), CatalogProduct("p2".into())]
    }
    async fn product(&self, id: ID) -> CatalogProduct {
        self.0.catalog_calls.fetch_add(1, Ordering::SeqCst);
        CatalogProduct(id.0)
    }
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> CatalogProduct {
        CatalogProduct(id.0)
    }
}

struct PricingProduct(String, Shop);

#[Object(name = "Product")]
impl PricingProduct {
    async fn id(&self) -> ID {
        ID(self.0.clone())
    }
    async fn price(&self) -> i32 {
        self.1.price(&self.0)
    }
    async fn last_paid(&self) -> i32 {
        7
    }
}

struct PricingQuery(Shop);

#[Object]
impl PricingQuery {
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> PricingProduct {
        self.0.pricing_calls.fetch_add(1, Ordering::SeqCst);
        PricingProduct(id.0, self.0.clone())
    }
}

struct PricingMutation(Shop);

#[Object]
impl PricingMutation {
    async fn set_price(&self, id: ID, price: i32) -> PricingProduct {
        self.0
            .prices
            .lock()
            .expect("prices")
            .insert(id.0.clone(), price);
        PricingProduct(id.0, self.0.clone())
    }
}

/// Starts both subgraphs; they give no `Cache-Control` hints unless `cache_control` is set.
async fn shop() -> (Shop, String, String) {
    let shop = Shop::default();
    let catalog = spawn_subgraph(
        Schema::build(
            CatalogQuery(shop.clone()),
            async_graphql::EmptyMutation,
            EmptySubscription,
        )
        .enable_federation()
        .finish(),
    )
    .await;
    let pricing = Schema::build(
        PricingQuery(shop.clone()),
        PricingMutation(shop.clone()),
        EmptySubscription,
    )
    .enable_federation()
    .finish();
    let pricing = Router::new().route("/graphql", post_service(GraphQL::new(pricing)));
    let pricing = serve_app(with_cache_control(pricing, shop.cache_control.clone())).await;
    (shop, catalog, pricing)
}

fn cached(mut config: Config) -> Config {
    config.response_cache.enabled = true;
    config.response_cache.default_ttl_secs = 60;
    config.response_cache.invalidation_token = Some("secret".into());
    config
}

fn router(catalog: &str, pricing: &str, config: Config) -> TestRouter {
    TestRouter::with_config(
        "cache.graphql",
        &[("catalog", catalog), ("pricing", pricing)],
        config,
    )
}

async fn post(router: &TestRouter, query: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = graphql_post();
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = json!({ "query": query }).to_string();
    router
        .send(request.body(body.into()).expect("request"))
        .await
}

fn status(response: &TestResponse) -> &str {
    response
        .headers
        .get("x-cache")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("none")
}

const LIST: &str = "{ products { id name price } }";

#[tokio::test]
async fn a_repeated_query_is_answered_from_the_cache_without_the_subgraphs() {
    let (shop, catalog, pricing) = shop().await;
    let router = router(&catalog, &pricing, cached(Config::default()));
    let first = post(&router, LIST, &[]).await;
    assert_eq!(status(&first), "MISS");
    let calls = shop.calls();
    assert!(calls > 0);
    let second = post(&router, LIST, &[]).await;
    assert_eq!(status(&second), "HIT");
    assert_eq!(second.body, first.body);
    assert_eq!(shop.calls(), calls, "no subgraph was asked again");
    // Another document is another answer.
    let other = post(&router, "{ products { id price } }", &[]).await;
    assert_eq!(status(&other), "MISS");
    let metrics = router.state().metrics().render();
    assert!(
        metrics.contains("router_response_cache_total{result=\"hit\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("router_response_cache_total{result=\"miss\"} 2"));
}

#[tokio::test]
async fn without_a_ttl_from_hints_or_configuration_nothing_is_kept() {
    let (shop, catalog, pricing) = shop().await;
    let mut config = cached(Config::default());
    config.response_cache.default_ttl_secs = 0;
    let router = router(&catalog, &pricing, config);
    post(&router, LIST, &[]).await;
    let calls = shop.calls();
    assert_eq!(status(&post(&router, LIST, &[]).await), "MISS");
    assert_eq!(shop.calls(), 2 * calls);
    // A type's configured time-to-live is enough.
    let mut config = cached(Config::default());
    config.response_cache.default_ttl_secs = 0;
    config.response_cache.types.insert("Product".into(), 60);
    let router = self::router(&catalog, &pricing, config);
    post(&router, LIST, &[]).await;
    assert_eq!(status(&post(&router, LIST, &[]).await), "HIT");
}

#[tokio::test]
async fn a_type_ttl_shorter_than_the_default_expires_the_answer() {
    let (_, catalog, pricing) = shop().await;
    let mut config = cached(Config::default());
    config.response_cache.types.insert("Product".into(), 1);
    let router = router(&catalog, &pricing, config);
    post(&router, LIST, &[]).await;
    assert_eq!(status(&post(&router, LIST, &[]).await), "HIT");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert_eq!(status(&post(&router, LIST, &[]).await), "MISS");
}

#[tokio::test]
async fn a_mutation_drops_the_answers_holding_the_entities_it_returns() {
    let (_, catalog, pricing) = shop().await;
    let router = router(&catalog, &pricing, cached(Config::default()));
    let p1 = r#"{ product(id: "p1") { name price } }"#;
    let p2 = r#"{ product(id: "p2") { name price } }"#;
    for query in [LIST, p1, p2] {
        post(&router, query, &[]).await;
        assert_eq!(status(&post(&router, query, &[]).await), "HIT");
    }
    let changed = post(
        &router,
        r#"mutation { setPrice(id: "p1", price: 250) { id price } }"#,
        &[],
    )
    .await;
    assert_eq!(changed.body["data"]["setPrice"]["price"], 250);
    assert_eq!(status(&changed), "BYPASS");
    let list = post(&router, LIST, &[]).await;
    assert_eq!(status(&list), "MISS", "the list holds p1");
    assert_eq!(list.body["data"]["products"][0]["price"], 250);
    let one = post(&router, p1, &[]).await;
    assert_eq!(status(&one), "MISS");
    assert_eq!(one.body["data"]["product"]["price"], 250);
    assert_eq!(
        status(&post(&router, p2, &[]).await),
        "HIT",
        "p2 is untouched"
    );
}

#[tokio::test]
async fn the_invalidation_endpoint_takes_its_token_and_drops_entities_and_types() {
    let (_, catalog, pricing) = shop().await;
    let router = router(&catalog, &pricing, cached(Config::default()));
    let p2 = r#"{ product(id: "p2") { name price } }"#;
    post(&router, LIST, &[]).await;
    post(&router, p2, &[]).await;
    let invalidate = |token: &'static str, body: Value| {
        Request::post("/invalidation")
            .header("authorization", format!("Bearer {token}"))
            .header("content-type", "application/json")
            .body(body.to_string().into())
            .expect("request")
    };
    let entity = json!([{ "kind": "entity", "type": "Product", "key": { "id": "p1" } }]);
    let refused = router.send(invalidate("wrong", entity.clone())).await;
    assert_eq!(refused.status, 401);
    assert_eq!(status(&post(&router, LIST, &[]).await), "HIT");
    let accepted = router.send(invalidate("secret", entity)).await;
    assert_eq!(accepted.status, 200, "{}", accepted.body);
    assert_eq!(status(&post(&router, LIST, &[]).await), "MISS");
    assert_eq!(status(&post(&router, p2, &[]).await), "HIT");
    let by_type = json!([{ "kind": "type", "type": "Product" }]);
    assert_eq!(router.send(invalidate("secret", by_type)).await.status, 200);
    assert_eq!(status(&post(&router, p2, &[]).await), "MISS");
}

#[tokio::test]
async fn answers_are_kept_per_viewer_and_private_ones_never_for_anonymous_requests() {
    let (shop, catalog, pricing) = shop().await;
    let router = router(&catalog, &pricing, cached(Config::default()));
    let ada = [("authorization", "Bearer ada")];
    let bob = [("authorization", "Bearer bob")];
    assert_eq!(status(&post(&router, LIST, &ada).await), "MISS");
    assert_eq!(status(&post(&router, LIST, &ada).await), "HIT");
    assert_eq!(status(&post(&router, LIST, &bob).await), "MISS");
    assert_eq!(status(&post(&router, LIST, &[]).await), "MISS");
    // x-forwarded-for does not change answers: it stays out of the key.
    let proxied = [("x-forwarded-for", "10.0.0.9")];
    assert_eq!(status(&post(&router, LIST, &proxied).await), "HIT");

    // `lastPaid` is `@authenticated`: whatever an anonymous request gets is never kept.
    let private = "{ products { id lastPaid } }";
    post(&router, private, &[]).await;
    let calls = shop.calls();
    assert_ne!(status(&post(&router, private, &[]).await), "HIT");
    assert!(
        shop.calls() > calls,
        "an anonymous private answer is never served"
    );
}

#[tokio::test]
async fn an_answer_a_subgraph_marks_private_is_not_kept_for_an_anonymous_request() {
    let (shop, catalog, pricing) = shop().await;
    *shop.cache_control.lock().expect("cache control") = Some("private, max-age=60".into());
    let router = router(&catalog, &pricing, cached(Config::default()));
    assert_eq!(status(&post(&router, LIST, &[]).await), "MISS");
    let calls = shop.calls();
    assert_eq!(status(&post(&router, LIST, &[]).await), "MISS");
    assert_eq!(shop.calls(), 2 * calls, "asked again");
    // The viewer's own request keeps it, under that viewer's key.
    let ada = [("authorization", "Bearer ada")];
    post(&router, LIST, &ada).await;
    assert_eq!(status(&post(&router, LIST, &ada).await), "HIT");
    assert_eq!(status(&post(&router, LIST, &[]).await), "MISS");
}

/// Two routers on one Redis: an answer one of them cached is the other's hit, a mutation
/// through one is seen through the other at once, and a message on the channel (what an
/// event consumer publishes) drops entries for both.
#[tokio::test]
async fn routers_sharing_a_redis_share_answers_and_invalidations() {
    let redis = commerce_testkit::redis_url().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let (_, catalog, pricing) = shop().await;
    let config = || {
        let mut config = cached(Config::default());
        config.response_cache.redis_url = Some(redis.clone());
        config.response_cache.redis_prefix = format!("test{nanos}:rc:");
        config.response_cache.invalidation_channel = format!("test{nanos}:invalidation");
        config
    };
    let first = router(&catalog, &pricing, config());
    let second = router(&catalog, &pricing, config());
    // Their channel listeners subscribe in the background.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(status(&post(&first, LIST, &[]).await), "MISS");
    assert_eq!(status(&post(&second, LIST, &[]).await), "HIT");

    post(
        &first,
        r#"mutation { setPrice(id: "p2", price: 7) { id price } }"#,
        &[],
    )
    .await;
    let seen = post(&second, LIST, &[]).await;
    assert_eq!(seen.body["data"]["products"][1]["price"], 7);

    let client = redis::Client::open(redis.as_str()).expect("redis url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let message = json!([{ "kind": "entity", "type": "Product", "key": { "id": "p1" } }]);
    let started = Instant::now();
    let _: () = redis::cmd("PUBLISH")
        .arg(format!("test{nanos}:invalidation"))
        .arg(message.to_string())
        .query_async(&mut connection)
        .await
        .expect("published");
    while status(&post(&first, LIST, &[]).await) == "HIT" {
        assert!(started.elapsed() < Duration::from_secs(1), "still cached");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn a_reload_prepares_the_most_used_operations_before_it_serves() {
    let (_, catalog, pricing) = shop().await;
    let router = router(&catalog, &pricing, Config::default());
    for _ in 0..3 {
        post(&router, LIST, &[]).await;
    }
    post(&router, "{ products { id } }", &[]).await;
    let count = |result: &str| {
        let text = router.state().metrics().render();
        let prefix = format!("router_query_plan_cache_total{{result=\"{result}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(&prefix))
            .map_or(0, |n| n.parse::<u64>().expect("a count"))
    };
    assert_eq!((count("hit"), count("miss")), (2, 2));

    let sdl = crate::harness::fixture("cache.graphql").replace(
        "The response cache's graph",
        "The response cache's graph, reloaded",
    );
    let state = router.state();
    let version = state.schema().version;
    let warmed = state.reload(sdl).await.expect("a valid supergraph");
    assert_eq!(warmed, 2);
    assert_ne!(state.schema().version, version);
    post(&router, LIST, &[]).await;
    post(&router, "{ products { id } }", &[]).await;
    assert_eq!(
        (count("hit"), count("miss")),
        (4, 2),
        "no request planned after the reload"
    );
    post(&router, "{ products { name } }", &[]).await;
    assert_eq!(count("miss"), 3);
}
