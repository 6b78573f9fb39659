//! The whole graph as a client sees it: the demo shop served by every subgraph behind the
//! router, and the committed operations of `schema/operations/` sent to it.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use commerce_kernel::cache::MemoryCache;
use commerce_kernel::config::Config;
use commerce_stack::{Listeners, Stack, Subgraphs, start};
use commerce_testkit::{Backend, SqlCounter, TestConfig, test_config};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

/// A running stack with the demo shop; stops when dropped.
pub struct Graph {
    pub router: SocketAddr,
    pub subgraphs: Vec<(&'static str, SocketAddr)>,
    /// Statements per subgraph database; empty unless started with [`Graph::start_counting`].
    pub statements: Statements,
    http: reqwest::Client,
    shutdown: CancellationToken,
    /// The in-process stack, or none for a router in another process.
    _stack: Option<(Stack, TestConfig)>,
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
        Self::launch(backend, products, configure, false).await
    }

    /// Like [`Graph::start`], counting the SQL statements of the subgraphs a storefront page
    /// reads from (catalog, inventory, reviews, pricing, checkout) after the demo data is loaded.
    /// Every query is executed (no router entity cache, no catalog response cache): what is
    /// counted is the subgraphs' work.
    pub async fn start_counting(backend: Backend, products: usize) -> Self {
        let uncached = |config: &mut Config| config.entity_cache_ttl_secs = 0;
        Self::launch(backend, products, uncached, true).await
    }

    async fn launch(
        backend: Backend,
        products: usize,
        configure: impl FnOnce(&mut Config),
        count: bool,
    ) -> Self {
        let test_config = test_config(backend).await;
        let listeners = Listeners::bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .expect("binds free ports");
        let mut config = listeners.config(&test_config).expect("addresses");
        configure(&mut config);
        let mut subgraphs = Subgraphs::connect(&config)
            .await
            .expect("subgraphs connect");
        subgraphs
            .load_demo(products)
            .await
            .expect("demo data loads");
        let statements = if count {
            Statements::attach(&mut subgraphs, &config).await
        } else {
            Statements(Vec::new())
        };
        let shutdown = CancellationToken::new();
        let stack = start(subgraphs, listeners, shutdown.clone())
            .await
            .expect("stack starts");
        Self {
            router: stack.router,
            subgraphs: stack.subgraphs.clone(),
            statements,
            http: reqwest::Client::new(),
            shutdown,
            _stack: Some((stack, test_config)),
        }
    }

    /// A client of the router at `router`, run elsewhere (subgraphs are reached through it).
    pub fn external(router: SocketAddr) -> Self {
        Self {
            router,
            subgraphs: Vec::new(),
            statements: Statements(Vec::new()),
            http: reqwest::Client::new(),
            shutdown: CancellationToken::new(),
            _stack: None,
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

    /// Requests the router has sent to each subgraph so far, from its Prometheus metrics.
    pub async fn subgraph_fetches(&self) -> BTreeMap<String, u64> {
        let metrics = self
            .http
            .get(format!("http://{}/metrics", self.router))
            .send()
            .await
            .expect("the router serves metrics")
            .text()
            .await
            .expect("metrics text");
        let mut fetches = BTreeMap::new();
        for line in metrics.lines() {
            let Some(labels) = line.strip_prefix("router_subgraph_requests_total{") else {
                continue;
            };
            let (labels, count) = labels.split_once("} ").expect("a sample");
            let subgraph = labels
                .split(',')
                .find_map(|label| label.strip_prefix("subgraph=\""))
                .and_then(|value| value.strip_suffix('"'))
                .expect("a subgraph label");
            *fetches.entry(subgraph.to_owned()).or_default() +=
                count.parse::<u64>().expect("a count");
        }
        fetches
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

/// SQL statement counters, one per subgraph database that has one.
pub struct Statements(Vec<(&'static str, SqlCounter)>);

impl Statements {
    /// Serves catalog, inventory, reviews, pricing and checkout from fresh connections with a
    /// counter each, so that only what the stack does from now on counts.
    async fn attach(subgraphs: &mut Subgraphs, config: &Config) -> Self {
        let mut counters = Vec::new();
        let mut connect = async |domain: &'static str| {
            let mut db = commerce_kernel::db::connect(config, domain)
                .await
                .expect("connects");
            counters.push((domain, SqlCounter::attach(&mut db)));
            db
        };
        let cache = || Arc::new(MemoryCache::new(1_000));
        let mut catalog = commerce_catalog::AppState::new(connect("catalog").await, cache());
        catalog.catalog = catalog.catalog.without_response_cache();
        subgraphs.catalog = catalog;
        subgraphs.inventory = commerce_inventory::AppState::new(
            connect("inventory").await,
            commerce_inventory::service::Clock::system(),
        );
        subgraphs.reviews = commerce_reviews::AppState {
            service: commerce_reviews::ReviewsService::new(connect("reviews").await, cache()),
        };
        subgraphs.pricing = commerce_pricing::AppState::new(connect("pricing").await);
        subgraphs.checkout =
            commerce_checkout::AppState::new(connect("checkout").await, config).expect("checkout");
        Self(counters)
    }

    pub fn reset(&self) {
        for (_, counter) in &self.0 {
            counter.reset();
        }
    }

    /// Statements since the last reset, by subgraph.
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        self.0
            .iter()
            .map(|(domain, counter)| (*domain, counter.count()))
            .collect()
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
