//! The web apps' serving: a build's files with their cache headers, the app's page (naming the
//! router) for every other path, and when a build counts as stale.

use std::fs::{self, File};
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, SystemTime};

use commerce_stack::apps::{self, AppsMode};

/// `examples/storefront` with a build: `package.json`, `src/main.tsx`, `dist/`.
fn storefront(examples: &Path) {
    let app = examples.join("storefront");
    fs::create_dir_all(app.join("src")).unwrap();
    fs::create_dir_all(app.join("dist/assets")).unwrap();
    fs::write(app.join("package.json"), "{}").unwrap();
    fs::write(app.join("src/main.tsx"), "export {};").unwrap();
    fs::write(
        app.join("dist/index.html"),
        "<!doctype html><html><head><title>Shop</title></head><body></body></html>",
    )
    .unwrap();
    fs::write(app.join("dist/assets/index-abc123.js"), "console.log(1);").unwrap();
}

fn age(path: &Path, by: Duration) {
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(SystemTime::now() - by)
        .unwrap();
}

#[tokio::test]
async fn serves_the_build_and_the_page_naming_the_router_for_every_route() {
    let examples = tempfile::tempdir().unwrap();
    storefront(examples.path());
    let served = apps::prepare(examples.path(), AppsMode::Serve);
    assert_eq!(
        served.len(),
        1,
        "only the storefront has a build: {served:?}"
    );
    let router: SocketAddr = "127.0.0.1:4000".parse().unwrap();
    let app = apps::router(&served[0], router).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::new();

    for path in [
        "/",
        "/index.html",
        "/product/blue-shirt",
        "/orders/T3JkZXI6MQ==",
    ] {
        let response = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
        let page = response.text().await.unwrap();
        assert!(
            page.contains(
                r#"<head>
    <meta name="graphql-endpoint" content="http://127.0.0.1:4000/graphql" /><title>Shop</title>"#
            ),
            "{path}: {page}"
        );
    }

    let script = client
        .get(format!("{base}/assets/index-abc123.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert_eq!(script.headers()["content-type"], "text/javascript");
    assert_eq!(
        script.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(script.text().await.unwrap(), "console.log(1);");

    let missing = client
        .get(format!("{base}/assets/index-gone.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
}

#[test]
fn a_build_is_stale_when_older_than_a_source_or_missing() {
    let examples = tempfile::tempdir().unwrap();
    storefront(examples.path());
    let app = examples.path().join("storefront");
    let dist = app.join("dist");
    let hour = Duration::from_secs(3600);
    for file in [
        "package.json",
        "src/main.tsx",
        "dist/assets/index-abc123.js",
    ] {
        age(&app.join(file), 2 * hour);
    }
    assert!(
        !apps::is_stale(&app, &dist),
        "the build is newer than every source"
    );

    age(&dist.join("index.html"), 3 * hour);
    assert!(
        apps::is_stale(&app, &dist),
        "a source changed after the build"
    );

    fs::remove_file(dist.join("index.html")).unwrap();
    assert!(apps::is_stale(&app, &dist), "no build at all");
}

#[test]
fn serves_no_app_when_told_not_to() {
    let examples = tempfile::tempdir().unwrap();
    storefront(examples.path());
    assert!(apps::prepare(examples.path(), AppsMode::Off).is_empty());
}
