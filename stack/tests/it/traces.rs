//! OpenTelemetry traces of one request through the whole graph, received by a real OTLP/HTTP
//! endpoint: one trace from the client's `traceparent` through the router's stages and fetches
//! to each subgraph's server, resolver and SQL spans.

use std::collections::{BTreeSet, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use commerce_testkit::Backend;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value;
use prost::Message;
use serde_json::{Value, json};

use crate::graph::{Graph, operation};

/// A span as received, with the attributes the checks read.
#[derive(Debug, Clone)]
struct Received {
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_span_id: Vec<u8>,
    name: String,
    attributes: HashMap<String, String>,
    /// The `service.name` of the resource it was exported under.
    service: String,
}

/// An OTLP/HTTP receiver on a free port: `POST /v1/traces` with protobuf bodies.
struct Receiver {
    addr: SocketAddr,
    spans: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start() -> Self {
        let spans = Arc::new(Mutex::new(Vec::new()));
        let app = axum::Router::new()
            .route("/v1/traces", axum::routing::post(receive))
            .with_state(spans.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("binds a free port");
        let addr = listener.local_addr().expect("bound");
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { addr, spans }
    }

    fn spans_of(&self, trace_id: &[u8]) -> Vec<Received> {
        let spans = self.spans.lock().expect("not poisoned");
        spans
            .iter()
            .filter(|span| span.trace_id == trace_id)
            .cloned()
            .collect()
    }
}

async fn receive(State(spans): State<Arc<Mutex<Vec<Received>>>>, body: Bytes) -> Vec<u8> {
    let request = ExportTraceServiceRequest::decode(body).expect("an OTLP protobuf body");
    let mut received = spans.lock().expect("not poisoned");
    for resource_spans in request.resource_spans {
        let resource = resource_spans.resource.unwrap_or_default().attributes;
        let service = attributes(&resource)
            .remove("service.name")
            .unwrap_or_default();
        for span in resource_spans
            .scope_spans
            .into_iter()
            .flat_map(|scope| scope.spans)
        {
            received.push(Received {
                attributes: attributes(&span.attributes),
                trace_id: span.trace_id,
                span_id: span.span_id,
                parent_span_id: span.parent_span_id,
                name: span.name,
                service: service.clone(),
            });
        }
    }
    // An empty ExportTraceServiceResponse: everything accepted.
    Vec::new()
}

fn attributes(
    attributes: &[opentelemetry_proto::tonic::common::v1::KeyValue],
) -> HashMap<String, String> {
    attributes
        .iter()
        .filter_map(|kv| {
            let value = match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(text) => text.clone(),
                any_value::Value::IntValue(n) => n.to_string(),
                any_value::Value::BoolValue(b) => b.to_string(),
                other => format!("{other:?}"),
            };
            Some((kv.key.clone(), value))
        })
        .collect()
}

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN_ID: &str = "00f067aa0ba902b7";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_request_is_one_trace_from_the_router_to_each_subgraphs_resolvers_and_sql() {
    let receiver = Receiver::start().await;
    let endpoint = format!("http://{}", receiver.addr);
    let config = commerce_kernel::config::Config {
        otlp_endpoint: Some(endpoint),
        log_filter: "warn".into(),
        ..Default::default()
    };
    // Before the subgraphs build their schemas: they add the resolver spans only when on.
    commerce_kernel::telemetry::init(&config, "commerce-stack");
    assert!(commerce_otel::enabled());
    let graph = Graph::start(Backend::Sqlite, 5).await;

    let response: Value = reqwest::Client::new()
        .post(format!("http://{}/graphql", graph.router))
        .header("traceparent", format!("00-{TRACE_ID}-{CLIENT_SPAN_ID}-01"))
        .json(&json!({
            "query": operation("storefront/products"),
            "variables": { "first": 3, "currency": "EUR" },
        }))
        .send()
        .await
        .expect("the router answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(response.get("errors"), None, "{response:#}");

    let trace_id = hex::decode(TRACE_ID).expect("hex");
    let spans = received_trace(&receiver, &trace_id).await;
    let by_id: HashMap<&[u8], &Received> =
        spans.iter().map(|s| (s.span_id.as_slice(), s)).collect();
    let parent = |span: &Received| by_id.get(span.parent_span_id.as_slice()).copied();
    let named = |name: &'static str| spans.iter().filter(move |s| s.name == name);
    let listing = || {
        let mut names: Vec<_> = spans.iter().map(|s| s.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        names.join(", ")
    };

    // The router's server span continues the client's trace.
    let request = named("request")
        .find(|s| s.attributes.get("commerce.service").map(String::as_str) == Some("router"))
        .unwrap_or_else(|| panic!("no router request span among: {}", listing()));
    assert_eq!(
        request.parent_span_id,
        hex::decode(CLIENT_SPAN_ID).expect("hex")
    );
    assert_eq!(request.service, "commerce-stack");
    // Every other span hangs off a span of the same trace: one tree.
    for span in &spans {
        if span.span_id != request.span_id {
            assert!(
                parent(span).is_some(),
                "{span:?} has no parent in the trace"
            );
        }
    }
    let is_under = |span: &Received, ancestor: &Received| {
        let mut current = parent(span);
        while let Some(candidate) = current {
            if candidate.span_id == ancestor.span_id {
                return true;
            }
            current = parent(candidate);
        }
        false
    };
    // A first request misses the plan cache: parsed, validated and planned under the request.
    for stage in ["parse", "validate", "plan", "execute"] {
        let span = named(stage)
            .find(|s| parent(s).is_some_and(|p| p.span_id == request.span_id))
            .unwrap_or_else(|| panic!("no {stage} span under the request: {}", listing()));
        assert_eq!(span.service, "commerce-stack");
    }

    // A fetch per subgraph call, under the request; each subgraph's server span under its fetch.
    let mut served = BTreeSet::new();
    for server in named("subgraph") {
        let fetch = parent(server).expect("a subgraph span has a parent");
        assert_eq!(fetch.name, "fetch", "{server:?}");
        assert!(is_under(fetch, request), "{fetch:?}");
        assert_eq!(
            fetch.attributes.get("attempt").map(String::as_str),
            Some("1")
        );
        let service = &server.attributes["commerce.service"];
        assert_eq!(&fetch.attributes["subgraph"], service);
        served.insert(service.clone());
    }
    assert!(
        ["catalog", "inventory", "pricing", "reviews"]
            .iter()
            .all(|name| served.contains(*name)),
        "subgraphs traced: {served:?}"
    );

    // Resolver and SQL spans under the subgraphs' server spans.
    let under_a_subgraph = |span: &Received| named("subgraph").any(|server| is_under(span, server));
    let products = named("Query.products")
        .find(|s| under_a_subgraph(s))
        .unwrap_or_else(|| panic!("no resolver span of `products`: {}", listing()));
    assert_eq!(products.attributes["graphql.field.path"], "products");
    assert!(
        named("Product.variants").any(&under_a_subgraph),
        "no resolver span of the entities' variants: {}",
        listing()
    );
    let statements: Vec<_> = spans
        .iter()
        .filter(|s| s.attributes.contains_key("db.operation.name"))
        .collect();
    assert!(
        statements.iter().any(|s| s.name.starts_with("SELECT ")
            && s.attributes["commerce.service"] == "catalog"),
        "no catalog SELECT: {}",
        listing()
    );
    for statement in statements {
        assert!(under_a_subgraph(statement), "{statement:?}");
        // Named by kind and table: never the statement's text or values.
        let keys: BTreeSet<&str> = statement.attributes.keys().map(String::as_str).collect();
        assert!(
            keys.is_subset(&BTreeSet::from([
                "db.operation.name",
                "db.collection.name",
                "commerce.service"
            ])),
            "{statement:?}"
        );
    }
}

/// The spans of `trace_id` once the exporter has sent them and they stopped coming.
async fn received_trace(receiver: &Receiver, trace_id: &[u8]) -> Vec<Received> {
    let mut seen = 0;
    for _ in 0..50 {
        commerce_otel::flush().await;
        let spans = receiver.spans_of(trace_id);
        if !spans.is_empty() && spans.len() == seen {
            return spans;
        }
        seen = spans.len();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the trace was not received ({seen} spans)");
}
