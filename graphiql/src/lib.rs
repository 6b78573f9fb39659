//! GraphiQL served by the binary itself: the page and the vendored GraphiQL and React files
//! (`assets/`, refreshed from npm by `refresh.sh`), so GraphiQL works on a machine without
//! internet access. The router and every subgraph serve the page on `GET /graphql` and the
//! files under `/graphiql/`.
//!
//! The files are stored gzipped and sent as they are to browsers (all accept gzip), inflated
//! only for a client that does not; each URL carries the file's hash, so browsers keep them
//! for a year (`immutable`) and revalidate with the same hash as `ETag`.

use std::io::Read;
use std::sync::LazyLock;

use axum::Router;
use axum::body::Body;
use axum::extract::Path;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use http::{HeaderMap, HeaderValue, StatusCode, header};

/// Where the files are served; the page links them with absolute paths.
pub const ASSETS_PATH: &str = "/graphiql";

struct Asset {
    name: &'static str,
    content_type: &'static str,
    gzipped: &'static [u8],
}

const ASSETS: [Asset; 4] = [
    Asset {
        name: "react.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("../assets/react.production.min.js.gz"),
    },
    Asset {
        name: "react-dom.production.min.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("../assets/react-dom.production.min.js.gz"),
    },
    Asset {
        name: "graphiql.min.js",
        content_type: "text/javascript; charset=utf-8",
        gzipped: include_bytes!("../assets/graphiql.min.js.gz"),
    },
    Asset {
        name: "graphiql.min.css",
        content_type: "text/css; charset=utf-8",
        gzipped: include_bytes!("../assets/graphiql.min.css.gz"),
    },
];

/// Each file's hash (hex), in the order of [`ASSETS`]: the `ETag` and the URL's `v=`.
static HASHES: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|asset| format!("{:016x}", xxhash_rust::xxh3::xxh3_64(asset.gzipped)))
        .collect()
});

/// The GraphiQL page, titled `title`, querying the path it is served on with POST and
/// subscribing over a WebSocket (`graphql-transport-ws`) on the same path.
pub fn page(title: &str) -> Response {
    Html(html(title)).into_response()
}

/// The page's HTML; every URL in it is one of this server's.
pub fn html(title: &str) -> String {
    let url = |name: &str| {
        let index = ASSETS
            .iter()
            .position(|asset| asset.name == name)
            .expect("the page links only vendored files");
        format!("{ASSETS_PATH}/{name}?v={}", HASHES[index])
    };
    format!(
        r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <title>{title}</title>
  <style>body {{ margin: 0; height: 100vh; }} #graphiql {{ height: 100vh; }}</style>
  <link rel="stylesheet" href="{css}" />
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="{react}"></script>
  <script src="{react_dom}"></script>
  <script src="{graphiql}"></script>
  <script>
    const path = window.location.pathname;
    const ws = (window.location.protocol === 'https:' ? 'wss://' : 'ws://') + window.location.host + path;
    const fetcher = GraphiQL.createFetcher({{ url: path, subscriptionUrl: ws }});
    ReactDOM.createRoot(document.getElementById('graphiql'))
      .render(React.createElement(GraphiQL, {{ fetcher, shouldPersistHeaders: true }}));
  </script>
</body>
</html>
"#,
        title = escape(title),
        css = url("graphiql.min.css"),
        react = url("react.production.min.js"),
        react_dom = url("react-dom.production.min.js"),
        graphiql = url("graphiql.min.js"),
    )
}

/// `GET /graphiql/{file}`: the vendored files, for any router state.
pub fn routes<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route(&format!("{ASSETS_PATH}/{{file}}"), get(asset))
}

async fn asset(Path(file): Path<String>, headers: HeaderMap) -> Response {
    let Some(index) = ASSETS.iter().position(|asset| asset.name == file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let asset = &ASSETS[index];
    let etag = format!("\"{}\"", HASHES[index]);
    let cache = [
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ),
        (
            header::ETAG,
            HeaderValue::from_str(&etag).expect("a hex hash is a valid header value"),
        ),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    let revalidated = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if revalidated {
        return (StatusCode::NOT_MODIFIED, cache).into_response();
    }
    let content_type = (
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    if accepts_gzip(&headers) {
        let encoding = (header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        return (cache, [content_type, encoding], Body::from(asset.gzipped)).into_response();
    }
    let mut plain = Vec::new();
    match flate2::read::GzDecoder::new(asset.gzipped).read_to_end(&mut plain) {
        Ok(_) => (cache, [content_type], plain).into_response(),
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    /// Every `src=` and `href=` of the page.
    fn links(page: &str) -> Vec<String> {
        ["src=\"", "href=\""]
            .iter()
            .flat_map(|attr| page.split(attr).skip(1))
            .map(|rest| rest.split('"').next().unwrap_or_default().to_owned())
            .collect()
    }

    async fn get(uri: &str, headers: &[(&str, &str)]) -> Response {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        routes::<()>()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[test]
    fn the_page_references_no_external_url() {
        let page = html("GraphiQL · <test>");
        // The only scheme in the page is the WebSocket one put before this server's own host.
        let schemes = page.matches("://").count();
        let websocket = page.matches("'ws://'").count() + page.matches("'wss://'").count();
        assert_eq!(schemes, websocket, "an absolute URL in {page}");
        assert!(page.contains("<title>GraphiQL · &lt;test&gt;</title>"));
        let links = links(&page);
        assert_eq!(links.len(), 4, "{links:?}");
        for link in links {
            assert!(link.starts_with("/graphiql/"), "{link}");
        }
    }

    #[tokio::test]
    async fn every_linked_file_loads_gzipped_and_revalidates() {
        for link in links(&html("GraphiQL")) {
            let response = get(&link, &[("accept-encoding", "gzip, br")]).await;
            assert_eq!(response.status(), StatusCode::OK, "{link}");
            let headers = response.headers().clone();
            assert_eq!(headers[header::CONTENT_ENCODING], "gzip");
            assert!(
                headers[header::CACHE_CONTROL]
                    .to_str()
                    .unwrap()
                    .contains("immutable")
            );
            let body = response.into_body().collect().await.unwrap().to_bytes();
            let mut plain = String::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut plain)
                .unwrap();
            assert!(plain.len() > 1000, "{link} is {} bytes", plain.len());

            let etag = headers[header::ETAG].to_str().unwrap();
            assert!(link.ends_with(&format!("?v={}", etag.trim_matches('"'))));
            let again = get(&link, &[("if-none-match", etag)]).await;
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{link}");
        }
    }

    #[tokio::test]
    async fn a_client_without_gzip_gets_the_plain_file() {
        let response = get(
            "/graphiql/graphiql.min.css",
            &[("accept-encoding", "gzip;q=0")],
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "text/css; charset=utf-8"
        );
        let body = response.into_body().collect().await.unwrap().to_bytes();
        assert!(body.starts_with(b".") || body.starts_with(b"@") || body.starts_with(b"/*"));
    }

    #[tokio::test]
    async fn an_unknown_file_is_not_found() {
        let response = get("/graphiql/secrets.txt", &[]).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
