//! The exporter's HTTP client: the workspace's HTTP/1 hyper client, plain `http://` (a
//! collector beside the service), with a timeout per export.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};

#[derive(Debug, Clone)]
pub(crate) struct OtlpClient {
    http: Client<HttpConnector, Full<Bytes>>,
    timeout: Duration,
}

impl OtlpClient {
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            http: Client::builder(TokioExecutor::new()).build_http(),
            timeout,
        }
    }
}

#[async_trait::async_trait]
impl HttpClient for OtlpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let call = async {
            let response = self.http.request(request.map(Full::new)).await?;
            let (parts, body) = response.into_parts();
            let body = body.collect().await?.to_bytes();
            Ok::<_, HttpError>(Response::from_parts(parts, body))
        };
        tokio::time::timeout(self.timeout, call)
            .await
            .map_err(|_| HttpError::from("the OTLP export timed out"))?
    }
}
