//! The whole graph as a client sees it: the demo shop served by every subgraph behind the
//! router, and the committed operations of `schema/operations/` sent to it.

use std::net::SocketAddr;
use std::path::PathBuf;

use commerce_kernel::config::Config;
use commerce_stack::{Listeners, Stack, Subgraphs, start};
use commerce_testkit::{Backend, TestConfig, test_config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A running stack with the demo shop; stops when dropped.
pub struct Graph {
    pub router: SocketAddr,
    pub subgraphs: Vec<(&'static str, SocketAddr)>,
    http: reqwest::Client,
    shutdown: CancellationToken,
    _stack: Stack,
    _config: TestConfig,
}

impl Drop for Graph {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl Graph {
    /// Every subgraph and the router on free ports, with `products` demo products.
    pub async fn start(backend: Backend, products: usize) -> Self {
        Self::start_with(backend, products, |_| {}).await
    }

    /// Like [`Graph::start`], with the subgraphs' configuration changed by `configure`.
    pub async fn start_with(
        backend: Backend,
        products: usize,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let test_config = test_config(backend).await;
        let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("binds free ports");
        let mut config = listeners.config(&test_config).expect("addresses");
        configure(&mut config);
        let subgraphs = Subgraphs::connect(&config)
            .await
            .expect("subgraphs connect");
        subgraphs
            .load_demo(products)
            .await
            .expect("demo data loads");
        let shutdown = CancellationToken::new();
        let stack = start(subgraphs, listeners, shutdown.clone())
            .await
            .expect("stack starts");
        Self {
            router: stack.router,
            subgraphs: stack.subgraphs.clone(),
            http: reqwest::Client::new(),
            shutdown,
            _stack: stack,
            _config: test_config,
        }
    }

    /// Sends the committed operation `name` (`storefront/cart`) through the router.
    pub async fn run(&self, name: &str, variables: Value, token: Option<&str>) -> Value {
        self.post(self.router, &operation(name), variables, token)
            .await
    }

    /// Sends the committed operation `name` straight to the subgraph `subgraph`.
    pub async fn run_on(&self, subgraph: &str, name: &str, variables: Value) -> Value {
        let addr = self
            .subgraphs
            .iter()
            .find(|(candidate, _)| *candidate == subgraph)
            .map(|(_, addr)| *addr)
            .unwrap_or_else(|| panic!("no subgraph {subgraph}"));
        self.post(addr, &operation(name), variables, None).await
    }

    /// Posts `query` to the GraphQL endpoint at `addr` and returns the response body.
    pub async fn post(
        &self,
        addr: SocketAddr,
        query: &str,
        variables: Value,
        token: Option<&str>,
    ) -> Value {
        let mut request = self
            .http
            .post(format!("http://{addr}/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .expect("the graph answers")
            .json()
            .await
            .expect("the graph answers JSON")
    }

    /// Runs `name` and returns its `data`, failing the test on any error.
    pub async fn data(&self, name: &str, variables: Value, token: Option<&str>) -> Value {
        let response = self.run(name, variables, token).await;
        assert_eq!(response.get("errors"), None, "{name}: {response:#}");
        response["data"].clone()
    }

    /// Signs a demo customer in and returns their access token.
    pub async fn sign_in(&self, email: &str) -> String {
        let password = commerce_customers::demo::CUSTOMER_PASSWORD;
        let data = self
            .data(
                "storefront/sign_in",
                json!({ "email": email, "password": password }),
                None,
            )
            .await;
        token(&data["login"])
    }

    /// Signs the demo administrator in and returns their access token.
    pub async fn staff_sign_in(&self) -> String {
        use commerce_customers::demo::{ADMIN_EMAIL, ADMIN_PASSWORD};
        let data = self
            .data(
                "dashboard/staff_sign_in",
                json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }),
                None,
            )
            .await;
        token(&data["staffLogin"])
    }
}

fn token(payload: &Value) -> String {
    payload["accessToken"]
        .as_str()
        .unwrap_or_else(|| panic!("signed in: {payload:#}"))
        .to_owned()
}

/// The text of `schema/operations/<name>.graphql`, as clients send it.
pub fn operation(name: &str) -> String {
    let path = operations_dir().join(format!("{name}.graphql"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

fn operations_dir() -> PathBuf {
    xtask::compose::schema_dir().join("operations")
}
