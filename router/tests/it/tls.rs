//! Subgraphs over HTTPS: the router trusts the public web PKI roots plus the certificates of
//! `subgraph_ca_file`, and reports an untrusted subgraph as a failed fetch.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use async_graphql::{ObjectType, Schema, SubscriptionType};
use async_graphql_axum::GraphQL;
use axum::Router;
use axum::routing::post_service;
use commerce_router::Config;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde_json::json;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

use crate::harness::{TestRouter, spawn_subgraph};
use crate::subgraphs::products::{self, Dataset};

fn tls_fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
}

/// A listener that completes the TLS handshake before handing a connection to axum.
struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            // A client that rejects the certificate fails its handshake; keep serving others.
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        self.tcp.local_addr()
    }
}

/// Serves a schema over HTTPS with the fixture certificate for 127.0.0.1; returns its URL.
async fn spawn_tls_subgraph<Q, M, S>(schema: Schema<Q, M, S>) -> String
where
    Q: ObjectType + 'static,
    M: ObjectType + 'static,
    S: SubscriptionType + 'static,
{
    let certificates = CertificateDer::pem_file_iter(tls_fixture("subgraph-cert.pem"))
        .expect("certificate file")
        .collect::<Result<Vec<_>, _>>()
        .expect("certificates");
    let key = PrivateKeyDer::from_pem_file(tls_fixture("subgraph-key.pem")).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("protocol versions")
    .with_no_client_auth()
    .with_single_cert(certificates, key)
    .expect("server certificate");
    let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = tcp.local_addr().expect("address");
    let listener = TlsListener {
        tcp,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    };
    let app = Router::new().route("/graphql", post_service(GraphQL::new(schema)));
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    format!("https://{addr}/graphql")
}

/// The products supergraph with the products subgraph over HTTPS.
async fn router_with_tls_products(config: Config) -> TestRouter {
    let data = Dataset::generate(3, 3, 2);
    let accounts = spawn_subgraph(products::accounts(data.clone())).await;
    let products_url = spawn_tls_subgraph(products::products(data.clone())).await;
    let inventory = spawn_subgraph(products::inventory()).await;
    let reviews = spawn_subgraph(products::reviews(data)).await;
    TestRouter::products(&accounts, &products_url, &inventory, &reviews, config)
}

const QUERY: &str = "{ topProducts(first: 2) { upc name shippingEstimate } }";

#[tokio::test]
async fn fetches_from_https_subgraphs_signed_by_a_configured_ca() {
    let config = Config {
        subgraph_ca_file: Some(tls_fixture("subgraph-cert.pem")),
        ..Config::default()
    };
    let router = router_with_tls_products(config).await;
    let body = router.query(QUERY, json!({})).await;
    assert!(body.get("errors").is_none(), "{body}");
    let products = body["data"]["topProducts"].as_array().expect("products");
    assert_eq!(products.len(), 2);
    assert!(
        products
            .iter()
            .all(|p| p["name"].is_string() && p["shippingEstimate"].is_number())
    );
}

#[tokio::test]
async fn refuses_an_https_subgraph_whose_certificate_it_does_not_trust() {
    let router = router_with_tls_products(Config::default()).await;
    let body = router.query(QUERY, json!({})).await;
    assert_eq!(body["data"], json!({ "topProducts": null }), "{body}");
    let error = &body["errors"][0];
    assert_eq!(error["extensions"]["code"], "SUBGRAPH_REQUEST_FAILED");
    assert_eq!(error["extensions"]["serviceName"], "products");
    let message = error["message"].as_str().expect("message");
    assert!(message.contains("certificate"), "{message}");
}
