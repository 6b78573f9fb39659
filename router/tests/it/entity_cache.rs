//! The entity cache: each entity of an `_entities` answer kept on its own, so other operations
//! needing it skip the subgraph; private entities kept per viewer only; `no-store` and
//! `private` hints to anonymous requests respected; mutations and the Redis channel drop
//! entities; in Redis, shared by router instances.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::{Context, EmptySubscription, ID, Object, Schema};
use async_graphql_axum::{GraphQL, GraphQLRequest, GraphQLResponse};
use axum::Router;
use axum::routing::{post, post_service};
use commerce_router::Config;
use http::HeaderMap;
use serde_json::{Value, json};

use crate::harness::{
    CacheControl, Recorded, TestResponse, TestRouter, entity_requests, graphql_post, serve_app,
    spawn_recording, with_cache_control,
};

/// Prices by product id, and the `Cache-Control` pricing answers with.
#[derive(Clone, Default)]
struct Shop {
    prices: Arc<Mutex<HashMap<String, i32>>>,
    cache_control: CacheControl,
    /// Products whose price fails.
    failing: Arc<Mutex<HashSet<String>>>,
}

impl Shop {
    fn price(&self, id: &str) -> i32 {
        let default = 10 * id.trim_start_matches('p').parse::<i32>().unwrap_or(0);
        *self
            .prices
            .lock()
            .expect("prices")
            .get(id)
            .unwrap_or(&default)
    }
    fn answer_with(&self, cache_control: Option<&str>) {
        *self.cache_control.lock().expect("cache control") = cache_control.map(str::to_string);
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

struct CatalogQuery;

fn products(ids: &[&str]) -> Vec<CatalogProduct> {
    ids.iter().map(|id| CatalogProduct((*id).into())).collect()
}

#[Object]
impl CatalogQuery {
    async fn products(&self) -> Vec<CatalogProduct> {
        products(&["p1", "p2"])
    }
    async fn featured(&self) -> Vec<CatalogProduct> {
        products(&["p2", "p3"])
    }
    async fn product(&self, id: ID) -> CatalogProduct {
        CatalogProduct(id.0)
    }
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> CatalogProduct {
        CatalogProduct(id.0)
    }
}

/// The request's `Authorization`, as pricing saw it.
struct Viewer(Option<String>);

struct PricingProduct(String, Shop);

#[Object(name = "Product")]
impl PricingProduct {
    async fn id(&self) -> ID {
        ID(self.0.clone())
    }
    async fn price(&self) -> async_graphql::Result<i32> {
        if self.1.failing.lock().expect("failing").contains(&self.0) {
            return Err("price unavailable".into());
        }
        Ok(self.1.price(&self.0))
    }
    async fn seen_by(&self, context: &Context<'_>) -> Option<String> {
        context.data::<Viewer>().ok().and_then(|v| v.0.clone())
    }
}

struct PricingQuery(Shop);

#[Object]
impl PricingQuery {
    #[graphql(entity)]
    async fn find_product_by_id(&self, id: ID) -> PricingProduct {
        PricingProduct(id.0, self.0.clone())
    }
}

struct PricingMutation(Shop);

#[Object]
impl PricingMutation {
    async fn set_price(&self, id: ID, price: i32) -> PricingProduct {
        let mut prices = self.0.prices.lock().expect("prices");
        prices.insert(id.0.clone(), price);
        PricingProduct(id.0, self.0.clone())
    }
}

/// Starts the catalog and a recording pricing subgraph that sees the viewer.
async fn shop() -> (Shop, String, String, Recorded) {
    let shop = Shop::default();
    let catalog = Schema::build(
        CatalogQuery,
        async_graphql::EmptyMutation,
        EmptySubscription,
    )
    .enable_federation()
    .finish();
    let catalog =
        serve_app(Router::new().route("/graphql", post_service(GraphQL::new(catalog)))).await;
    let pricing = Schema::build(
        PricingQuery(shop.clone()),
        PricingMutation(shop.clone()),
        EmptySubscription,
    )
    .enable_federation()
    .finish();
    let handler = move |headers: HeaderMap, request: GraphQLRequest| {
        let schema = pricing.clone();
        async move {
            let viewer = headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .map(str::to_string);
            GraphQLResponse::from(
                schema
                    .execute(request.into_inner().data(Viewer(viewer)))
                    .await,
            )
        }
    };
    let app = Router::new().route("/graphql", post(handler));
    let (pricing, recorded) =
        spawn_recording(with_cache_control(app, shop.cache_control.clone())).await;
    (shop, catalog, pricing, recorded)
}

/// Entities kept 60 s unless the subgraph says otherwise; whole answers not cached.
fn entity_cached() -> Config {
    let mut config = Config::default();
    config.entity_cache.enabled = true;
    config.response_cache.default_ttl_secs = 60;
    config
}

fn router(catalog: &str, pricing: &str, config: Config) -> TestRouter {
    TestRouter::with_config(
        "entity_cache.graphql",
        &[("catalog", catalog), ("pricing", pricing)],
        config,
    )
}

async fn post_as(router: &TestRouter, query: &str, viewer: Option<&str>) -> TestResponse {
    let mut request = graphql_post();
    if let Some(viewer) = viewer {
        request = request.header("authorization", viewer);
    }
    let body = json!({ "query": query }).to_string();
    let response = router
        .send(request.body(body.into()).expect("request"))
        .await;
    assert!(response.body.get("errors").is_none(), "{}", response.body);
    response
}

async fn query(router: &TestRouter, query: &str) -> Value {
    post_as(router, query, None).await.body
}

/// POSTs a query that may come back with errors.
async fn query_with_errors(router: &TestRouter, query: &str) -> Value {
    let body = json!({ "query": query });
    router.post_json(&body).await.body
}

/// The ids of the representations of each `_entities` request pricing received.
fn sent(recorded: &Recorded) -> Vec<Vec<String>> {
    entity_requests(recorded)
        .iter()
        .map(|representations| {
            representations
                .iter()
                .map(|r| r["id"].as_str().expect("an id").to_string())
                .collect()
        })
        .collect()
}

fn metric(router: &TestRouter, result: &str) -> u64 {
    let text = router.state().metrics().render();
    let result = format!("result=\"{result}\"");
    text.lines()
        .filter(|line| line.starts_with("router_entity_cache_total{"))
        .find(|line| line.contains(&result) && line.contains("subgraph=\"pricing\""))
        .and_then(|line| line.rsplit(' ').next())
        .map_or(0, |n| n.parse().expect("a count"))
}

const LIST: &str = "{ products { id name price } }";
const FEATURED: &str = "{ featured { name price } }";

#[tokio::test]
async fn another_operation_sends_only_the_entities_not_cached() {
    let (_, catalog, pricing, recorded) = shop().await;
    let router = router(&catalog, &pricing, entity_cached());
    let first = post_as(&router, LIST, None).await;
    assert!(
        first.headers.get("x-cache").is_none(),
        "whole answers are not cached"
    );
    let list = first.body;
    assert_eq!(list["data"]["products"][1]["price"], 20);
    assert_eq!(sent(&recorded), [vec!["p1", "p2"]]);

    // p2 is cached from the list: only p3 goes to pricing, and the answers keep their order.
    let featured = query(&router, FEATURED).await;
    assert_eq!(
        featured["data"]["featured"],
        json!([
            { "name": "Product p2", "price": 20 },
            { "name": "Product p3", "price": 30 },
        ])
    );
    assert_eq!(sent(&recorded), [vec!["p1", "p2"], vec!["p3"]]);

    assert_eq!(query(&router, FEATURED).await, featured);
    assert_eq!(query(&router, LIST).await, list);
    assert_eq!(sent(&recorded).len(), 2, "everything came from the cache");
    assert_eq!((metric(&router, "hit"), metric(&router, "miss")), (5, 3));

    // Another selection of the same entities is another entry.
    query(&router, "{ products { price seenBy } }").await;
    assert_eq!(sent(&recorded).len(), 3);
}

#[tokio::test]
async fn a_private_entity_is_served_to_its_viewer_only() {
    let (shop, catalog, pricing, recorded) = shop().await;
    shop.answer_with(Some("private, max-age=60"));
    let router = router(&catalog, &pricing, entity_cached());
    let seen = |response: &TestResponse| response.body["data"]["products"][0]["seenBy"].clone();
    let private = "{ products { price seenBy } }";

    let ada = post_as(&router, private, Some("Bearer ada")).await;
    assert_eq!(seen(&ada), "Bearer ada");
    let again = post_as(&router, private, Some("Bearer ada")).await;
    assert_eq!(again.body, ada.body);
    assert_eq!(sent(&recorded).len(), 1, "kept for its viewer");

    let bob = post_as(&router, private, Some("Bearer bob")).await;
    assert_eq!(seen(&bob), "Bearer bob");
    assert_eq!(sent(&recorded).len(), 2);

    let anonymous = post_as(&router, private, None).await;
    assert_eq!(seen(&anonymous), Value::Null);
    assert_eq!(sent(&recorded).len(), 3);
}

#[tokio::test]
async fn a_private_answer_to_an_anonymous_request_is_not_cached() {
    let (shop, catalog, pricing, recorded) = shop().await;
    shop.answer_with(Some("private, max-age=60"));
    let router = router(&catalog, &pricing, entity_cached());
    query(&router, LIST).await;
    query(&router, LIST).await;
    assert_eq!(sent(&recorded), [vec!["p1", "p2"], vec!["p1", "p2"]]);
    assert_eq!(metric(&router, "hit"), 0);
}

#[tokio::test]
async fn no_store_keeps_entities_out_and_max_age_bounds_their_life() {
    let (shop, catalog, pricing, recorded) = shop().await;
    shop.answer_with(Some("no-store"));
    let router = router(&catalog, &pricing, entity_cached());
    query(&router, LIST).await;
    query(&router, LIST).await;
    assert_eq!(sent(&recorded).len(), 2, "no-store: nothing kept");

    shop.answer_with(Some("max-age=1"));
    query(&router, LIST).await;
    query(&router, LIST).await;
    assert_eq!(sent(&recorded).len(), 3, "kept for max-age");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    query(&router, LIST).await;
    assert_eq!(sent(&recorded).len(), 4, "expired after max-age");
}

#[tokio::test]
async fn a_mutation_returning_an_entity_drops_it_from_the_cache() {
    let (_, catalog, pricing, recorded) = shop().await;
    let router = router(&catalog, &pricing, entity_cached());
    query(&router, LIST).await;
    let changed = query(
        &router,
        r#"mutation { setPrice(id: "p1", price: 250) { id price } }"#,
    )
    .await;
    assert_eq!(changed["data"]["setPrice"]["price"], 250);
    let list = query(&router, LIST).await;
    assert_eq!(list["data"]["products"][0]["price"], 250);
    assert_eq!(list["data"]["products"][1]["price"], 20);
    assert_eq!(
        sent(&recorded),
        [vec!["p1", "p2"], vec!["p1"]],
        "only the changed entity is fetched again"
    );
}

/// async-graphql names a failed entity field `["_entities", "price"]`, without the entity's
/// index: then no entity of the answer can be told apart from the failed one, and none is
/// kept (an error naming its entity spares the others: `executor::fetch`'s unit tests).
#[tokio::test]
async fn an_answer_with_an_error_naming_no_entity_keeps_none_of_its_entities() {
    let (shop, catalog, pricing, recorded) = shop().await;
    let router = router(&catalog, &pricing, entity_cached());
    shop.failing.lock().expect("failing").insert("p2".into());
    let failed = query_with_errors(&router, LIST).await;
    assert_eq!(failed["errors"][0]["message"], "price unavailable");
    shop.failing.lock().expect("failing").clear();
    let list = query(&router, LIST).await;
    assert_eq!(list["data"]["products"][1]["price"], 20);
    query(&router, LIST).await;
    assert_eq!(
        sent(&recorded),
        [vec!["p1", "p2"], vec!["p1", "p2"]],
        "nothing of the failed answer was kept; the good one was"
    );
}

#[tokio::test]
async fn a_type_ttl_shorter_than_the_default_expires_its_entities() {
    let (_, catalog, pricing, recorded) = shop().await;
    let mut config = entity_cached();
    config.response_cache.types.insert("Product".into(), 1);
    let router = router(&catalog, &pricing, config);
    query(&router, LIST).await;
    query(&router, LIST).await;
    assert_eq!(sent(&recorded).len(), 1);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    query(&router, LIST).await;
    assert_eq!(sent(&recorded).len(), 2);
}

/// An answer the response cache builds from cached entities lives no longer than they do.
#[tokio::test]
async fn a_whole_answer_made_of_cached_entities_keeps_their_time_to_live() {
    let (shop, catalog, pricing, recorded) = shop().await;
    shop.answer_with(Some("max-age=2"));
    let mut config = entity_cached();
    config.response_cache.enabled = true;
    let router = router(&catalog, &pricing, config);
    query(&router, LIST).await;
    let prices = "{ products { price } }";
    let x_cache = |response: &TestResponse| response.headers["x-cache"].clone();
    assert_eq!(x_cache(&post_as(&router, prices, None).await), "MISS");
    assert_eq!(x_cache(&post_as(&router, prices, None).await), "HIT");
    assert_eq!(
        sent(&recorded).len(),
        1,
        "its entities came from the entity cache"
    );
    // Kept for the time the entities had left (whole seconds, rounded down), not the default.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(x_cache(&post_as(&router, prices, None).await), "MISS");
    assert_eq!(sent(&recorded).len(), 2);
}

/// Two routers on one Redis: entities one of them fetched are the other's hits, a mutation
/// through one is seen through the other at once, and a message on the channel drops
/// entities for both.
#[tokio::test]
async fn routers_sharing_a_redis_share_entities_and_invalidations() {
    let redis = commerce_testkit::redis_url().await;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos();
    let (_, catalog, pricing, recorded) = shop().await;
    let config = || {
        let mut config = entity_cached();
        config.response_cache.redis_url = Some(redis.clone());
        config.response_cache.redis_prefix = format!("test{nanos}:ec:");
        config.response_cache.invalidation_channel = format!("test{nanos}:invalidation");
        config
    };
    let first = router(&catalog, &pricing, config());
    let second = router(&catalog, &pricing, config());
    // Their channel listeners subscribe in the background.
    tokio::time::sleep(Duration::from_millis(200)).await;
    query(&first, LIST).await;
    query(&second, FEATURED).await;
    assert_eq!(sent(&recorded), [vec!["p1", "p2"], vec!["p3"]]);

    query(
        &first,
        r#"mutation { setPrice(id: "p2", price: 7) { id price } }"#,
    )
    .await;
    // The second router also hears of the mutation on the channel; had it refilled p2 before
    // that message came (a busy machine), the late message would drop p2 again and the last
    // fetch below would ask for it too.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let seen = query(&second, FEATURED).await;
    assert_eq!(seen["data"]["featured"][0]["price"], 7);
    assert_eq!(sent(&recorded)[2], ["p2"]);

    let client = redis::Client::open(redis.as_str()).expect("redis url");
    let mut connection = client
        .get_multiplexed_async_connection()
        .await
        .expect("redis connection");
    let message = json!([{ "kind": "entity", "type": "Product", "key": { "id": "p3" } }]);
    let _: () = redis::cmd("PUBLISH")
        .arg(format!("test{nanos}:invalidation"))
        .arg(message.to_string())
        .query_async(&mut connection)
        .await
        .expect("published");
    let started = Instant::now();
    loop {
        let before = sent(&recorded).len();
        query(&first, FEATURED).await;
        if sent(&recorded).len() > before {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(1), "still cached");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(sent(&recorded).last().expect("a request"), &["p3"]);
}
