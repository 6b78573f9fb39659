//! The catalog's events: every write publishes its change (a failed one publishes nothing),
//! and a write on one instance reaches another instance's in-memory cache through the events
//! within a second; the cached entries would otherwise live for minutes (their time to live
//! is 300 s), so only the events can explain it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, header};
use commerce_catalog::{AppState, CatalogSchema};
use commerce_kernel::auth::ServiceTokens;
use commerce_kernel::cache::{MemoryCache, NoCache, SharedCache};
use commerce_kernel::config::Config;
use commerce_kernel::events::{ConsumerOptions, Transport, spawn_consumer};
use commerce_testkit::events::Recorder;
use commerce_testkit::{Backend, SqlCounter, TestDatabase, migrated_database, on_both_backends};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt;

use crate::support::staff;

/// How soon another instance must see a write.
const BOUND: Duration = Duration::from_secs(1);

/// One catalog instance: its own pool (with a statement counter), its own in-memory cache,
/// its HTTP routes.
struct Instance {
    state: AppState,
    schema: CatalogSchema,
    routes: axum::Router,
    statements: SqlCounter,
}

impl Instance {
    async fn new(config: &Config, cache: SharedCache) -> Self {
        let mut db = commerce_kernel::db::connect(config, "catalog")
            .await
            .expect("connects");
        let statements = SqlCounter::attach(&mut db);
        let state = AppState::new(db, cache);
        Self {
            schema: commerce_catalog::schema(state.clone()),
            routes: commerce_catalog::router(state.clone(), commerce_testkit::verifier(config)),
            state,
            statements,
        }
    }

    /// `query` over HTTP, as `token`'s holder or anonymously; the response's data.
    async fn post(&self, query: &str, token: Option<&str>) -> Value {
        let mut request =
            Request::post("/graphql").header(header::CONTENT_TYPE, "application/json");
        if let Some(token) = token {
            request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = Body::from(json!({ "query": query }).to_string());
        let response = self
            .routes
            .clone()
            .oneshot(request.body(body).expect("a valid request"))
            .await
            .expect("the routes answer");
        let body = response.into_body().collect().await.expect("a body");
        let response: Value = serde_json::from_slice(&body.to_bytes()).expect("JSON");
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"].clone()
    }

    async fn data(&self, query: &str, variables: Value) -> Value {
        let response = commerce_testkit::execute_as(&self.schema, staff(), query, variables).await;
        assert!(response.get("errors").is_none(), "{response:#}");
        response["data"].clone()
    }

    async fn product_name(&self, id: &str) -> Value {
        let query = "query($id: ID!) { product(id: $id) { name } }";
        self.data(query, json!({ "id": id })).await["product"]["name"].clone()
    }

    async fn create_product(&self, name: &str, slug: &str) -> String {
        let create = "mutation($input: CreateProductInput!) { createProduct(input: $input) {
            ... on Product { id } } }";
        let input = json!({ "name": name, "slug": slug, "status": "PUBLISHED" });
        let data = self.data(create, json!({ "input": input })).await;
        data["createProduct"]["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    async fn rename(&self, id: &str, name: &str) {
        let rename = "mutation($id: ID!, $name: String!) {
            updateProduct(id: $id, input: { name: $name }) { __typename } }";
        self.data(rename, json!({ "id": id, "name": name })).await;
    }
}

/// An instance's own in-memory cache.
fn memory() -> SharedCache {
    Arc::new(MemoryCache::new(1_000))
}

/// Two instances, each with the cache `cache` makes and, as two processes would have, its own
/// Redis connections, relay and cache consumer, until `shutdown`.
async fn two_instances(
    config: &Config,
    cache: impl Fn() -> SharedCache,
    shutdown: &CancellationToken,
) -> (Instance, Instance) {
    let (a, b) = (
        Instance::new(config, cache()).await,
        Instance::new(config, cache()).await,
    );
    for instance in [&a, &b] {
        let transport = Transport::from_config(config).await.expect("Redis");
        commerce_catalog::spawn_events(&instance.state, config, &transport, shutdown.clone())
            .await
            .expect("starts the events");
    }
    // Let the consumers' groups exist before the first write.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (a, b)
}

/// A catalog database, and a configuration for its events: Redis Streams in a namespace of
/// this test's own on PostgreSQL, the embedded default (in-process) on SQLite.
async fn setup(backend: Backend) -> (TestDatabase, Config) {
    let database =
        migrated_database::<commerce_migrations::catalog::Migrator>(backend, "catalog").await;
    let mut config = database.config.config();
    if backend == Backend::Postgres {
        config.redis_url = Some(commerce_testkit::redis_url().await);
        config.events_namespace = format!("t{}", uuid::Uuid::new_v4().simple());
    }
    (database, config)
}

/// Waits until `check` holds; returns how long it took, or fails after `limit`.
async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if check().await {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit * 10, "never happened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[test]
fn a_product_update_on_one_instance_reaches_the_other_instances_cache_within_a_second() {
    commerce_testkit::run_scenario(commerce_testkit::Runtime::MultiThread, async {
        let (_database, config) = setup(Backend::Postgres).await;
        let shutdown = CancellationToken::new();
        let (a, b) = two_instances(&config, memory, &shutdown).await;

        let id = a.create_product("Oxford Shirt", "oxford").await;
        let count = "{ products { totalCount } }";
        assert_eq!(b.data(count, json!({})).await["products"]["totalCount"], 1);
        // Once the creation's own event has come by, b serves the product from its cache.
        within(BOUND, async || {
            assert_eq!(b.product_name(&id).await, "Oxford Shirt");
            b.statements.reset();
            b.product_name(&id).await;
            b.statements.count() == 0
        })
        .await;

        a.rename(&id, "Oxford Shirt Slim").await;
        let took = within(BOUND, async || {
            b.product_name(&id).await == "Oxford Shirt Slim"
        })
        .await;
        assert!(took < BOUND, "b saw the rename after {took:?}");

        let second = a.create_product("Linen Shirt", "linen").await;
        let took = within(BOUND, async || {
            b.data(count, json!({})).await["products"]["totalCount"] == 2
        })
        .await;
        assert!(took < BOUND, "b's cached count moved after {took:?}");
        a.data(
            "mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }",
            json!({ "id": second }),
        )
        .await;
        let took = within(BOUND, async || {
            b.data(count, json!({})).await["products"]["totalCount"] == 1
        })
        .await;
        assert!(took < BOUND, "b's cached count moved after {took:?}");
        shutdown.cancel();
    });
}

/// The whole answers to anonymous queries: the second ask runs no statement (the entity caches
/// keep nothing here, so only the response cache can answer it), an authenticated ask is never
/// answered from it, and another instance's write reaches it within the bound.
#[test]
fn anonymous_answers_are_kept_whole_until_another_instances_write_reaches_them() {
    commerce_testkit::run_scenario(commerce_testkit::Runtime::MultiThread, async {
        let (_database, config) = setup(Backend::Postgres).await;
        let shutdown = CancellationToken::new();
        let (a, b) = two_instances(&config, || Arc::new(NoCache), &shutdown).await;
        let id = a.create_product("Oxford Shirt", "oxford").await;
        let listing = "{ products(first: 5) { edges { node { name variants { sku } } } } }";
        let names = async |instance: &Instance, token: Option<&str>| {
            let data = instance.post(listing, token).await;
            crate::support::names(&data["products"])
        };
        // Once the creation's own event has come by, b answers from its response cache.
        within(BOUND, async || {
            assert_eq!(names(&b, None).await, ["Oxford Shirt"]);
            b.statements.reset();
            names(&b, None).await;
            b.statements.count() == 0
        })
        .await;

        let token = ServiceTokens::from_config(&config, "orders")
            .and_then(|tokens| tokens.issue())
            .expect("a service token");
        for _ in 0..2 {
            b.statements.reset();
            assert_eq!(names(&b, Some(&token)).await, ["Oxford Shirt"]);
            assert!(
                b.statements.count() > 0,
                "an authenticated answer came from the cache"
            );
        }

        a.rename(&id, "Oxford Shirt Slim").await;
        let took = within(BOUND, async || {
            names(&b, None).await == ["Oxford Shirt Slim"]
        })
        .await;
        assert!(took < BOUND, "b's cached answer changed after {took:?}");
        shutdown.cancel();
    });
}

#[test]
fn on_the_embedded_default_the_cache_consumer_receives_the_events_in_process() {
    commerce_testkit::run_scenario(commerce_testkit::Runtime::MultiThread, async {
        let (_database, config) = setup(Backend::Sqlite).await;
        let shutdown = CancellationToken::new();
        let transport = Transport::from_config(&config).await.expect("in-process");
        assert_eq!(transport.kind(), "in-process");
        let (a, b) = (
            Instance::new(&config, memory()).await,
            Instance::new(&config, memory()).await,
        );
        // One relay per SQLite database; both states' caches follow the events.
        commerce_catalog::spawn_events(&a.state, &config, &transport, shutdown.clone())
            .await
            .expect("starts the events");
        commerce_catalog::spawn_cache_consumer(&b.state, &transport, shutdown.clone());

        let id = a.create_product("Oxford Shirt", "oxford").await;
        assert_eq!(b.product_name(&id).await, "Oxford Shirt");
        a.rename(&id, "Oxford Shirt Slim").await;
        let took = within(BOUND, async || {
            b.product_name(&id).await == "Oxford Shirt Slim"
        })
        .await;
        assert!(took < BOUND, "b saw the rename after {took:?}");
        shutdown.cancel();
    });
}

on_both_backends!(writes_publish_their_changes_and_a_failed_write_publishes_nothing);

async fn writes_publish_their_changes_and_a_failed_write_publishes_nothing(backend: Backend) {
    let (_database, config) = setup(backend).await;
    let shutdown = CancellationToken::new();
    let transport = Transport::from_config(&config).await.expect("a transport");
    // As a downstream subgraph's consumer would see them.
    let recorder = Recorder::new("catalog");
    spawn_consumer(
        &transport,
        recorder.clone(),
        ConsumerOptions::default(),
        shutdown.clone(),
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let catalog = Instance::new(&config, memory()).await;
    commerce_catalog::spawn_events(&catalog.state, &config, &transport, shutdown.clone())
        .await
        .expect("starts the events");

    let id = catalog.create_product("Oxford Shirt", "oxford").await;
    let refused = commerce_testkit::execute_as(
        &catalog.schema,
        staff(),
        "mutation($id: ID!, $category: ID!) { updateProduct(id: $id, input: { name: \"Gone\", categoryId: $category }) {
            __typename ... on ErrorResult { code } } }",
        json!({ "id": id, "category": commerce_kernel::GlobalId::encode("Category", 999) }),
    )
    .await;
    assert_ne!(
        refused["data"]["updateProduct"]["__typename"], "Product",
        "{refused:#}"
    );
    catalog.rename(&id, "Oxford Shirt Slim").await;
    catalog
        .data(
            "mutation($id: ID!) { deleteProduct(id: $id) { deletedId } }",
            json!({ "id": id }),
        )
        .await;

    recorder.wait_for(3, Duration::from_secs(5)).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let seen: Vec<(String, String, i64, Value)> = recorder
        .seen()
        .into_iter()
        .map(|e| {
            let change = e.payload["change"].clone();
            (e.event_type, e.aggregate_id, e.sequence, change)
        })
        .collect();
    let changed = |sequence: i64, change: &str| {
        (
            "catalog.product_changed".to_owned(),
            id.clone(),
            sequence,
            json!(change),
        )
    };
    assert_eq!(
        seen,
        [
            changed(1, "CREATED"),
            changed(2, "UPDATED"),
            changed(3, "DELETED")
        ],
        "the refused update published nothing"
    );
    shutdown.cancel();
}
