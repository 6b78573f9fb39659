//! Load generator for subscriptions (issue 16), run by `bench/subscriptions.sh` against a
//! router in front of a running stack. Every HTTP request is a committed document of
//! `schema/operations/`; subscriptions speak `graphql-transport-ws`.
//!
//! 1. Opens `--connections` WebSockets with `--per-connection` subscriptions each
//!    (`stockChanged` of the shop's variants, round-robin), waits until each has its first
//!    result, and reports the router's RSS (`--router-pid`) before and after.
//! 2. With those open: places `--orders` guest orders, subscribes to each as staff
//!    (`orderUpdated`), then captures and cancels each order in turn and measures, for every
//!    status change, the time from the staff mutation's answer (the change is committed) to
//!    the subscriber receiving the order with its new status.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

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
const CHECKOUT_COMPLETE: &str = operation!("storefront/checkout_complete");
const STAFF_SIGN_IN: &str = operation!("dashboard/staff_sign_in");
const CAPTURE: &str = operation!("dashboard/order_capture");
const CANCEL: &str = operation!("dashboard/order_cancel");

const STOCK_CHANGED: &str =
    "subscription($id: ID!) { stockChanged(variantId: $id) { id available } }";
const ORDER_UPDATED: &str = "subscription($id: ID!) { orderUpdated(id: $id) { id status } }";

/// The payments test provider's card that is always authorized.
const CARD_OK: &str = "4242 4242 4242 4242";

#[derive(Debug, Parser)]
struct Args {
    /// The router's GraphQL endpoint (`ws://` is derived from it).
    #[arg(long, default_value = "http://127.0.0.1:4000/graphql")]
    url: String,
    #[arg(long, default_value_t = 200)]
    connections: usize,
    #[arg(long, default_value_t = 50)]
    per_connection: usize,
    /// Orders whose status changes are timed (two changes each).
    #[arg(long, default_value_t = 50)]
    orders: usize,
    /// The router's process id, for its RSS.
    #[arg(long)]
    router_pid: Option<u32>,
}

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A `graphql-transport-ws` connection, acknowledged.
async fn connect(url: &str, token: Option<&str>) -> anyhow::Result<Socket> {
    let ws = url.replacen("http", "ws", 1);
    let mut request = ws.into_client_request()?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let payload = match token {
        Some(token) => json!({ "authorization": format!("Bearer {token}") }),
        None => json!({}),
    };
    let init = json!({ "type": "connection_init", "payload": payload });
    socket.send(Message::text(init.to_string())).await?;
    let ack = receive(&mut socket).await?;
    if ack["type"] != "connection_ack" {
        bail!("expected connection_ack, got {ack}");
    }
    Ok(socket)
}

async fn subscribe(
    socket: &mut Socket,
    id: &str,
    query: &str,
    variables: Value,
) -> anyhow::Result<()> {
    let message = json!({
        "id": id, "type": "subscribe", "payload": { "query": query, "variables": variables },
    });
    Ok(socket.send(Message::text(message.to_string())).await?)
}

async fn receive(socket: &mut Socket) -> anyhow::Result<Value> {
    loop {
        match socket.next().await.context("connection closed")?? {
            Message::Text(text) => return Ok(serde_json::from_str(text.as_str())?),
            Message::Close(frame) => bail!("closed: {frame:?}"),
            _ => {}
        }
    }
}

/// Resident set size of a process, in KiB.
fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

async fn variants_on_sale(client: &Client) -> anyhow::Result<Vec<String>> {
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
        .filter(|variant| !variant["price"].is_null() && variant["available"].as_i64() > Some(5))
        .filter_map(|variant| variant["id"].as_str().map(str::to_owned))
        .collect();
    if variants.is_empty() {
        bail!("the shop sells nothing in EUR (is the demo shop loaded?)");
    }
    Ok(variants)
}

/// A guest order of one unit of `variant`; returns its id.
async fn place_order(client: &Client, variant: &str, key: &str) -> anyhow::Result<String> {
    let created = client
        .cart_mutation(
            CART_CREATE,
            "cartCreate",
            json!({ "currency": "EUR", "country": "DE" }),
        )
        .await?;
    let token = created["token"].as_str().context("cart token")?.to_owned();
    let line = json!({ "token": token, "variantId": variant, "quantity": 1 });
    client
        .cart_mutation(CART_ADD_LINE, "cartAddLine", line)
        .await?;
    let email = json!({ "token": token, "email": format!("live-{key}@example.com") });
    client
        .cart_mutation(CART_SET_EMAIL, "cartSetEmail", email)
        .await?;
    let to = json!({ "token": token, "address": address() });
    client
        .cart_mutation(CART_SET_ADDRESS, "cartSetShippingAddress", to)
        .await?;
    let page = client.data(CART, json!({ "token": token }), None).await?;
    let method = page["cart"]["availableShippingMethods"][0]["method"]["id"].clone();
    let chosen = json!({ "token": token, "shippingMethodId": method });
    client
        .cart_mutation(CART_SET_METHOD, "cartSetShippingMethod", chosen)
        .await?;
    let variables = json!({
        "token": token, "idempotencyKey": key,
        "payment": { "provider": "test", "token": CARD_OK },
    });
    let data = client.data(CHECKOUT_COMPLETE, variables, None).await?;
    let placed = &data["checkoutComplete"];
    placed["orderId"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("checkout refused: {placed}"))
}

/// Opens every `stockChanged` subscription and waits for each one's first result; the
/// sockets stay open while the returned handles live.
async fn open_subscriptions(
    args: &Args,
    variants: &[String],
) -> anyhow::Result<Vec<tokio::task::JoinHandle<()>>> {
    let ready = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for connection in 0..args.connections {
        let mut socket = connect(&args.url, None).await?;
        for n in 0..args.per_connection {
            let variant = &variants[(connection * args.per_connection + n) % variants.len()];
            subscribe(
                &mut socket,
                &n.to_string(),
                STOCK_CHANGED,
                json!({ "id": variant }),
            )
            .await?;
        }
        let ready = ready.clone();
        tasks.push(tokio::spawn(async move {
            let mut first = std::collections::HashSet::new();
            while let Ok(message) = receive(&mut socket).await {
                match message["type"].as_str() {
                    Some("next") if first.insert(message["id"].to_string()) => {
                        ready.fetch_add(1, Ordering::Relaxed);
                    }
                    Some("error") => eprintln!("subscription error: {message}"),
                    _ => {}
                }
            }
        }));
    }
    let total = args.connections * args.per_connection;
    let started = Instant::now();
    while ready.load(Ordering::Relaxed) < total {
        if started.elapsed() > Duration::from_secs(600) {
            bail!(
                "only {} of {total} subscriptions started",
                ready.load(Ordering::Relaxed)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "{total} subscriptions open in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(tasks)
}

/// Waits for the subscription `id` to send the order with `status`.
async fn wait_status(socket: &mut Socket, id: &str, status: &str) -> anyhow::Result<()> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(30), receive(socket))
            .await
            .context("no event within 30 s")??;
        if message["id"] == id && message["payload"]["data"]["orderUpdated"]["status"] == status {
            return Ok(());
        }
        if message["type"] == "error" {
            bail!("subscription error: {message}");
        }
    }
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    let index = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = Client {
        http: reqwest::Client::new(),
        url: args.url.clone(),
    };
    let variants = variants_on_sale(&client).await?;
    let rss_before = args.router_pid.and_then(rss_kib);
    let open = open_subscriptions(&args, &variants).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = args.router_pid.and_then(rss_kib);
    let total = args.connections * args.per_connection;

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
    let run = std::process::id();
    let mut orders = Vec::new();
    for n in 0..args.orders {
        let variant = &variants[n % variants.len()];
        orders.push(place_order(&client, variant, &format!("live-{run}-{n}")).await?);
    }
    let mut watcher = connect(&args.url, Some(&staff)).await?;
    for (n, order) in orders.iter().enumerate() {
        subscribe(
            &mut watcher,
            &format!("o{n}"),
            ORDER_UPDATED,
            json!({ "id": order }),
        )
        .await?;
        wait_status(&mut watcher, &format!("o{n}"), "PLACED").await?;
    }
    let mut delays = Vec::new();
    for (n, order) in orders.iter().enumerate() {
        let id = format!("o{n}");
        let steps = [
            (
                CAPTURE,
                "orderCapturePayment",
                json!({ "orderId": order, "idempotencyKey": format!("{id}-capture-{run}") }),
                "PAID",
            ),
            (
                CANCEL,
                "orderCancel",
                json!({ "orderId": order, "reason": "bench", "idempotencyKey": format!("{id}-cancel-{run}") }),
                "CANCELLED",
            ),
        ];
        for (document, field, variables, status) in steps {
            let data = client.data(document, variables, Some(&staff)).await?;
            let committed = Instant::now();
            if data[field]["status"] != status {
                bail!("{field} refused: {data}");
            }
            wait_status(&mut watcher, &id, status).await?;
            delays.push(committed.elapsed().as_secs_f64() * 1000.0);
        }
    }
    delays.sort_by(f64::total_cmp);
    let per_subscription = match (rss_before, rss_after) {
        (Some(before), Some(after)) => format!(
            "{:.0}",
            (after.saturating_sub(before) * 1024) as f64 / total as f64
        ),
        _ => "-".into(),
    };
    println!(
        "subscriptions={total} connections={} rss_before_kib={} rss_after_kib={} bytes_per_subscription={per_subscription} \
         changes={} p50_ms={:.1} p95_ms={:.1} max_ms={:.1}",
        args.connections,
        rss_before.map_or("-".into(), |v| v.to_string()),
        rss_after.map_or("-".into(), |v| v.to_string()),
        delays.len(),
        percentile(&delays, 0.5),
        percentile(&delays, 0.95),
        delays.last().copied().unwrap_or_default(),
    );
    for task in open {
        task.abort();
    }
    Ok(())
}
