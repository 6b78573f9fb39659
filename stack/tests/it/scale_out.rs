//! The production layout under faults: every subgraph its own process (catalog and inventory
//! twice), two routers behind a balancer, one PostgreSQL and one Redis. Shoppers browse and buy
//! through the routers' balancer while one router, one catalog process and then Redis are
//! killed and started again. Afterwards nothing is lost: every order a shopper was told about
//! exists once, its payment holds its total, stock went down by exactly what was sold, the
//! analytics (fed by events through Redis Streams) counted every order, and a change made
//! through one router shows through the other within the stated bound. Clients saw errors only
//! while something was down, each with a code or as the connection it was on breaking.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use commerce_stack::scale_out::{Layout, Plan, prepare};
use commerce_testkit::{Backend, test_config};
use serde_json::{Value, json};
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;

use crate::graph::{Graph, operation};
use crate::oversell::amount;
use crate::purchase_flow::{shipping_method, variants_on_sale};

const SHOPPERS: usize = 6;
/// Every this many of a shopper's steps is a purchase; the rest are page reads.
const PURCHASE_EVERY: usize = 4;
/// After a fault ends (the process answers again), clients may still see its effects this long
/// (connections the balancer had open to it, the circuit breakers' probe).
const SETTLE: Duration = Duration::from_secs(5);
/// How soon a change through one router shows through the other.
const CACHE_BOUND: Duration = Duration::from_secs(2);

/// A Redis that can be killed and started again on the same port, with its data kept in an
/// append-only file synced on every write (how Redis runs when it carries events).
struct Redis {
    port: u16,
    dir: tempfile::TempDir,
    process: Option<Child>,
}

impl Redis {
    async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut redis = Self {
            port,
            dir: tempfile::tempdir().expect("a directory"),
            process: None,
        };
        redis.restart().await;
        redis
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    async fn kill(&mut self) {
        if let Some(mut process) = self.process.take() {
            process.kill().await.expect("kills Redis");
        }
    }

    async fn restart(&mut self) {
        let process = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--save", ""])
            .args(["--appendonly", "yes", "--appendfsync", "always"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdout(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("redis-server runs (scripts/test.sh installs it)");
        self.process = Some(process);
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("Redis did not start");
    }
}

/// What the shoppers saw.
#[derive(Default)]
struct Tally {
    served: AtomicU64,
    /// When (since the load started), which operation, and what went wrong.
    errors: Mutex<Vec<(Duration, &'static str, String)>>,
    /// Orders the shoppers were told were placed: id, total in cents, variant.
    placed: Mutex<Vec<(String, i64, String)>>,
}

/// A shopper's step failed: `Err` with what the client saw.
async fn send(
    http: &reqwest::Client,
    front: std::net::SocketAddr,
    name: &str,
    variables: &Value,
) -> Result<Value, String> {
    let response = http
        .post(format!("http://{front}/graphql"))
        .timeout(Duration::from_secs(30))
        .json(&json!({ "query": operation(name), "variables": variables }))
        .send()
        .await
        .map_err(|e| format!("connection: {e}"))?;
    let status = response.status();
    let body: Value = response
        .json()
        .await
        .map_err(|e| format!("HTTP {status}, unreadable body: {e}"))?;
    if let Some(errors) = body["errors"].as_array() {
        let codes: Vec<&str> = errors
            .iter()
            .map(|e| e["extensions"]["code"].as_str().unwrap_or("NO CODE"))
            .collect();
        return Err(format!("HTTP {status}, codes {codes:?}: {body}"));
    }
    Ok(body["data"].clone())
}

struct Shop {
    front: std::net::SocketAddr,
    variants: Vec<String>,
    slugs: Vec<String>,
    method: Value,
    tally: Tally,
    started: Instant,
    http: reqwest::Client,
}

impl Shop {
    fn record(&self, name: &'static str, result: &Result<Value, String>) {
        match result {
            Ok(_) => {
                self.tally.served.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => self.tally.errors.lock().expect("tally").push((
                self.started.elapsed(),
                name,
                error.clone(),
            )),
        }
    }

    async fn step(&self, name: &'static str, variables: Value) -> Result<Value, String> {
        let result = send(&self.http, self.front, name, &variables).await;
        self.record(name, &result);
        result
    }

    async fn browse(&self, n: usize) {
        let slug = &self.slugs[n % self.slugs.len()];
        let _ = match n % 3 {
            0 => {
                let first = 10 + n % 10;
                let variables = json!({ "first": first, "currency": "EUR" });
                self.step("storefront/products", variables).await
            }
            1 => {
                let variables = json!({ "slug": slug, "currency": "EUR" });
                self.step("storefront/product_page", variables).await
            }
            _ => {
                let search = &slug[..slug.len().min(4)];
                let variables = json!({ "search": search, "currency": "EUR" });
                self.step("storefront/search_page", variables).await
            }
        };
    }

    /// A guest buys one unit; the order is retried with the same key while the answer is
    /// unknown, as the storefront does.
    async fn buy(&self, shopper: usize, n: usize) {
        let variant = &self.variants[n % self.variants.len()];
        let Ok(created) = self
            .step(
                "storefront/cart_create",
                json!({ "currency": "EUR", "country": "DE" }),
            )
            .await
        else {
            return;
        };
        let token = created["cartCreate"]["token"].clone();
        let steps = [
            (
                "storefront/cart_add_line",
                json!({ "token": token, "variantId": variant, "quantity": 1 }),
            ),
            (
                "storefront/cart_set_email",
                json!({ "token": token, "email": format!("shopper{shopper}@example.com") }),
            ),
            (
                "storefront/cart_set_shipping_address",
                json!({ "token": token, "address": crate::purchase_flow::address() }),
            ),
            (
                "storefront/cart_set_shipping_method",
                json!({ "token": token, "shippingMethodId": self.method }),
            ),
        ];
        for (name, variables) in steps {
            if self.step(name, variables).await.is_err() {
                return;
            }
        }
        let key = format!("scale-{shopper}-{n}");
        let variables = json!({
            "token": token, "idempotencyKey": key,
            "payment": { "provider": "test", "token": "4242424242424242" },
        });
        for _ in 0..20 {
            match self
                .step("storefront/checkout_complete", variables.clone())
                .await
            {
                Ok(data) => {
                    let result = &data["checkoutComplete"];
                    if result["__typename"] == "CheckoutCompleted" {
                        let total = amount(&result["total"]);
                        let id = result["orderId"].as_str().expect("an order id").to_owned();
                        self.tally
                            .placed
                            .lock()
                            .expect("tally")
                            .push((id, total, variant.clone()));
                    }
                    return;
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_production_layout_loses_nothing_when_a_router_a_subgraph_and_redis_go_down() {
    let database = test_config(Backend::Postgres).await;
    let mut redis = Redis::start().await;
    let mut config = database.config();
    config.redis_url = Some(redis.url());
    prepare(&config, 12).await.expect("migrates and seeds");
    let env: Vec<(String, String)> = [
        (
            "COMMERCE_DATABASE_URL",
            config.database_url.clone().expect("PostgreSQL"),
        ),
        ("COMMERCE_REDIS_URL", redis.url()),
        ("COMMERCE_DATA_DIR", config.data_dir.display().to_string()),
        // Thirteen processes share one PostgreSQL.
        ("COMMERCE_DB_MAX_CONNECTIONS", "4".to_owned()),
        ("RUST_LOG", "error".to_owned()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect();
    let plan = Plan::parse(&["router=2".into(), "catalog=2".into(), "inventory=2".into()])
        .expect("a plan");
    let exe = Path::new(env!("CARGO_BIN_EXE_commerce-stack"));
    let mut layout = Layout::start(exe, &plan, "127.0.0.1:0".parse().expect("address"), env)
        .await
        .expect("the layout starts");

    let graph = Graph::external(layout.front);
    let staff = graph.staff_sign_in().await;
    let variants = variants_on_sale(&graph, 3).await;
    let listing = graph
        .data(
            "storefront/products",
            json!({ "first": 12, "currency": "EUR" }),
            None,
        )
        .await;
    let slugs: Vec<String> = listing["products"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["slug"].as_str().expect("slug").to_owned())
        .collect();
    let stock_before = on_hand(&graph, &staff, &variants).await;
    let shop = Arc::new(Shop {
        front: layout.front,
        variants: variants.clone(),
        slugs,
        method: shipping_method(&graph).await,
        tally: Tally::default(),
        started: Instant::now(),
        http: reqwest::Client::new(),
    });

    let stop = CancellationToken::new();
    let shoppers: Vec<_> = (0..SHOPPERS)
        .map(|shopper| {
            let (shop, stop) = (shop.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = shopper;
                while !stop.is_cancelled() {
                    n += 1;
                    if n % PURCHASE_EVERY == 0 {
                        shop.buy(shopper, n).await;
                    } else {
                        shop.browse(n).await;
                    }
                }
            })
        })
        .collect();

    // The faults, one after another, each while the shoppers keep going.
    let mut faults: Vec<(&str, Duration, Duration)> = Vec::new();
    let pause = Duration::from_secs(4);
    tokio::time::sleep(pause).await;
    let down = shop.started.elapsed();
    layout.kill("router", 0).await;
    tokio::time::sleep(pause).await;
    layout.restart("router", 0).await.expect("router restarts");
    faults.push(("router #0", down, shop.started.elapsed()));
    tokio::time::sleep(pause).await;
    let down = shop.started.elapsed();
    layout.kill("catalog", 0).await;
    tokio::time::sleep(pause).await;
    layout
        .restart("catalog", 0)
        .await
        .expect("catalog restarts");
    faults.push(("catalog #0", down, shop.started.elapsed()));
    tokio::time::sleep(pause).await;
    let down = shop.started.elapsed();
    redis.kill().await;
    tokio::time::sleep(pause).await;
    redis.restart().await;
    faults.push(("redis", down, shop.started.elapsed()));
    tokio::time::sleep(pause * 2).await;
    stop.cancel();
    for shopper in shoppers {
        shopper.await.expect("a shopper finished");
    }
    let elapsed = shop.started.elapsed();

    // What the shoppers saw: errors only while something was down, each with a code or as
    // the connection breaking.
    let errors = shop.tally.errors.lock().expect("tally").clone();
    let served = shop.tally.served.load(Ordering::Relaxed);
    let mut by_fault: BTreeMap<&str, usize> = BTreeMap::new();
    for (at, name, error) in &errors {
        assert!(
            !error.contains("NO CODE"),
            "an error without a code: {name}: {error}"
        );
        // The latest fault that began before it (their settling times overlap the next).
        let fault = faults
            .iter()
            .rev()
            .find(|(_, down, up)| *at >= *down && *at <= *up + SETTLE)
            .map(|(fault, ..)| *fault)
            .unwrap_or_else(|| {
                panic!("an error at {at:?} with nothing down ({faults:?}): {name}: {error}")
            });
        *by_fault.entry(fault).or_default() += 1;
    }
    let placed = shop.tally.placed.lock().expect("tally").clone();
    for (at, name, error) in &errors {
        println!("  at {at:.1?}, {name}: {}", &error[..error.len().min(160)]);
    }
    println!(
        "scale-out under faults: {served} requests served, {} errors ({by_fault:?}), {} orders, \
         in {:.1} s ({:.0} requests/s); faults (down, up): {faults:?}",
        errors.len(),
        placed.len(),
        elapsed.as_secs_f64(),
        served as f64 / elapsed.as_secs_f64()
    );
    assert!(!placed.is_empty(), "shoppers bought something");

    // Orders: each placed once, none that nobody was told about.
    let orders = graph
        .data(
            "dashboard/orders_search",
            json!({ "first": 100 }),
            Some(&staff),
        )
        .await;
    assert_eq!(
        orders["orders"]["totalCount"].as_u64(),
        Some(placed.len() as u64),
        "{orders:#}"
    );
    let mut ids: Vec<&str> = placed.iter().map(|(id, ..)| id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), placed.len(), "one order per purchase");

    // Money: every checkout's payment holds what its order costs.
    let mut authorized = 0;
    let mut after = Value::Null;
    loop {
        let payments = graph
            .data(
                "dashboard/payments_search",
                json!({ "first": 100, "after": after }),
                Some(&staff),
            )
            .await;
        let page = &payments["paymentIntents"];
        for edge in page["edges"].as_array().expect("edges") {
            // The demo shop's own intents have other references.
            let reference = edge["node"]["reference"].as_str().unwrap_or_default();
            if reference.starts_with("checkout-") {
                assert_eq!(edge["node"]["status"], "AUTHORIZED", "{edge:#}");
                authorized += amount(&edge["node"]["amountAuthorized"]);
            }
        }
        if page["pageInfo"]["hasNextPage"] != true {
            break;
        }
        after = page["pageInfo"]["endCursor"].clone();
    }
    let total: i64 = placed.iter().map(|(_, total, _)| total).sum();
    assert_eq!(authorized, total, "the payments hold what the orders cost");

    // Stock: down by exactly what was sold, nothing left held.
    let stock_after = on_hand(&graph, &staff, &variants).await;
    for variant in &variants {
        let sold = placed.iter().filter(|(.., v)| v == variant).count() as i64;
        assert_eq!(
            stock_before[variant] - stock_after[variant],
            sold,
            "stock of {variant}"
        );
    }

    // Events: analytics counted every order (published through Redis Streams, across its
    // restart), within a minute.
    let today = chrono::Utc::now().date_naive().to_string();
    let mut counted = 0;
    for _ in 0..120 {
        let overview = graph
            .data(
                "dashboard/analytics_overview",
                json!({ "from": today, "to": today }),
                Some(&staff),
            )
            .await;
        counted = overview["salesSummary"]
            .as_array()
            .expect("summary")
            .iter()
            .map(|row| row["orderCount"].as_u64().unwrap_or(0))
            .sum::<u64>();
        if counted == placed.len() as u64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(counted, placed.len() as u64, "analytics saw every order");

    // Caches: a change through one router shows through the other within the bound.
    let through = |router: usize| Graph::external(layout.part("router").instances[router].listen);
    let (first, second) = (through(0), through(1));
    let slug = &shop.slugs[0];
    let page = json!({ "slug": slug, "currency": "EUR" });
    let before = second
        .data("storefront/product_page", page.clone(), None)
        .await;
    let variant = before["product"]["variants"][0]["id"].clone();
    let renamed = format!("Renamed {}", chrono::Utc::now().timestamp_millis());
    let changed = Instant::now();
    first
        .data(
            "dashboard/variant_update",
            json!({ "id": variant, "input": { "name": renamed } }),
            Some(&staff),
        )
        .await;
    loop {
        let page = second
            .data("storefront/product_page", page.clone(), None)
            .await;
        if page["product"]["variants"][0]["name"] == renamed.as_str() {
            break;
        }
        assert!(
            changed.elapsed() < CACHE_BOUND,
            "the other router still shows the old name after {:?}",
            changed.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "a change through one router showed through the other in {:?}",
        changed.elapsed()
    );
    layout.stop().await;
}

/// Units on hand of each variant, over every warehouse.
async fn on_hand(graph: &Graph, staff: &str, variants: &[String]) -> BTreeMap<String, i64> {
    let mut units = BTreeMap::new();
    for variant in variants {
        let stock = graph
            .data(
                "dashboard/variant_stock",
                json!({ "id": variant }),
                Some(staff),
            )
            .await;
        let total = stock["productVariant"]["stock"]
            .as_array()
            .expect("levels")
            .iter()
            .map(|level| {
                assert_eq!(level["reserved"], 0, "nothing held: {stock:#}");
                level["onHand"].as_i64().expect("on hand")
            })
            .sum();
        units.insert(variant.clone(), total);
    }
    units
}
