//! Prometheus metrics of one router: its GraphQL requests, its subgraph calls and how inbound
//! deduplication shares executions. Each `RouterState` has its own registry (an embedding
//! process may run several routers), rendered in the text format at `/metrics`. And the
//! binary's logging, with OpenTelemetry traces when an OTLP endpoint is configured (see
//! `commerce-otel`; the spans are made where the work is: `http`, `pipeline`, `executor`).

use std::time::Duration;

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder,
};

use crate::config::TelemetryConfig;
use crate::response_cache::CacheStatus;

/// Installs the binary's subscriber: logs (`RUST_LOG` filters, default `info`), and traces
/// exported as the `router` service (unless `OTEL_SERVICE_NAME` says otherwise) when
/// `otlp_endpoint` or `OTEL_EXPORTER_OTLP_ENDPOINT` names a collector. Call it on the Tokio
/// runtime: the exporter runs there.
pub fn init_tracing(config: &TelemetryConfig) -> anyhow::Result<()> {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{EnvFilter, Layer, Registry};

    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let settings = commerce_otel::Settings {
        endpoint: config.otlp_endpoint.as_deref(),
        service_name: "router",
        sample_ratio: config.otlp_sample_ratio,
    };
    let otel = commerce_otel::install::<Registry>(&settings)?;
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
        std::iter::once(tracing_subscriber::fmt::layer().with_filter(filter).boxed())
            .chain(otel)
            .collect();
    // Already installed (an embedding process); keep theirs.
    drop(tracing_subscriber::registry().with(layers).try_init());
    Ok(())
}

/// Latency buckets in seconds: 1 ms to 10 s.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

pub struct Metrics {
    registry: Registry,
    requests: IntCounterVec,
    request_duration: HistogramVec,
    subgraph_requests: IntCounterVec,
    subgraph_duration: HistogramVec,
    subgraph_retries: IntCounterVec,
    circuit_open: IntCounterVec,
    inbound_dedupe: IntCounterVec,
    /// By result (`hit`, `miss`, `bypass`), resolved once: these count every request.
    response_cache: [IntCounter; 3],
    invalidations: IntCounterVec,
    entity_cache: IntCounterVec,
    /// `hit`, `miss`.
    plan_cache: [IntCounter; 2],
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let counter = |name: &str, help: &str, labels: &[&str]| {
            let counter = IntCounterVec::new(Opts::new(name, help), labels)
                .expect("a valid metric definition");
            registry
                .register(Box::new(counter.clone()))
                .expect("a metric registered once");
            counter
        };
        let histogram = |name: &str, help: &str, labels: &[&str]| {
            let opts = HistogramOpts::new(name, help).buckets(BUCKETS.to_vec());
            let histogram = HistogramVec::new(opts, labels).expect("a valid metric definition");
            registry
                .register(Box::new(histogram.clone()))
                .expect("a metric registered once");
            histogram
        };
        Self {
            requests: counter(
                "router_http_requests_total",
                "GraphQL HTTP requests, by response status",
                &["status"],
            ),
            request_duration: histogram(
                "router_http_request_duration_seconds",
                "Time to answer a GraphQL HTTP request (until the response starts)",
                &["status"],
            ),
            subgraph_requests: counter(
                "router_subgraph_requests_total",
                "Requests sent to subgraphs (shared in-flight fetches count once), by outcome",
                &["subgraph", "outcome"],
            ),
            subgraph_duration: histogram(
                "router_subgraph_request_duration_seconds",
                "Time for a subgraph to answer, body read and parsed",
                &["subgraph"],
            ),
            subgraph_retries: counter(
                "router_subgraph_retries_total",
                "Query fetches sent again after the subgraph gave no answer",
                &["subgraph"],
            ),
            circuit_open: counter(
                "router_subgraph_circuit_open_total",
                "Fetches not sent because the subgraph's circuit was open",
                &["subgraph"],
            ),
            inbound_dedupe: counter(
                "router_inbound_dedupe_total",
                "Deduplicated queries: `executed` ran the operation, `joined` shared its result",
                &["role"],
            ),
            response_cache: {
                let counter = counter(
                    "router_response_cache_total",
                    "Queries the response cache looked up: `hit`, `miss` (then stored or not), \
                     `bypass` (private to an anonymous viewer)",
                    &["result"],
                );
                ["hit", "miss", "bypass"].map(|result| counter.with_label_values(&[result]))
            },
            invalidations: counter(
                "router_response_cache_invalidations_total",
                "Tags invalidated in the router's caches (answers and entities), by where the invalidation came from",
                &["source"],
            ),
            entity_cache: counter(
                "router_entity_cache_total",
                "Entities of `_entities` fetches the entity cache looked up: `hit`, `miss` \
                 (then fetched from the subgraph)",
                &["subgraph", "result"],
            ),
            plan_cache: {
                let counter = counter(
                    "router_query_plan_cache_total",
                    "Operations prepared: `hit` from the plan cache, `miss` parsed, validated and planned",
                    &["result"],
                );
                ["hit", "miss"].map(|result| counter.with_label_values(&[result]))
            },
            registry,
        }
    }

    pub fn response_cache(&self, result: CacheStatus) {
        let index = match result {
            CacheStatus::Hit => 0,
            CacheStatus::Miss => 1,
            CacheStatus::Bypass => 2,
        };
        self.response_cache[index].inc();
    }

    /// One `_entities` fetch's lookups: how many entities were found and how many missed.
    pub fn entity_cache(&self, subgraph: &str, hits: usize, misses: usize) {
        for (result, count) in [("hit", hits), ("miss", misses)] {
            if count > 0 {
                self.entity_cache
                    .with_label_values(&[subgraph, result])
                    .inc_by(count as u64);
            }
        }
    }

    /// `source` is `mutation`, `endpoint` or `channel`.
    pub fn invalidated(&self, source: &str, tags: usize) {
        self.invalidations
            .with_label_values(&[source])
            .inc_by(tags as u64);
    }

    pub fn plan_cache(&self, hit: bool) {
        self.plan_cache[usize::from(!hit)].inc();
    }

    pub fn http_request(&self, status: http::StatusCode, elapsed: Duration) {
        let status = [status.as_str()];
        self.requests.with_label_values(&status).inc();
        self.request_duration
            .with_label_values(&status)
            .observe(elapsed.as_secs_f64());
    }

    /// `outcome` is `ok`, `error` (a transport, status or body failure) or `timeout`.
    pub fn subgraph_request(&self, subgraph: &str, outcome: &str, elapsed: Duration) {
        self.subgraph_requests
            .with_label_values(&[subgraph, outcome])
            .inc();
        self.subgraph_duration
            .with_label_values(&[subgraph])
            .observe(elapsed.as_secs_f64());
    }

    pub fn subgraph_retry(&self, subgraph: &str) {
        self.subgraph_retries.with_label_values(&[subgraph]).inc();
    }

    pub fn circuit_open(&self, subgraph: &str) {
        self.circuit_open.with_label_values(&[subgraph]).inc();
    }

    pub fn inbound_dedupe(&self, joined: bool) {
        let role = if joined { "joined" } else { "executed" };
        self.inbound_dedupe.with_label_values(&[role]).inc();
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_what_was_recorded() {
        let metrics = Metrics::new();
        metrics.http_request(http::StatusCode::OK, Duration::from_millis(3));
        metrics.http_request(http::StatusCode::OK, Duration::from_millis(30));
        metrics.subgraph_request("products", "timeout", Duration::from_secs(2));
        metrics.inbound_dedupe(true);
        let text = metrics.render();
        assert!(
            text.contains("router_http_requests_total{status=\"200\"} 2"),
            "{text}"
        );
        assert!(text.contains(
            "router_subgraph_requests_total{outcome=\"timeout\",subgraph=\"products\"} 1"
        ));
        assert!(text.contains(
            "router_http_request_duration_seconds_bucket{status=\"200\",le=\"0.005\"} 1"
        ));
        assert!(text.contains("router_inbound_dedupe_total{role=\"joined\"} 1"));
    }
}
