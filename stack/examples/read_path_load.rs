//! Load generator for the storefront's read path (issue 17), run by `bench/read_path.sh`:
//! category, search and product pages with VARIED requests, so that no two requests in flight
//! are the same and the router's subgraph-fetch deduplication cannot share one answer among
//! the connections. Each page is sent whole through the router (`--part full`, the committed
//! documents of `schema/operations/storefront/`) or as the catalog's part of it straight to
//! the catalog (`--part catalog`: the same document without the pricing, inventory and reviews
//! fields).
//!
//! Run with (a stack serving the demo shop, router on :4000, catalog on :4001):
//! `cargo run --release -p commerce-stack --example read_path_load -- prepare --out inputs.json`
//! then `... -- run --inputs inputs.json --page category --part full --url http://127.0.0.1:4000/graphql`.
//! `run` prints one tab-separated line: page, RPS, p50, p95, p99 (ms), errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use serde_json::{Value, json};

/// The HTTP client and the endpoint it sends to.
#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    /// Sends `query` and returns its `data`; GraphQL errors are failures.
    async fn data(&self, query: &str, variables: Value) -> anyhow::Result<Value> {
        let body = json!({ "query": query, "variables": variables });
        let request = self.http.post(&self.url).json(&body);
        let response: Value = request.send().await?.error_for_status()?.json().await?;
        if let Some(errors) = response.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(response["data"].clone())
    }
}

const CATEGORY_PAGE: &str =
    include_str!("../../schema/operations/storefront/category_page.graphql");
const SEARCH_PAGE: &str = include_str!("../../schema/operations/storefront/search_page.graphql");
const PRODUCT_PAGE: &str = include_str!("../../schema/operations/storefront/product_page.graphql");

/// The catalog's part of each page: what the router asks the catalog for (the page's own
/// fields, and the `@requires` fields pricing and inventory need: variants, category path,
/// collections).
const CATALOG_CATEGORY_PAGE: &str = "query CategoryPage($slug: String!, $first: Int! = 20, \
    $after: String) { category(slug: $slug) { id name ancestors { name slug } \
    products(first: $first, after: $after) { pageInfo { hasNextPage endCursor } \
    edges { node { id slug name imageUrls variants { id } \
    category { id ancestors { id } } collections { id } } } } } }";
const CATALOG_SEARCH_PAGE: &str = "query SearchPage($search: String!, $first: Int! = 20, \
    $after: String) { products(first: $first, after: $after, filter: { search: $search }, \
    sort: RELEVANCE) { pageInfo { hasNextPage endCursor } \
    edges { node { id slug name imageUrls variants { id } \
    category { id ancestors { id } } collections { id } } } } }";
const CATALOG_PRODUCT_PAGE: &str = "query ProductPage($slug: String!) { product(slug: $slug) { \
    id slug name description imageUrls attributes { name value } \
    category { name slug ancestors { name slug } } \
    variants { id sku name options { name value } \
    product { id category { id ancestors { id } } collections { id } } } } }";

#[derive(Debug, Parser)]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Collects varied inputs from the catalog: categories with cursors, search terms, slugs.
    Prepare {
        /// The catalog's GraphQL endpoint.
        #[arg(long, default_value = "http://127.0.0.1:4001/graphql")]
        url: String,
        /// Pages walked per category (each page's cursor is one input).
        #[arg(long, default_value_t = 5)]
        pages: usize,
        #[arg(long)]
        out: String,
    },
    /// Sends one kind of page for a duration and prints its throughput and latencies.
    Run {
        #[arg(long)]
        inputs: String,
        #[arg(long, value_enum)]
        page: Page,
        #[arg(long, value_enum, default_value = "full")]
        part: Part,
        #[arg(long, default_value = "http://127.0.0.1:4000/graphql")]
        url: String,
        #[arg(long, default_value_t = 50)]
        connections: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 5)]
        warmup_seconds: u64,
        #[arg(long, default_value = "EUR")]
        currency: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Page {
    Category,
    Search,
    Product,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Part {
    /// The whole page through the router.
    Full,
    /// The catalog's part, straight to the catalog.
    Catalog,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().command {
        Command::Prepare { url, pages, out } => {
            let inputs = prepare(&client(url)?, pages).await?;
            std::fs::write(&out, serde_json::to_vec_pretty(&inputs)?)?;
            eprintln!(
                "{} category pages, {} searches, {} products in {out}",
                inputs["categories"].as_array().map_or(0, Vec::len),
                inputs["searches"].as_array().map_or(0, Vec::len),
                inputs["products"].as_array().map_or(0, Vec::len),
            );
        }
        Command::Run {
            inputs,
            page,
            part,
            url,
            connections,
            seconds,
            warmup_seconds,
            currency,
        } => {
            let inputs: Value = serde_json::from_slice(&std::fs::read(&inputs)?)?;
            let bodies = Arc::new(bodies(&inputs, page, part, &currency)?);
            let client = client(url)?;
            let warmup = Duration::from_secs(warmup_seconds);
            run(&client, &bodies, connections, warmup).await;
            let report = run(&client, &bodies, connections, Duration::from_secs(seconds)).await;
            println!(
                "{:?}/{:?}\t{:.0}\t{:.2}\t{:.2}\t{:.2}\t{}",
                page, part, report.rps, report.p50, report.p95, report.p99, report.errors
            );
        }
    }
    Ok(())
}

fn client(url: String) -> anyhow::Result<Client> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(1024)
        .build()?;
    Ok(Client { http, url })
}

/// Categories with a cursor per page, search terms from product names, product slugs.
async fn prepare(catalog: &Client, pages: usize) -> anyhow::Result<Value> {
    let categories = catalog.data("{ categories { slug } }", json!({})).await?;
    let walk = "query($slug: String!, $after: String) { category(slug: $slug) {
        products(first: 20, after: $after) { pageInfo { hasNextPage endCursor }
        edges { node { slug name } } } } }";
    let mut category_pages = Vec::new();
    let mut products = Vec::new();
    let mut searches = Vec::new();
    for category in categories["categories"].as_array().context("categories")? {
        let slug = category["slug"].as_str().context("a slug")?;
        let mut after = Value::Null;
        for _ in 0..pages {
            let data = catalog
                .data(walk, json!({ "slug": slug, "after": after }))
                .await?;
            let connection = &data["category"]["products"];
            let edges = connection["edges"].as_array().context("edges")?;
            if edges.is_empty() {
                break;
            }
            category_pages.push(json!({ "slug": slug, "after": after }));
            for edge in edges {
                products.push(edge["node"]["slug"].clone());
                let name = edge["node"]["name"].as_str().unwrap_or_default();
                if let Some(word) = name.split_whitespace().last() {
                    searches.push(json!(word.to_lowercase()));
                }
            }
            if connection["pageInfo"]["hasNextPage"] != json!(true) {
                break;
            }
            after = connection["pageInfo"]["endCursor"].clone();
        }
    }
    searches.sort_by_key(|term| term.to_string());
    searches.dedup();
    if category_pages.is_empty() || products.is_empty() {
        bail!("the catalog has no products in categories");
    }
    Ok(json!({ "categories": category_pages, "searches": searches, "products": products }))
}

/// Every request body of a page kind, in an order that spreads neighbours apart.
fn bodies(inputs: &Value, page: Page, part: Part, currency: &str) -> anyhow::Result<Vec<String>> {
    let (document, key) = match (page, part) {
        (Page::Category, Part::Full) => (CATEGORY_PAGE, "categories"),
        (Page::Category, Part::Catalog) => (CATALOG_CATEGORY_PAGE, "categories"),
        (Page::Search, Part::Full) => (SEARCH_PAGE, "searches"),
        (Page::Search, Part::Catalog) => (CATALOG_SEARCH_PAGE, "searches"),
        (Page::Product, Part::Full) => (PRODUCT_PAGE, "products"),
        (Page::Product, Part::Catalog) => (CATALOG_PRODUCT_PAGE, "products"),
    };
    let items = inputs[key].as_array().context("inputs")?;
    let bodies = items.iter().map(|item| {
        let mut variables = match page {
            Page::Category => json!({ "slug": item["slug"], "after": item["after"] }),
            Page::Search => json!({ "search": item }),
            Page::Product => json!({ "slug": item }),
        };
        if part == Part::Full {
            variables["currency"] = json!(currency);
        }
        json!({ "query": document, "variables": variables }).to_string()
    });
    Ok(bodies.collect())
}

struct Report {
    rps: f64,
    p50: f64,
    p95: f64,
    p99: f64,
    errors: usize,
}

/// `connections` workers sending the next body in turn: consecutive requests differ, so with
/// more bodies than connections no two in flight are the same.
async fn run(
    client: &Client,
    bodies: &Arc<Vec<String>>,
    connections: usize,
    for_: Duration,
) -> Report {
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + for_;
    let started = Instant::now();
    let workers = (0..connections).map(|_| {
        let (client, bodies, next) = (client.clone(), bodies.clone(), next.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let body = bodies[next.fetch_add(1, Ordering::Relaxed) % bodies.len()].clone();
                let sent = Instant::now();
                let ok = send(&client, body).await;
                latencies.push(sent.elapsed());
                errors += usize::from(!ok);
            }
            (latencies, errors)
        })
    });
    let mut latencies = Vec::new();
    let mut errors = 0;
    for worker in workers.collect::<Vec<_>>() {
        let (mut done, failed) = worker.await.expect("a worker");
        latencies.append(&mut done);
        errors += failed;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_unstable();
    let at = |q: f64| {
        let index = ((latencies.len() as f64 - 1.0) * q).round() as usize;
        latencies
            .get(index)
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    Report {
        rps: latencies.len() as f64 / elapsed,
        p50: at(0.50),
        p95: at(0.95),
        p99: at(0.99),
        errors,
    }
}

/// One request; an HTTP failure or a GraphQL error counts as an error.
async fn send(client: &Client, body: String) -> bool {
    let response = client
        .http
        .post(&client.url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await;
    let Ok(response) = response else { return false };
    if !response.status().is_success() {
        return false;
    }
    match response.bytes().await {
        Ok(bytes) => !bytes.windows(9).any(|w| w == b"\"errors\""),
        Err(_) => false,
    }
}
