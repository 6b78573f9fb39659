//! Prometheus metrics of a subgraph process, served at `/metrics` by every subgraph
//! ([`crate::server::graphql_app`]) and recorded around the schema by
//! [`crate::subgraph::SubgraphExecutor`] (not by an async-graphql extension, which would wrap
//! every field's resolution): GraphQL requests by operation type and outcome, errors by
//! `extensions.code`, request durations, live subscriptions, SQL statement time by domain
//! database, the read-through and response caches' hits and misses, and lists answered by
//! projection.
//!
//! One registry per process: a subgraph deployed alone is one process, told apart from the
//! others by the scrape's `job`/`instance` labels. The all-in-one stack runs every subgraph in
//! one process, so each of its subgraph ports shows the same totals (SQL time still by domain).

use std::sync::{Arc, LazyLock};
use std::time::Duration;

use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::{Request, Response, Value};
use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use sea_orm::DatabaseConnection;
use sea_orm::metric::Info;

use crate::read_pipeline::ReadPipeline;

/// Latency buckets in seconds, 1 ms to 10 s (the router's).
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// SQL statements are mostly far below a millisecond on a local database.
const SQL_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// The label of an error without `extensions.code` (async-graphql's own parse and
/// validation errors).
pub const NO_CODE: &str = "NONE";

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    errors: IntCounterVec,
    duration: HistogramVec,
    subscriptions: IntGauge,
    sql: HistogramVec,
    /// `hit`, `miss`.
    read_cache: [IntCounter; 2],
    /// `hit`, `miss`.
    response_cache: [IntCounter; 2],
    /// `projected`, `resolved`.
    projection: [IntCounter; 2],
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let registry = Registry::new();
        let register = |collector: Box<dyn prometheus::core::Collector>| {
            registry
                .register(collector)
                .expect("each metric is registered once");
        };
        let requests = IntCounterVec::new(
            Opts::new(
                "subgraph_graphql_requests_total",
                "GraphQL requests (not subscriptions), by operation type and outcome (`ok`, or \
                 `error` when the response has errors)",
            ),
            &["operation", "outcome"],
        )
        .expect("a valid metric");
        let errors = IntCounterVec::new(
            Opts::new(
                "subgraph_graphql_errors_total",
                "Errors in GraphQL responses, by `extensions.code` (`NONE` without one)",
            ),
            &["code"],
        )
        .expect("a valid metric");
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "subgraph_graphql_request_duration_seconds",
                "Time to answer a GraphQL request, by operation type",
            )
            .buckets(BUCKETS.to_vec()),
            &["operation"],
        )
        .expect("a valid metric");
        let subscriptions = IntGauge::new(
            "subgraph_graphql_subscriptions_active",
            "Subscriptions being served",
        )
        .expect("a valid metric");
        let sql = HistogramVec::new(
            HistogramOpts::new(
                "subgraph_sql_statement_duration_seconds",
                "Time of each SQL statement, by domain database and outcome (`ok`, `error`)",
            )
            .buckets(SQL_BUCKETS.to_vec()),
            &["domain", "outcome"],
        )
        .expect("a valid metric");
        let read_cache = IntCounterVec::new(
            Opts::new(
                "subgraph_read_cache_total",
                "Entries looked up in the read-through caches of hot entities: `hit`, `miss`",
            ),
            &["result"],
        )
        .expect("a valid metric");
        let response_cache = IntCounterVec::new(
            Opts::new(
                "subgraph_response_cache_total",
                "Anonymous requests looked up in the response cache: `hit`, `miss`",
            ),
            &["result"],
        )
        .expect("a valid metric");
        let projection = IntCounterVec::new(
            Opts::new(
                "subgraph_projection_total",
                "Lists of loaded objects offered to projection (`kernel::projection`): \
                 `projected`, or `resolved` field by field when the selection asked for more",
            ),
            &["result"],
        )
        .expect("a valid metric");
        register(Box::new(requests.clone()));
        register(Box::new(errors.clone()));
        register(Box::new(duration.clone()));
        register(Box::new(subscriptions.clone()));
        register(Box::new(sql.clone()));
        register(Box::new(read_cache.clone()));
        register(Box::new(response_cache.clone()));
        register(Box::new(projection.clone()));
        Self {
            registry,
            requests,
            errors,
            duration,
            subscriptions,
            sql,
            read_cache: ["hit", "miss"].map(|result| read_cache.with_label_values(&[result])),
            response_cache: ["hit", "miss"]
                .map(|result| response_cache.with_label_values(&[result])),
            projection: ["projected", "resolved"]
                .map(|result| projection.with_label_values(&[result])),
        }
    }

    pub(crate) fn request(&self, operation: &str, response: &Response, elapsed: Duration) {
        let outcome = if response.errors.is_empty() {
            "ok"
        } else {
            "error"
        };
        self.requests.with_label_values(&[operation, outcome]).inc();
        self.duration
            .with_label_values(&[operation])
            .observe(elapsed.as_secs_f64());
        for error in &response.errors {
            let code = error.extensions.as_ref().and_then(|e| e.get("code"));
            let code = match code {
                Some(Value::String(code)) => code.as_str(),
                Some(Value::Enum(code)) => code.as_str(),
                _ => NO_CODE,
            };
            self.errors.with_label_values(&[code]).inc();
        }
    }

    /// Counts read-through cache lookups.
    pub fn read_cache(&self, hits: usize, misses: usize) {
        self.read_cache[0].inc_by(hits as u64);
        self.read_cache[1].inc_by(misses as u64);
    }

    /// A query answered from the response cache: counted as an answered query too.
    pub(crate) fn response_cache_hit(&self, elapsed: Duration) {
        self.response_cache[0].inc();
        self.requests.with_label_values(&["query", "ok"]).inc();
        self.duration
            .with_label_values(&["query"])
            .observe(elapsed.as_secs_f64());
    }

    pub(crate) fn response_cache_miss(&self) {
        self.response_cache[1].inc();
    }

    /// Counts a list answered by projection (`true`) or field by field.
    pub fn projection(&self, projected: bool) {
        self.projection[usize::from(!projected)].inc();
    }

    /// How many lists were answered by projection and field by field so far.
    pub fn projections(&self) -> (u64, u64) {
        (self.projection[0].get(), self.projection[1].get())
    }

    /// Every metric in Prometheus' text format.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut out)
            .expect("the text encoder writes to memory");
        String::from_utf8(out).expect("the text format is UTF-8")
    }
}

/// Times every statement `db` runs (its transactions' too) under `domain`, and traces it when
/// tracing is on (a span per statement, under the resolver that ran it). Set once when the
/// pool is made: sea-orm keeps one callback per connection, which tests replace with their
/// statement counters.
pub fn observe_sql(db: &mut DatabaseConnection, domain: &str) {
    let observe = sql_observer(domain);
    db.set_metric_callback(move |info| observe(info));
}

/// [`observe_sql`] for a domain's pipelined reads.
pub fn observe_pipelined_sql(reads: &ReadPipeline, domain: &str) {
    reads.set_metric_callback(Arc::new(sql_observer(domain)));
}

fn sql_observer(domain: &str) -> impl Fn(&Info<'_>) + Send + Sync + 'static {
    let sql = &metrics().sql;
    let [ok, error] = ["ok", "error"].map(|outcome| sql.with_label_values(&[domain, outcome]));
    let domain = domain.to_owned();
    move |info| {
        let histogram = if info.failed { &error } else { &ok };
        histogram.observe(info.elapsed.as_secs_f64());
        // Timed here rather than by a span around the statement: sea-orm gives no other hook.
        if commerce_otel::enabled() {
            commerce_otel::sql_statement(&domain, &info.statement.sql, info.elapsed, info.failed);
        }
    }
}

/// The operation type of `request` (`query`, `mutation`, `subscription`, or `unknown` when
/// the document does not parse or names no such operation). The parsed document stays in the
/// request, so async-graphql does not parse it again.
pub(crate) fn operation_type(request: &mut Request) -> &'static str {
    let name = request.operation_name.clone();
    let Ok(document) = request.parsed_query() else {
        return "unknown";
    };
    let operation = match &document.operations {
        DocumentOperations::Single(operation) => Some(operation.node.ty),
        DocumentOperations::Multiple(operations) => name
            .as_deref()
            .and_then(|name| operations.get(name))
            .map(|operation| operation.node.ty),
    };
    match operation {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// Counts one subscription in `subgraph_graphql_subscriptions_active` while it lives.
pub(crate) struct LiveSubscription;

impl LiveSubscription {
    pub(crate) fn start() -> Self {
        metrics().subscriptions.inc();
        Self
    }
}

impl Drop for LiveSubscription {
    fn drop(&mut self) {
        metrics().subscriptions.dec();
    }
}
