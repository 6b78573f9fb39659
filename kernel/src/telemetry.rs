//! Logging set-up: human-readable lines by default, JSON lines for log collectors; with an
//! OTLP endpoint, OpenTelemetry traces too (see `commerce-otel`); and the process's Prometheus
//! [`metrics`].

pub mod metrics;
mod resolvers;

pub use resolvers::ResolverSpans;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry};

use crate::config::{Config, LogFormat};

/// Which service a subgraph's server spans name (`commerce.service`): a request extension,
/// since several subgraphs can share a process (the all-in-one stack) and its exporter. Added
/// only while tracing is on (see [`with_service_name`]).
#[derive(Debug, Clone)]
pub struct ServiceName(pub std::sync::Arc<str>);

/// `app` with its requests naming `service` in their spans, when tracing is on.
pub fn with_service_name(app: axum::Router, service: &str) -> axum::Router {
    if commerce_otel::enabled() {
        app.layer(axum::Extension(ServiceName(service.into())))
    } else {
        app
    }
}

/// Installs the global subscriber once, with the OTLP exporter when `config.otlp_endpoint`
/// (or `OTEL_EXPORTER_OTLP_ENDPOINT`) names one, `service_name` being the resource's
/// `service.name`; later calls (tests, the all-in-one binary) are no-ops. Call it on the Tokio
/// runtime: the exporter runs there.
pub fn init(config: &Config, service_name: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&config.log_filter))
        .unwrap_or_else(|_| EnvFilter::new("info"))
        // async-graphql's data loader spans (its `tracing` feature, there to carry a request's
        // span into the loaders' tasks) would cost every request, traced or not.
        .add_directive("async_graphql=warn".parse().expect("a valid directive"));
    let fmt = tracing_subscriber::fmt::layer();
    let fmt = match config.log_format {
        LogFormat::Plain => fmt.with_filter(filter).boxed(),
        LogFormat::Json => fmt.json().flatten_event(true).with_filter(filter).boxed(),
    };
    let settings = commerce_otel::Settings {
        endpoint: config.otlp_endpoint.as_deref(),
        service_name,
        sample_ratio: config.otlp_sample_ratio,
    };
    let (otel, failed) = match commerce_otel::install::<Registry>(&settings) {
        Ok(layer) => (layer, None),
        Err(error) => (None, Some(error)),
    };
    let layers: Vec<Box<dyn Layer<Registry> + Send + Sync>> =
        std::iter::once(fmt).chain(otel).collect();
    // Already installed by whoever started first; keep theirs.
    drop(tracing_subscriber::registry().with(layers).try_init());
    if let Some(error) = failed {
        tracing::error!(error = format!("{error:#}"), "traces are not exported");
    }
}
