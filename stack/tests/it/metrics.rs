//! `docs/grafana/commerce.json` queries only metrics that exist: every metric name in its
//! queries is in a real scrape of the router's or a subgraph's `/metrics` after real requests.

use std::collections::BTreeSet;
use std::path::Path;

use commerce_testkit::Backend;
use serde_json::{Value, json};

use crate::graph::Graph;

/// Every `router_*` / `subgraph_*` name in the dashboard's queries (`expr`, and the
/// variables' `query`).
fn dashboard_metrics() -> BTreeSet<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/grafana/commerce.json");
    let text = std::fs::read_to_string(&path).expect("the dashboard is committed");
    let dashboard: Value = serde_json::from_str(&text).expect("the dashboard is JSON");
    let mut queries = Vec::new();
    collect_queries(&dashboard, &mut queries);
    queries
        .iter()
        .flat_map(|query| query.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')))
        .filter(|word| word.starts_with("router_") || word.starts_with("subgraph_"))
        .map(str::to_owned)
        .collect()
}

fn collect_queries<'a>(value: &'a Value, queries: &mut Vec<&'a str>) {
    match value {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("expr" | "query", Value::String(query)) => queries.push(query),
                    _ => collect_queries(value, queries),
                }
            }
        }
        Value::Array(values) => values.iter().for_each(|v| collect_queries(v, queries)),
        _ => {}
    }
}

/// The metric names of a scrape (`name{labels} value` and `name value` lines).
fn scraped_names(scrape: &str) -> BTreeSet<String> {
    scrape
        .lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| line.split(['{', ' ']).next())
        .filter(|name| !name.is_empty())
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_metric_the_grafana_dashboard_queries_exists_in_a_scrape() {
    let graph = Graph::start(Backend::Sqlite, 5).await;
    // Requests that touch every series: a page through the router (fetches from several
    // subgraphs, SQL, read-through caches) and a refused document sent to a subgraph (an error).
    graph
        .data(
            "storefront/products",
            json!({ "first": 5, "currency": "EUR" }),
            None,
        )
        .await;
    let (_, catalog) = graph
        .subgraphs
        .iter()
        .find(|(name, _)| *name == "catalog")
        .copied()
        .expect("a catalog subgraph");
    let refused = graph
        .post(catalog, "{ noSuchField }", json!({}), None)
        .await;
    assert!(refused["errors"].is_array(), "{refused}");

    let http = reqwest::Client::new();
    let mut scraped = BTreeSet::new();
    for addr in [graph.router, catalog] {
        let scrape = http
            .get(format!("http://{addr}/metrics"))
            .send()
            .await
            .expect("serves /metrics")
            .text()
            .await
            .expect("a text scrape");
        scraped.extend(scraped_names(&scrape));
    }
    let wanted = dashboard_metrics();
    assert!(
        wanted.len() >= 10,
        "the dashboard queries metrics: {wanted:?}"
    );
    let missing: Vec<&String> = wanted.difference(&scraped).collect();
    assert!(
        missing.is_empty(),
        "the dashboard queries metrics that no scrape has: {missing:?}\nscraped: {scraped:?}"
    );
}
