//! Load generator for the purchase flow (issue 15), run by `bench/checkout.sh` against a running
//! stack. Every request is a committed document of `schema/operations/`.
//!
//! `checkout`: signs the demo administrator in, raises the stock of a few variants on sale (so
//! no checkout fails for lack of stock), prepares `--carts` guest carts (create, one line, email,
//! address, shipping method, optionally a coupon), then runs `checkoutComplete` at a fixed
//! concurrency for a duration, each with its own idempotency key, and prints throughput and
//! latency percentiles. `cart`: prepares one guest cart of `--lines` lines and prints the request
//! body of the cart query for it (for `oha -d`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use serde_json::json;

mod load_client;

use load_client::{Client, address};

macro_rules! operation {
    ($path:literal) => {
        include_str!(concat!("../../schema/operations/", $path, ".graphql"))
    };
}

const PRODUCTS: &str = operation!("storefront/products");
const CART: &str = operation!("storefront/cart");
const CART_CREATE: &str = operation!("storefront/cart_create");
const CART_ADD_LINE: &str = operation!("storefront/cart_add_line");
const CART_SET_EMAIL: &str = operation!("storefront/cart_set_email");
const CART_SET_ADDRESS: &str = operation!("storefront/cart_set_shipping_address");
const CART_SET_METHOD: &str = operation!("storefront/cart_set_shipping_method");
const CART_APPLY_COUPON: &str = operation!("storefront/cart_apply_coupon");
const CHECKOUT_COMPLETE: &str = operation!("storefront/checkout_complete");
const STAFF_SIGN_IN: &str = operation!("dashboard/staff_sign_in");
const WAREHOUSES: &str = operation!("dashboard/warehouses");
const STOCK_SET: &str = operation!("dashboard/set_stock");

/// The payments test provider's card that is always authorized.
const CARD_OK: &str = "4242 4242 4242 4242";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Mode {
    Checkout,
    Cart,
}

#[derive(Debug, Parser)]
struct Args {
    #[arg(value_enum)]
    mode: Mode,
    /// The GraphQL endpoint (the stack's router).
    #[arg(long, default_value = "http://127.0.0.1:4000/graphql")]
    url: String,
    /// Carts to prepare; the run stops early when they are used up.
    #[arg(long, default_value_t = 2000)]
    carts: usize,
    /// Checkouts in flight at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
    /// Seconds of checkouts.
    #[arg(long, default_value_t = 20)]
    duration: u64,
    /// Distinct variants the carts buy (one line each); every one gets plenty of stock.
    #[arg(long, default_value_t = 20)]
    variants: usize,
    /// A coupon every cart applies, so the saga's redeem step calls pricing (none by default:
    /// the demo's WELCOME10 is once per customer, so guests cannot use it).
    #[arg(long, default_value = "")]
    coupon: String,
    /// The stack's process id: its CPU use over the checkouts is reported.
    #[arg(long)]
    stack_pid: Option<u32>,
    /// Lines of the cart in `cart` mode.
    #[arg(long, default_value_t = 3)]
    lines: usize,
}

/// Up to `count` variants with a price in EUR from the storefront's listing.
async fn variants_on_sale(client: &Client, count: usize) -> anyhow::Result<Vec<String>> {
    let data = client
        .data(PRODUCTS, json!({ "first": 100, "currency": "EUR" }), None)
        .await?;
    let variants: Vec<String> = data["products"]["edges"]
        .as_array()
        .context("products")?
        .iter()
        .flat_map(|edge| {
            edge["node"]["variants"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .filter(|variant| !variant["price"].is_null())
        .filter_map(|variant| variant["id"].as_str().map(str::to_owned))
        .take(count)
        .collect();
    if variants.is_empty() {
        bail!("the shop sells nothing in EUR (is the demo shop loaded?)");
    }
    Ok(variants)
}

/// Sets a million units of each variant on hand in the first warehouse.
async fn stock_up(client: &Client, variants: &[String]) -> anyhow::Result<()> {
    use commerce_customers::demo::{ADMIN_EMAIL, ADMIN_PASSWORD};
    let signed_in = client
        .data(
            STAFF_SIGN_IN,
            json!({ "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD }),
            None,
        )
        .await?;
    let staff = signed_in["staffLogin"]["accessToken"]
        .as_str()
        .with_context(|| format!("staff sign-in: {signed_in}"))?
        .to_owned();
    let warehouses = client.data(WAREHOUSES, json!({}), Some(&staff)).await?;
    let warehouse = warehouses["warehouses"][0]["id"].clone();
    let run = std::process::id();
    for variant in variants {
        let input = json!({ "variantId": variant, "warehouseId": warehouse, "onHand": 1_000_000 });
        let key = format!("bench-stock-{run}-{variant}");
        let data = client
            .data(
                STOCK_SET,
                json!({ "input": input, "idempotencyKey": key }),
                Some(&staff),
            )
            .await?;
        if data["setStock"]["__typename"] != "StockLevel" {
            bail!("setStock refused: {data}");
        }
    }
    Ok(())
}

/// A guest cart ready for checkout; returns its token.
async fn prepare_cart(
    client: &Client,
    variants: &[String],
    method: Option<&str>,
    coupon: &str,
) -> anyhow::Result<(String, Option<String>)> {
    let created = client
        .cart_mutation(
            CART_CREATE,
            "cartCreate",
            json!({ "currency": "EUR", "country": "DE" }),
        )
        .await?;
    let token = created["token"].as_str().context("cart token")?.to_owned();
    for variant in variants {
        client
            .cart_mutation(
                CART_ADD_LINE,
                "cartAddLine",
                json!({ "token": token, "variantId": variant, "quantity": 1 }),
            )
            .await?;
    }
    let email = format!("bench-{token}@example.com");
    client
        .cart_mutation(
            CART_SET_EMAIL,
            "cartSetEmail",
            json!({ "token": token, "email": email }),
        )
        .await?;
    client
        .cart_mutation(
            CART_SET_ADDRESS,
            "cartSetShippingAddress",
            json!({ "token": token, "address": address() }),
        )
        .await?;
    // The first cart asks which methods ship to Germany; the others reuse its answer.
    let method = match method {
        Some(method) => method.to_owned(),
        None => {
            let page = client.data(CART, json!({ "token": token }), None).await?;
            page["cart"]["availableShippingMethods"][0]["method"]["id"]
                .as_str()
                .with_context(|| format!("no shipping method to Germany: {page}"))?
                .to_owned()
        }
    };
    client
        .cart_mutation(
            CART_SET_METHOD,
            "cartSetShippingMethod",
            json!({ "token": token, "shippingMethodId": method }),
        )
        .await?;
    if !coupon.is_empty() {
        client
            .cart_mutation(
                CART_APPLY_COUPON,
                "cartApplyCoupon",
                json!({ "token": token, "code": coupon }),
            )
            .await?;
    }
    Ok((token, Some(method)))
}

/// Prepares `count` carts, `concurrency` at a time, each buying one of `variants`.
async fn prepare_carts(
    client: &Client,
    variants: &[String],
    count: usize,
    concurrency: usize,
    coupon: &str,
) -> anyhow::Result<Vec<String>> {
    let (first, method) = prepare_cart(client, &variants[..1], None, coupon).await?;
    let method = Arc::new(method);
    let variants = Arc::new(variants.to_vec());
    let next = Arc::new(AtomicUsize::new(1));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let (client, variants, method, next) = (
            client.clone(),
            variants.clone(),
            method.clone(),
            next.clone(),
        );
        let coupon = coupon.to_owned();
        workers.spawn(async move {
            let mut tokens = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= count {
                    return anyhow::Ok(tokens);
                }
                let variant = &variants[index % variants.len()..][..1];
                let (token, _) = prepare_cart(&client, variant, method.as_deref(), &coupon).await?;
                tokens.push(token);
            }
        });
    }
    let mut tokens = vec![first];
    while let Some(result) = workers.join_next().await {
        tokens.extend(result??);
    }
    Ok(tokens)
}

/// CPU time a process has used (user + system), in clock ticks (Linux `/proc`).
fn process_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// Busy and total clock ticks of the whole machine, all cores (`/proc/stat`).
fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let values: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: u64 = values.iter().sum();
    // idle and iowait
    let idle = values.get(3)? + values.get(4)?;
    Some((total - idle, total))
}

/// The `q`-quantile of sorted durations, in milliseconds.
fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = (q * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
}

async fn run_checkouts(client: &Client, tokens: Vec<String>, args: &Args) -> anyhow::Result<()> {
    let tokens = Arc::new(tokens);
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.duration);
    let run = std::process::id();
    let stack_before = args.stack_pid.and_then(process_ticks);
    let machine_before = machine_ticks();
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..args.concurrency {
        let (client, tokens, next) = (client.clone(), tokens.clone(), next.clone());
        workers.spawn(async move {
            let mut results = Vec::new();
            while Instant::now() < deadline {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let Some(token) = tokens.get(index) else {
                    break;
                };
                let variables = json!({
                    "token": token,
                    "idempotencyKey": format!("bench-{run}-{index}"),
                    "payment": { "provider": "test", "token": CARD_OK },
                });
                let sent = Instant::now();
                let outcome = match client.data(CHECKOUT_COMPLETE, variables, None).await {
                    Ok(data) => data["checkoutComplete"]["__typename"]
                        .as_str()
                        .unwrap_or("?")
                        .to_owned(),
                    Err(error) => format!("error: {error}"),
                };
                results.push((sent.elapsed(), outcome));
            }
            results
        });
    }
    let mut latencies = Vec::new();
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(results) = workers.join_next().await {
        for (latency, outcome) in results? {
            if outcome == "CheckoutCompleted" {
                latencies.push(latency);
            }
            *outcomes.entry(outcome).or_default() += 1;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    // Clock ticks are 1/100 s on Linux (CLK_TCK), so ticks per second of wall time is percent.
    let stack_cpu = match (stack_before, args.stack_pid.and_then(process_ticks)) {
        (Some(before), Some(after)) => format!("{:.0}", (after - before) as f64 / elapsed),
        _ => "-".to_owned(),
    };
    let machine_busy = match (machine_before, machine_ticks()) {
        (Some((busy0, total0)), Some((busy1, total1))) => {
            format!(
                "{:.0}",
                100.0 * (busy1 - busy0) as f64 / (total1 - total0) as f64
            )
        }
        _ => "-".to_owned(),
    };
    latencies.sort();
    let completed = latencies.len();
    if next.load(Ordering::Relaxed) >= tokens.len() {
        eprintln!("all {} carts were used before the deadline", tokens.len());
    }
    eprintln!("outcomes: {outcomes:?}");
    println!(
        "checkouts={completed} seconds={elapsed:.1} per_second={:.1} p50_ms={:.1} p95_ms={:.1} p99_ms={:.1} max_ms={:.1} failed={} stack_cpu_percent={stack_cpu} machine_busy_percent={machine_busy}",
        completed as f64 / elapsed,
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        latencies
            .last()
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0),
        outcomes.values().sum::<usize>() - completed,
    );
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = Client {
        http: reqwest::Client::builder()
            .pool_max_idle_per_host(args.concurrency.max(16))
            .build()?,
        url: args.url.clone(),
    };
    match args.mode {
        Mode::Cart => {
            let variants = variants_on_sale(&client, args.lines).await?;
            let (token, _) = prepare_cart(&client, &variants, None, "").await?;
            println!(
                "{}",
                json!({ "query": CART, "variables": { "token": token } })
            );
        }
        Mode::Checkout => {
            let variants = variants_on_sale(&client, args.variants).await?;
            stock_up(&client, &variants).await?;
            let prepared = Instant::now();
            let tokens = prepare_carts(
                &client,
                &variants,
                args.carts,
                args.concurrency,
                &args.coupon,
            )
            .await?;
            eprintln!(
                "prepared {} carts in {:.1} s",
                tokens.len(),
                prepared.elapsed().as_secs_f64()
            );
            run_checkouts(&client, tokens, &args).await?;
        }
    }
    Ok(())
}
