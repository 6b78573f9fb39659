//! OpenTelemetry traces for the router and every subgraph: the OTLP/HTTP exporter, installed
//! only when an endpoint is configured; W3C `traceparent` extracted from requests and injected
//! into subgraph calls; the [`span!`] macro, which makes a span only while tracing is on (so
//! that with tracing off a request costs what it did before); and SQL statement spans.
//!
//! The exporter is process-wide: in the all-in-one stack, where the router and every subgraph
//! share a process, the resource's `service.name` is the stack's, and each server span names
//! its service in the `commerce.service` attribute.

mod client;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::Context as _;
use opentelemetry::KeyValue;
use opentelemetry::propagation::TextMapPropagator;
use opentelemetry::trace::{Span as _, SpanKind, Status, TraceContextExt, Tracer, TracerProvider};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{Sampler, SdkTracer, SdkTracerProvider};
use tracing::Span;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::Layer;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::registry::LookupSpan;

#[doc(hidden)]
pub use tracing as __tracing;

/// Read on every span the request path might make: a relaxed load is all tracing-off costs.
static ENABLED: AtomicBool = AtomicBool::new(false);
static PROVIDER: OnceLock<(SdkTracerProvider, SdkTracer)> = OnceLock::new();

/// An INFO span when tracing is on, else [`Span::none`] (no subscriber work, no allocation).
#[macro_export]
macro_rules! span {
    ($($arg:tt)+) => {
        if $crate::enabled() {
            $crate::__tracing::info_span!($($arg)+)
        } else {
            $crate::__tracing::Span::none()
        }
    };
}

/// Whether this process exports traces.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::Relaxed)
}

/// What a service configures; `endpoint` is the OTLP/HTTP base URL (`http://collector:4318`,
/// traces go to `/v1/traces` under it).
#[derive(Debug, Clone, Copy)]
pub struct Settings<'a> {
    pub endpoint: Option<&'a str>,
    /// The resource's `service.name`, unless `OTEL_SERVICE_NAME` is set.
    pub service_name: &'a str,
    /// The share of new traces sampled (0.0 to 1.0); a trace started upstream keeps its
    /// caller's decision.
    pub sample_ratio: f64,
}

/// The endpoint to export to: the configured one, else the standard
/// `OTEL_EXPORTER_OTLP_ENDPOINT`.
pub fn endpoint(configured: Option<&str>) -> Option<String> {
    resolve_endpoint(
        configured,
        std::env::var("OTEL_EXPORTER_OTLP_ENDPOINT").ok().as_deref(),
    )
}

fn resolve_endpoint(configured: Option<&str>, standard: Option<&str>) -> Option<String> {
    configured
        .or(standard)
        .map(str::trim)
        .filter(|endpoint| !endpoint.is_empty())
        .map(str::to_owned)
}

/// The traces URL under an OTLP/HTTP base URL (or that URL, when it already is one).
fn traces_url(endpoint: &str) -> String {
    if endpoint.ends_with("/v1/traces") {
        endpoint.to_owned()
    } else {
        format!("{}/v1/traces", endpoint.trim_end_matches('/'))
    }
}

/// A subscriber layer that exports spans, boxed so callers can stack it with their own.
pub type OtelLayer<S> = Box<dyn Layer<S> + Send + Sync + 'static>;

/// Starts the exporter (on the current Tokio runtime) and returns the layer that feeds it:
/// `None`, with nothing installed, without an endpoint, or when an earlier call installed one
/// (the first wins, as with the log subscriber).
pub fn install<S>(settings: &Settings<'_>) -> anyhow::Result<Option<OtelLayer<S>>>
where
    S: tracing::Subscriber + for<'span> LookupSpan<'span> + Send + Sync,
{
    let Some(endpoint) = endpoint(settings.endpoint) else {
        return Ok(None);
    };
    if PROVIDER.get().is_some() {
        return Ok(None);
    }
    anyhow::ensure!(
        (0.0..=1.0).contains(&settings.sample_ratio),
        "the trace sample ratio must be between 0 and 1, got {}",
        settings.sample_ratio
    );
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(traces_url(&endpoint))
        .with_http_client(client::OtlpClient::new(Duration::from_secs(10)))
        .build()
        .context("building the OTLP exporter")?;
    let processor =
        opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor::builder(
            exporter,
            opentelemetry_sdk::runtime::Tokio,
        )
        .build();
    let mut resource = Resource::builder();
    if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
        resource = resource.with_service_name(settings.service_name.to_owned());
    }
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            settings.sample_ratio,
        ))))
        .with_resource(resource.build())
        .build();
    let tracer = provider.tracer("commerce");
    if PROVIDER.set((provider, tracer.clone())).is_err() {
        return Ok(None);
    }
    ENABLED.store(true, Ordering::Relaxed);
    // Our spans (router, kernel, subgraphs); not the libraries' (hyper, sqlx, async-graphql's
    // data loaders: a span per load, while their SQL already has one).
    let targets = Targets::new().with_target("commerce", tracing::Level::INFO);
    // No code locations, thread names or busy/idle times: attributes every span would pay for.
    let layer = tracing_opentelemetry::layer()
        .with_tracer(tracer)
        .with_location(false)
        .with_threads(false)
        .with_tracked_inactivity(false)
        .with_filter(targets);
    Ok(Some(Box::new(layer)))
}

/// Exports every span ended so far; the stack's test calls it before reading its receiver.
pub async fn flush() {
    if let Some((provider, _)) = PROVIDER.get() {
        let provider = provider.clone();
        // The flush blocks this thread until the exporter task answers.
        let _ = tokio::task::spawn_blocking(move || provider.force_flush()).await;
    }
}

/// Exports what is left and stops the exporter; for the end of `main`.
pub async fn shutdown() {
    if let Some((provider, _)) = PROVIDER.get() {
        let provider = provider.clone();
        let _ = tokio::task::spawn_blocking(move || provider.shutdown()).await;
    }
}

/// Makes `span` continue the trace of the request's `traceparent`, when it has a valid one.
pub fn continue_trace(span: &Span, headers: &http::HeaderMap) {
    if span.is_none() || !enabled() {
        return;
    }
    let parent = TraceContextPropagator::new().extract(&HeaderExtractor(headers));
    if parent.span().span_context().is_valid() {
        let _ = span.set_parent(parent);
    }
}

/// Adds `span`'s `traceparent` (and `tracestate`) to an outgoing request's headers.
pub fn inject(span: &Span, headers: &mut http::HeaderMap) {
    if span.is_none() || !enabled() {
        return;
    }
    TraceContextPropagator::new().inject_context(&span.context(), &mut HeaderInjector(headers));
}

/// Records one SQL statement that just finished, as a child of the current span: named by
/// its kind and table (`SELECT products`), never with its text or parameter values. Outside
/// a traced request (background work) nothing is recorded: a statement is no trace of its own.
pub fn sql_statement(service: &str, sql: &str, elapsed: Duration, failed: bool) {
    let Some((_, tracer)) = PROVIDER.get() else {
        return;
    };
    let current = Span::current();
    if current.is_none() {
        return;
    }
    let parent = current.context();
    if !parent.span().span_context().is_valid() {
        return;
    }
    let (operation, table) = summarize(sql);
    let name = match table {
        Some(table) => format!("{operation} {table}"),
        None => operation.to_owned(),
    };
    let end = SystemTime::now();
    let mut attributes = vec![
        KeyValue::new("db.operation.name", operation),
        KeyValue::new("commerce.service", service.to_owned()),
    ];
    if let Some(table) = table {
        attributes.push(KeyValue::new("db.collection.name", table.to_owned()));
    }
    let mut span = tracer
        .span_builder(name)
        .with_kind(SpanKind::Client)
        .with_start_time(end.checked_sub(elapsed).unwrap_or(end))
        .with_attributes(attributes)
        .start_with_context(tracer, &parent);
    if failed {
        span.set_status(Status::error("the statement failed"));
    }
    span.end_with_timestamp(end);
}

/// A statement's kind and the table it reads or writes first (`("SELECT", Some("products"))`).
fn summarize(sql: &str) -> (&'static str, Option<&str>) {
    const KINDS: [&str; 11] = [
        "SELECT",
        "INSERT",
        "UPDATE",
        "DELETE",
        "WITH",
        "BEGIN",
        "COMMIT",
        "ROLLBACK",
        "SAVEPOINT",
        "RELEASE",
        "PRAGMA",
    ];
    let mut words = sql.split_whitespace();
    let first = words.next().unwrap_or_default();
    let Some(kind) = KINDS.into_iter().find(|k| k.eq_ignore_ascii_case(first)) else {
        return ("SQL", None);
    };
    let before_table = match kind {
        "SELECT" | "DELETE" | "WITH" => "FROM",
        "INSERT" => "INTO",
        "UPDATE" => return (kind, words.next().map(unquote)),
        _ => return (kind, None),
    };
    let table = words
        .skip_while(|word| !word.eq_ignore_ascii_case(before_table))
        .nth(1)
        .map(unquote)
        .filter(|table| !table.is_empty());
    (kind, table)
}

/// `"catalog"."products"` → `catalog"."products` trimmed of its outer quotes and brackets; the
/// inner ones are left, which is enough for a span name.
fn unquote(word: &str) -> &str {
    word.trim_matches(|c: char| matches!(c, '"' | '`' | '(' | ')' | ',' | ';'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_statements_by_kind_and_table_without_their_values() {
        let cases = [
            (
                r#"SELECT "products"."id" FROM "products" WHERE "products"."id" = $1"#,
                ("SELECT", Some("products")),
            ),
            (
                r#"INSERT INTO "stock" ("sku", "on_hand") VALUES (?, ?)"#,
                ("INSERT", Some("stock")),
            ),
            (
                r#"UPDATE "carts" SET "total" = $1"#,
                ("UPDATE", Some("carts")),
            ),
            (
                "delete from outbox where id = 1",
                ("DELETE", Some("outbox")),
            ),
            ("BEGIN", ("BEGIN", None)),
            ("VACUUM", ("SQL", None)),
        ];
        for (sql, expected) in cases {
            assert_eq!(summarize(sql), expected, "{sql}");
        }
    }

    #[test]
    fn the_configured_endpoint_wins_over_the_standard_variable() {
        assert_eq!(
            resolve_endpoint(Some("http://a:4318"), Some("http://b:4318")).as_deref(),
            Some("http://a:4318")
        );
        assert_eq!(
            resolve_endpoint(None, Some("http://b:4318")).as_deref(),
            Some("http://b:4318")
        );
        assert_eq!(resolve_endpoint(None, Some(" ")), None);
        assert_eq!(resolve_endpoint(None, None), None);
        assert_eq!(traces_url("http://a:4318/"), "http://a:4318/v1/traces");
        assert_eq!(
            traces_url("http://a:4318/v1/traces"),
            "http://a:4318/v1/traces"
        );
    }

    #[tokio::test]
    async fn without_an_endpoint_nothing_is_installed_and_spans_are_none() {
        // The standard variable would install an exporter; this test is about its absence.
        if std::env::var_os("OTEL_EXPORTER_OTLP_ENDPOINT").is_some() {
            return;
        }
        let settings = Settings {
            endpoint: None,
            service_name: "test",
            sample_ratio: 1.0,
        };
        let layer = install::<tracing_subscriber::Registry>(&settings).expect("no error");
        assert!(layer.is_none());
        assert!(!enabled());
        assert!(PROVIDER.get().is_none());
        assert!(span!("request").is_none());
        let mut headers = http::HeaderMap::new();
        inject(&span!("fetch"), &mut headers);
        assert!(headers.is_empty());
    }
}
