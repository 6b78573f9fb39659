//! The web apps of `examples/` (the storefront, the dashboard) served beside the router, each
//! on its own port: the app's `dist/` (tower-http `ServeDir`), `index.html` for every other
//! path (the apps route in the browser), and in that page a
//! `<meta name="graphql-endpoint">` naming the router, which the apps read at start (CORS on the
//! router lets them call it; subscriptions are WebSockets, which CORS does not restrict).
//!
//! With `--apps build` (the default) an app whose `dist/` is missing or older than its sources,
//! the supergraph or its documents in `schema/operations/<app>/` is built first with npm
//! (`npm ci` when `node_modules/` is missing, then `npm run build`); without npm the stack says
//! how to build it and serves what is there.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::Context;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use clap::ValueEnum;
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;

/// The apps under `examples/`, in port order after the subgraphs' (4011, 4012).
pub const APPS: [&str; 2] = ["storefront", "dashboard"];

/// Where `examples/` is when `--apps-dir` does not say: this checkout's.
pub const DEFAULT_APPS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples");

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AppsMode {
    /// Build an app when its build is missing or stale (needs npm), then serve it.
    Build,
    /// Serve the builds that are there, as they are.
    Serve,
    /// Serve no app.
    Off,
}

/// An app with a build to serve.
#[derive(Debug, Clone)]
pub struct App {
    pub name: &'static str,
    pub dist: PathBuf,
}

/// The apps to serve from `examples_dir`, built first when `mode` says so; what could not be
/// built is reported on stderr and left out (the stack itself still starts).
pub fn prepare(examples_dir: &Path, mode: AppsMode) -> Vec<App> {
    if mode == AppsMode::Off {
        return Vec::new();
    }
    let mut apps = Vec::new();
    for name in APPS {
        let dir = examples_dir.join(name);
        if !dir.join("package.json").is_file() {
            continue;
        }
        let dist = dir.join("dist");
        if mode == AppsMode::Build
            && is_stale(&dir, &dist)
            && let Err(error) = build(&dir)
        {
            eprintln!("{name}: not built ({error:#})");
        }
        if dist.join("index.html").is_file() {
            apps.push(App { name, dist });
        } else {
            eprintln!(
                "{name}: no build to serve; build it with `npm ci && npm run build` in {} \
                 (Node.js 20 or later)",
                dir.display()
            );
        }
    }
    apps
}

/// Whether `dist` is missing or older than a source of the app, the supergraph or the app's
/// committed documents.
pub fn is_stale(app_dir: &Path, dist: &Path) -> bool {
    let Some(built) = modified(&dist.join("index.html")) else {
        return true;
    };
    let schema = app_dir.join("../../schema");
    let name = app_dir.file_name().unwrap_or_default();
    [
        app_dir.to_path_buf(),
        schema.join("supergraph.graphql"),
        schema.join("operations").join(name),
    ]
    .iter()
    .filter_map(|path| newest(path))
    .any(|source| source > built)
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata().and_then(|m| m.modified()).ok()
}

/// The newest modification time under `path`, skipping `node_modules/`, `dist/` and the
/// files code generation writes (`src/gql/`, written before `dist/`).
fn newest(path: &Path) -> Option<SystemTime> {
    let metadata = path.metadata().ok()?;
    if !metadata.is_dir() {
        return metadata.modified().ok();
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    if matches!(name, "node_modules" | "dist") || path.ends_with("src/gql") {
        return None;
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest(&entry.path()))
        .max()
}

fn build(dir: &Path) -> anyhow::Result<()> {
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    if Command::new(npm).arg("--version").output().is_err() {
        anyhow::bail!("npm is not installed");
    }
    let run = |args: &[&str]| -> anyhow::Result<()> {
        eprintln!("building {}: npm {}", dir.display(), args.join(" "));
        let status = Command::new(npm)
            .args(args)
            .current_dir(dir)
            .status()
            .with_context(|| format!("running npm {}", args.join(" ")))?;
        anyhow::ensure!(status.success(), "npm {} failed ({status})", args.join(" "));
        Ok(())
    };
    if !dir.join("node_modules").is_dir() {
        run(&["ci", "--no-audit", "--no-fund"])?;
    }
    run(&["run", "build"])
}

#[derive(Clone)]
struct Page {
    /// `index.html` as built, split where the endpoint's `<meta>` goes (after `<head>`).
    before: String,
    after: String,
    router: SocketAddr,
}

/// Serves `app`'s build, its pages naming the router at `router`.
pub fn router(app: &App, router: SocketAddr) -> anyhow::Result<Router> {
    let index_path = app.dist.join("index.html");
    let index = std::fs::read_to_string(&index_path)
        .with_context(|| format!("reading {}", index_path.display()))?;
    let at = index.find("<head>").map_or(0, |head| head + "<head>".len());
    let page = Page {
        before: index[..at].to_owned(),
        after: index[at..].to_owned(),
        router,
    };
    let files = ServeDir::new(&app.dist)
        .append_index_html_on_directories(false)
        .fallback(get(index_page).with_state(page.clone()));
    Ok(Router::new()
        .route("/", get(index_page))
        .route("/index.html", get(index_page))
        .with_state(page)
        .fallback_service(files)
        .layer(axum::middleware::from_fn(cache_control))
        .layer(CompressionLayer::new()))
}

/// Vite names built files by their hash: they never change, while pages must be revalidated.
async fn cache_control(request: Request, next: axum::middleware::Next) -> Response {
    let immutable = request.uri().path().starts_with("/assets/");
    let mut response = next.run(request).await;
    let value = if immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(value));
    response
}

async fn index_page(State(page): State<Page>, uri: Uri, headers: HeaderMap) -> Response {
    // A missing built file is an error, not a page of the app.
    if uri.path().starts_with("/assets/") {
        return StatusCode::NOT_FOUND.into_response();
    }
    let endpoint = graphql_endpoint(page.router, &headers);
    Html(format!(
        "{}\n    <meta name=\"graphql-endpoint\" content=\"{endpoint}\" />{}",
        page.before, page.after
    ))
    .into_response()
}

/// The router's URL as this browser reaches it: a router on every interface (`0.0.0.0`) is
/// reached on the host the page came from.
fn graphql_endpoint(router: SocketAddr, headers: &HeaderMap) -> String {
    if !router.ip().is_unspecified() {
        return format!("http://{router}/graphql");
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.parse::<axum::http::uri::Authority>().ok())
        .map_or_else(|| "127.0.0.1".to_owned(), |a| a.host().to_owned());
    format!("http://{host}:{}/graphql", router.port())
}
