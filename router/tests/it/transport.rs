//! Transport protection on real sockets: oversized and slow bodies, slow headers, the caps on
//! connections and concurrent requests, and a well-behaved client's latency while slow
//! connections and a connection flood go on.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use commerce_router::Config;
use commerce_router::config::ServerConfig;
use http::StatusCode;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::entities::products_router_with;
use crate::harness::{TestRouter, dead_url, spawn_canned};

const QUERY: &str = r#"{"query":"{ topProducts(first: 2) { upc name reviews { body } } }"}"#;

/// The products router on a port-0 listener, served as the binary serves it.
async fn listen(server: ServerConfig, body_limit: usize) -> SocketAddr {
    let config = Config {
        server,
        body_limit,
        ..Config::default()
    };
    products_router_with(config).await.listen().await
}

fn post_head(addr: SocketAddr, framing: &str) -> String {
    format!(
        "POST /graphql HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n{framing}\r\n\r\n"
    )
}

/// Everything the server sends until it closes the connection (panics after 5 s).
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut response))
        .await
        .expect("the server closes the connection")
        .expect("read");
    String::from_utf8_lossy(&response).into_owned()
}

fn status_and_code(response: &str) -> (&str, String) {
    let status = response.split(' ').nth(1).unwrap_or_default();
    let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
    let body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    let code = body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    (status, code)
}

fn small_body_limit() -> (ServerConfig, usize) {
    (ServerConfig::default(), 1024)
}

#[tokio::test]
async fn refuses_a_declared_oversized_body_before_reading_any_of_it() {
    let (server, limit) = small_body_limit();
    let addr = listen(server, limit).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // Ten megabytes announced, none sent: the answer cannot wait for them.
    let head = post_head(addr, "content-length: 10000000");
    stream.write_all(head.as_bytes()).await.expect("write");
    let response = read_until_closed(&mut stream).await;
    assert_eq!(
        status_and_code(&response),
        ("413", "PAYLOAD_TOO_LARGE".to_string())
    );
}

#[tokio::test]
async fn refuses_a_chunked_body_once_it_passes_the_limit() {
    let (server, limit) = small_body_limit();
    let addr = listen(server, limit).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let head = post_head(addr, "transfer-encoding: chunked");
    stream.write_all(head.as_bytes()).await.expect("write");
    // 2 KB in chunks, and the body never ends: the refusal comes from what was read.
    for _ in 0..4 {
        let chunk = format!("200\r\n{}\r\n", "x".repeat(0x200));
        stream.write_all(chunk.as_bytes()).await.expect("write");
    }
    let response = read_until_closed(&mut stream).await;
    assert_eq!(
        status_and_code(&response),
        ("413", "PAYLOAD_TOO_LARGE".to_string())
    );
}

#[tokio::test]
async fn cuts_off_a_body_sent_one_byte_a_second() {
    let server = ServerConfig {
        body_read_timeout_ms: 1_000,
        ..ServerConfig::default()
    };
    let addr = listen(server, 1024).await;
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut read, mut write) = stream.into_split();
    let head = post_head(addr, &format!("content-length: {}", QUERY.len()));
    write.write_all(head.as_bytes()).await.expect("write");
    let started = Instant::now();
    let dribble = tokio::spawn(async move {
        for byte in QUERY.bytes() {
            if write.write_all(&[byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), read.read_to_end(&mut response))
        .await
        .expect("the server closes the connection")
        .expect("read");
    let elapsed = started.elapsed();
    dribble.abort();
    let response = String::from_utf8_lossy(&response);
    assert_eq!(
        status_and_code(&response),
        ("408", "REQUEST_TIMEOUT".to_string())
    );
    assert!(
        elapsed < Duration::from_millis(2_500),
        "cut off {elapsed:?} after the headers"
    );
}

#[tokio::test]
async fn closes_a_connection_whose_headers_never_finish() {
    let server = ServerConfig {
        header_read_timeout_ms: 500,
        ..ServerConfig::default()
    };
    let addr = listen(server, 1024).await;
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    let started = Instant::now();
    stream
        .write_all(b"POST /graphql HTTP/1.1\r\nhost: router\r\n")
        .await
        .expect("write");
    let response = read_until_closed(&mut stream).await;
    assert_eq!(response, "", "closed without an answer");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn answers_503_to_connections_past_the_cap_and_serves_again_once_one_closes() {
    let server = ServerConfig {
        max_connections: 2,
        ..ServerConfig::default()
    };
    let addr = listen(server, 1024).await;
    let first = TcpStream::connect(addr).await.expect("connect");
    let _second = TcpStream::connect(addr).await.expect("connect");
    let mut third = TcpStream::connect(addr).await.expect("connect");
    let response = read_until_closed(&mut third).await;
    assert_eq!(
        status_and_code(&response),
        ("503", "SERVICE_OVERLOADED".to_string())
    );
    assert!(response.contains("retry-after: 1\r\n"));
    drop(first);
    let client = keep_alive_client();
    let mut status = StatusCode::SERVICE_UNAVAILABLE;
    for _ in 0..50 {
        // The server frees the place once it has seen the close.
        tokio::time::sleep(Duration::from_millis(20)).await;
        match send(&client, addr).await {
            Ok((answer, _)) => status = answer,
            Err(_) => continue,
        }
        if status == StatusCode::OK {
            break;
        }
    }
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn sheds_requests_past_the_concurrency_cap_with_retry_after() {
    let slow = spawn_canned(
        200,
        r#"{"data":{"topProducts":[]}}"#,
        Duration::from_millis(500),
    )
    .await;
    let dead = dead_url().await;
    let config = Config {
        server: ServerConfig {
            max_concurrent_requests: 1,
            ..ServerConfig::default()
        },
        ..Config::default()
    };
    let router = TestRouter::products(&dead, &slow, &dead, &dead, config);
    let body = json!({ "query": "{ topProducts(first: 1) { upc } }" });
    let (first, second) = tokio::join!(router.post_json(&body), async {
        tokio::time::sleep(Duration::from_millis(100)).await;
        router.post_json(&body).await
    });
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(second.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(second.headers["retry-after"], "1");
    assert_eq!(
        second.body["errors"][0]["extensions"]["code"],
        "SERVICE_OVERLOADED"
    );
    let third = router.post_json(&body).await;
    assert_eq!(third.status, StatusCode::OK, "the place is free again");
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

fn keep_alive_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// POSTs the storefront-like query; the status and the time to the whole answer.
async fn send(client: &HttpClient, addr: SocketAddr) -> Result<(StatusCode, Duration), String> {
    let request = http::Request::post(format!("http://{addr}/graphql"))
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from_static(QUERY.as_bytes())))
        .expect("request");
    let started = Instant::now();
    let response = client.request(request).await.map_err(|e| e.to_string())?;
    let status = response.status();
    response
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?;
    Ok((status, started.elapsed()))
}

/// What the attackers saw: connections the server closed on them, and refused ones.
#[derive(Default)]
struct Attack {
    cut_off: std::sync::atomic::AtomicUsize,
    refused: std::sync::atomic::AtomicUsize,
}

/// A connection that sends `head` and then `body` one byte every 100 ms, again and again,
/// counting the times the server closes it first.
async fn slow_client(addr: SocketAddr, head: String, body: &'static str, attack: &Attack) {
    use std::sync::atomic::Ordering::Relaxed;
    loop {
        let Ok(mut stream) = TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let mut sent = stream.write_all(head.as_bytes()).await;
        for byte in body.bytes() {
            if sent.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
            sent = stream.write_all(&[byte]).await;
        }
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
        attack.cut_off.fetch_add(1, Relaxed);
    }
}

/// Opens a connection every 2 ms and holds the last hundred, unanswered.
async fn flood(addr: SocketAddr, attack: &Attack) {
    use std::sync::atomic::Ordering::Relaxed;
    let mut held = std::collections::VecDeque::new();
    loop {
        match TcpStream::connect(addr).await {
            Ok(stream) => held.push_back(stream),
            Err(_) => {
                attack.refused.fetch_add(1, Relaxed);
            }
        }
        if held.len() > 100 {
            let mut oldest = held.pop_front().expect("held");
            let mut answer = [0; 12];
            if let Ok(Ok(n)) =
                tokio::time::timeout(Duration::from_millis(1), oldest.read(&mut answer)).await
                && answer[..n].starts_with(b"HTTP/1.1 503")
            {
                attack.refused.fetch_add(1, Relaxed);
            }
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

fn p95(latencies: &mut [Duration]) -> Duration {
    latencies.sort();
    latencies[latencies.len() * 95 / 100]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_well_behaved_client_keeps_getting_quick_answers_through_slow_connections_and_a_flood() {
    let server = ServerConfig {
        header_read_timeout_ms: 1_000,
        body_read_timeout_ms: 1_000,
        max_connections: 400,
        ..ServerConfig::default()
    };
    let addr = listen(server, 2 * 1024 * 1024).await;
    let client = keep_alive_client();
    let (status, _) = send(&client, addr).await.expect("answer before the attack");
    assert_eq!(status, StatusCode::OK);

    // The attackers run on their own thread, as other processes would.
    let attack: &'static Attack = Box::leak(Box::default());
    let stop = std::sync::Arc::new(tokio::sync::Notify::new());
    let stopped = stop.clone();
    let attackers = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("attack runtime");
        runtime.block_on(async move {
            let mut tasks = tokio::task::JoinSet::new();
            for _ in 0..100 {
                let head =
                    "POST /graphql HTTP/1.1\r\nhost: router\r\ncontent-type: application/json\r\n";
                tasks.spawn(slow_client(addr, String::new(), head, attack));
                let head = post_head(addr, &format!("content-length: {}", QUERY.len()));
                tasks.spawn(slow_client(addr, head, QUERY, attack));
            }
            for _ in 0..4 {
                tasks.spawn(flood(addr, attack));
            }
            stopped.notified().await;
            tasks.shutdown().await;
        });
    });

    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut latencies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let (status, latency) = send(&client, addr).await.expect("answer during the attack");
        assert_eq!(status, StatusCode::OK);
        latencies.push(latency);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.notify_one();
    attackers.join().expect("attackers");

    use std::sync::atomic::Ordering::Relaxed;
    let (cut_off, refused) = (attack.cut_off.load(Relaxed), attack.refused.load(Relaxed));
    assert!(cut_off >= 100, "slow connections cut off: {cut_off}");
    assert!(refused > 0, "flood connections refused at the cap");
    let p95 = p95(&mut latencies);
    assert!(
        p95 < Duration::from_millis(500),
        "p95 {p95:?} over {} requests during the attack",
        latencies.len()
    );
}
