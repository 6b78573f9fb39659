//! Per-request cost of the router's own work on the benchmark query: planning (parse,
//! validate, normalize, plan), a plan-cache hit, response shaping of the ~88 KB result, a
//! whole request through in-process subgraphs, and a whole request whose subgraphs answer from
//! a cache of their own responses (so the time is the router's: HTTP to subgraphs, merging,
//! shaping), and parsing a subgraph response with and without storing its repeated subtrees
//! once.
//!
//! Run with: `cargo bench -p commerce-router --bench pipeline`

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_graphql_axum::GraphQL;
use axum::body::Bytes;
use axum::{Router, routing::post, routing::post_service};
use commerce_router::pipeline::{Pipeline, PlanningOptions};
use commerce_router::supergraph::SchemaState;
use commerce_router::{Config, GraphQLRequest, Outcome, RouterState};
use commerce_router_test_subgraphs::products;
use criterion::{Criterion, criterion_group, criterion_main};

const QUERY: &str = "fragment User on User { id username name } fragment Review on Review { id body } fragment Product on Product { inStock name price shippingEstimate upc weight } query TopProducts { topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } }";

fn supergraph() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/products.graphql"
    ))
    .expect("bench supergraph")
}

async fn spawn<Q, M, S>(schema: async_graphql::Schema<Q, M, S>) -> String
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    serve(Router::new().route("/graphql", post_service(GraphQL::new(schema)))).await
}

/// Serves `app` on a port-0 listener; returns its GraphQL URL.
async fn serve(app: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("http://{addr}/graphql")
}

/// A subgraph that executes each distinct request body once and then answers it from memory.
async fn spawn_cached<Q, M, S>(schema: async_graphql::Schema<Q, M, S>) -> String
where
    Q: async_graphql::ObjectType + 'static,
    M: async_graphql::ObjectType + 'static,
    S: async_graphql::SubscriptionType + 'static,
{
    let answers: Arc<Mutex<HashMap<Bytes, Bytes>>> = Arc::default();
    let app = Router::new().route(
        "/graphql",
        post(move |body: Bytes| {
            let schema = schema.clone();
            let answers = answers.clone();
            async move {
                let cached = answers.lock().expect("cache").get(&body).cloned();
                if let Some(answer) = cached {
                    return answer;
                }
                let request: async_graphql::Request =
                    serde_json::from_slice(&body).expect("a GraphQL request");
                let response = schema.execute(request).await;
                let answer = Bytes::from(serde_json::to_vec(&response).expect("json"));
                answers.lock().expect("cache").insert(body, answer.clone());
                answer
            }
        }),
    );
    serve(app).await
}

fn planning(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let state =
        Arc::new(SchemaState::from_sdl(&supergraph(), &Default::default()).expect("schema"));
    let pipeline = |fetch_nested_entities_by_key| {
        Pipeline::new(PlanningOptions {
            timeout: Duration::from_secs(10),
            override_flags: Default::default(),
            limits: Default::default(),
            fetch_nested_entities_by_key,
        })
    };
    let mut n = 0u64;
    // The planner's plan alone is the baseline of the rewrite's cost.
    for (by_key, label) in [(true, ""), (false, ", planner's plan as is")] {
        let pipeline = pipeline(by_key);
        c.bench_function(
            &format!("plan (parse + validate + normalize + plan, cache miss{label})"),
            |b| {
                b.iter(|| {
                    n += 1;
                    // A distinct comment makes a distinct document: every iteration misses the
                    // cache.
                    let query = format!("{QUERY} # {n}");
                    runtime
                        .block_on(pipeline.prepare(&state, &query, None))
                        .expect("plan")
                })
            },
        );
    }
    let pipeline = pipeline(true);
    c.bench_function("prepare (plan cache hit)", |b| {
        b.iter(|| {
            runtime
                .block_on(pipeline.prepare(&state, black_box(QUERY), None))
                .expect("plan")
        })
    });
}

fn execution(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let data = products::Dataset::generate_with_body_suffix(5, 5, 10, " (verified buyer)");
    let config = runtime.block_on(async {
        Config::default()
            .with_subgraph_url("accounts", spawn(products::accounts(data.clone())).await)
            .with_subgraph_url("products", spawn(products::products(data.clone())).await)
            .with_subgraph_url("inventory", spawn(products::inventory()).await)
            .with_subgraph_url("reviews", spawn(products::reviews(data.clone())).await)
    });
    let as_planned = Config {
        fetch_nested_entities_by_key: false,
        ..config.clone()
    };
    let state = RouterState::from_sdl(&supergraph(), config).expect("router state");
    let request = GraphQLRequest {
        query: QUERY.to_string(),
        ..Default::default()
    };
    let mut size = 0;
    let as_planned = RouterState::from_sdl(&supergraph(), as_planned).expect("router state");
    for (state, label) in [(&state, ""), (&as_planned, ", planner's plan as is")] {
        c.bench_function(
            &format!("whole request through in-process subgraphs{label}"),
            |b| {
                b.iter(|| {
                    let outcome = runtime.block_on(state.execute(request.clone(), true));
                    let Outcome::Executed(body) = outcome else {
                        panic!("execution failed");
                    };
                    size = body.len();
                })
            },
        );
    }
    println!("response size: {size} bytes");

    let cached_config = runtime.block_on(async {
        Config::default()
            .with_subgraph_url(
                "accounts",
                spawn_cached(products::accounts(data.clone())).await,
            )
            .with_subgraph_url(
                "products",
                spawn_cached(products::products(data.clone())).await,
            )
            .with_subgraph_url("inventory", spawn_cached(products::inventory()).await)
            .with_subgraph_url(
                "reviews",
                spawn_cached(products::reviews(data.clone())).await,
            )
    });
    let cached = RouterState::from_sdl(&supergraph(), cached_config).expect("router state");
    c.bench_function("whole request, subgraphs answering from a cache", |b| {
        b.iter(|| {
            let outcome = runtime.block_on(cached.execute(request.clone(), true));
            assert!(matches!(outcome, Outcome::Executed(_)));
        })
    });

    // Response shaping alone, on the merged data of one real execution.
    let schema = state.schema();
    let pipeline = Pipeline::new(PlanningOptions {
        timeout: Duration::from_secs(10),
        override_flags: Default::default(),
        limits: Default::default(),
        fetch_nested_entities_by_key: true,
    });
    let prepared = runtime
        .block_on(pipeline.prepare(&schema, QUERY, None))
        .expect("plan");
    let Outcome::Executed(body) = runtime.block_on(state.execute(request.clone(), true)) else {
        panic!("execution failed");
    };
    let response: commerce_router::json::Value = serde_json::from_slice(&body).expect("json");
    let merged = response.get("data").cloned().unwrap_or_default();
    let variables = serde_json::Map::new();
    let projection = prepared.projection(&schema, &variables);
    c.bench_function("shape and serialize the ~88 KB response", |b| {
        b.iter(|| {
            let mut out = Vec::with_capacity(128 * 1024);
            let mut errors = Vec::new();
            projection.write_data(black_box(&merged), &mut errors, &mut out);
            out
        })
    });
    // As the executor's trees are: each repeated subtree stored once and shared.
    let mut shared = merged.clone();
    commerce_router::json::share_repeated_subtrees(&mut shared);
    let written = |data: &commerce_router::json::Value| {
        let mut out = Vec::new();
        projection.write_data(data, &mut Vec::new(), &mut out);
        out
    };
    assert!(
        written(&merged) == written(&shared),
        "sharing changes no byte"
    );
    c.bench_function(
        "shape and serialize the ~88 KB response, repeated subtrees shared",
        |b| {
            b.iter(|| {
                let mut out = Vec::with_capacity(128 * 1024);
                let mut errors = Vec::new();
                projection.write_data(black_box(&shared), &mut errors, &mut out);
                out
            })
        },
    );
    parsing(c, &body);
}

/// What storing repeated subtrees once costs at parse time, on a response that repeats
/// itself (the benchmark's, 88 KB) and on one where nothing repeats (1 MB of distinct items).
fn parsing(c: &mut Criterion, repetitive: &[u8]) {
    let items: Vec<String> = (0..10_000)
        .map(|i| {
            format!(
                r#"{{"id":"item-{i}","name":"Item number {i}","price":{i},"tags":["t{i}","u{i}"],"stock":{{"warehouse":"w{i}","count":{i}}}}}"#
            )
        })
        .collect();
    let unique = format!(r#"{{"data":{{"items":[{}]}}}}"#, items.join(","));
    for (name, body) in [
        ("88 KB, repetitive", repetitive),
        ("1 MB, nothing repeated", unique.as_bytes()),
    ] {
        c.bench_function(&format!("parse a {name} response"), |b| {
            b.iter(|| {
                let value: commerce_router::json::Value =
                    serde_json::from_slice(black_box(body)).expect("json");
                value
            })
        });
        c.bench_function(
            &format!("parse a {name} response and store repeated subtrees once"),
            |b| {
                b.iter(|| {
                    let mut value: commerce_router::json::Value =
                        serde_json::from_slice(black_box(body)).expect("json");
                    commerce_router::json::share_repeated_subtrees(&mut value);
                    value
                })
            },
        );
    }
}

criterion_group!(benches, planning, execution);
criterion_main!(benches);
