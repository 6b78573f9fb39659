//! Prometheus metrics and OpenTelemetry traces.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Serve Prometheus metrics at `metrics_path` on the router's own address.
    pub metrics: bool,
    pub metrics_path: String,
    /// Export traces to this OTLP/HTTP base URL (`http://collector:4318`); none (the default,
    /// unless `OTEL_EXPORTER_OTLP_ENDPOINT` is set): no tracing at all.
    pub otlp_endpoint: Option<String>,
    /// The share of traces the router starts that are sampled; requests that carry a
    /// `traceparent` keep their caller's decision.
    pub otlp_sample_ratio: f64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            metrics: true,
            metrics_path: "/metrics".into(),
            otlp_endpoint: None,
            otlp_sample_ratio: 1.0,
        }
    }
}
