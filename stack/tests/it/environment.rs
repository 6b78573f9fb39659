//! The binary starts from the environment variables the README documents, which must not
//! collide with the `COMMERCE_<KEY>` variables of the shared configuration.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

/// Stops the stack when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("binds a free port");
    listener.local_addr().expect("an address").port()
}

#[tokio::test]
async fn starts_with_every_documented_stack_variable_set() {
    let data_dir = tempfile::tempdir().expect("a data directory");
    // A prebuilt app served as it is (`serve` never runs npm), from the documented folder.
    let apps_dir = tempfile::tempdir().expect("an apps directory");
    let storefront = apps_dir.path().join("storefront");
    std::fs::create_dir_all(storefront.join("dist")).expect("creates dist");
    std::fs::write(storefront.join("package.json"), "{}").expect("writes package.json");
    std::fs::write(
        storefront.join("dist/index.html"),
        "<html><head><title>shop</title></head><body></body></html>",
    )
    .expect("writes index.html");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut child = Command::new(env!("CARGO_BIN_EXE_commerce-stack"))
        .env("COMMERCE_STACK_DEMO_DATA", "none")
        .env("COMMERCE_STACK_LISTEN", &listen)
        .env("COMMERCE_STACK_APPS", "serve")
        .env("COMMERCE_STACK_APPS_DIR", apps_dir.path())
        .env("COMMERCE_DATA_DIR", data_dir.path())
        .env("COMMERCE_LOG_FILTER", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("REDIS_URL")
        .stdout(Stdio::piped())
        .spawn()
        .expect("starts the binary");
    let stdout = child.stdout.take().expect("piped stdout");
    let _running = Running(child);

    // The banner ends once every server listens; a stack that fails exits and closes stdout.
    let read_banner = tokio::task::spawn_blocking(move || {
        let mut banner = String::new();
        for line in BufReader::new(stdout).lines() {
            let line = line.expect("reads stdout");
            banner.push_str(&line);
            banner.push('\n');
            if line.starts_with("Ctrl-C") {
                break;
            }
        }
        banner
    });
    let banner = tokio::time::timeout(Duration::from_secs(120), read_banner)
        .await
        .expect("the stack starts within 2 minutes")
        .expect("reads the banner");
    let router = format!("http://{listen}/graphql");
    assert!(
        banner.contains(&format!("router GraphiQL     {router}")),
        "{banner}"
    );
    assert!(!banner.contains("Demo logins"), "{banner}");
    let storefront_url = banner
        .lines()
        .find_map(|line| line.trim().strip_prefix("storefront"))
        .map(str::trim)
        .unwrap_or_else(|| panic!("the storefront's address in the banner: {banner}"));
    let page = reqwest::get(format!("{storefront_url}products/any"))
        .await
        .expect("the storefront answers")
        .text()
        .await
        .expect("a page");
    assert!(
        page.contains(&format!("content=\"{router}\"")),
        "a client route gets index.html naming the router: {page}"
    );

    let response: Value = reqwest::Client::new()
        .post(&router)
        .json(&json!({ "query": "{ products(first: 1) { totalCount } }" }))
        .send()
        .await
        .expect("the router answers")
        .json()
        .await
        .expect("a JSON body");
    // Besides `data`, only the demand-control estimate (`extensions.cost`).
    assert_eq!(response.get("errors"), None, "{response}");
    assert_eq!(
        response["data"],
        json!({ "products": { "totalCount": 0 } }),
        "no demo data"
    );
}
