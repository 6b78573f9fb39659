//! The accept loop: hyper's HTTP/1.1 with a header read timeout, a cap on open connections,
//! `TCP_NODELAY`, the peer address for rate limits, WebSocket upgrades, and graceful
//! shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::ConnectInfo;
use axum::serve::{Listener, ListenerExt};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tower::Layer;
use tracing::debug;

use super::retry_error;
use crate::config::ServerConfig;
use crate::error::{ErrorCode, errors_body};

/// Serves `app` on `listener` until `shutdown` resolves, then waits for open connections to
/// finish their requests. axum's own `serve` cannot set hyper's timeouts, hence this loop.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()>,
) {
    // Responses go out in one write; Nagle would only add latency to small ones.
    let mut listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout());
    let connections = Arc::new(Semaphore::new(match config.max_connections {
        0 => Semaphore::MAX_PERMITS,
        cap => cap,
    }));
    let busy = busy_response();
    // hyper-util's `GracefulShutdown` cannot watch a connection that may upgrade: each
    // connection task watches `closing` itself, and holds a clone of `open_tasks` until it
    // ends, so that the channel closes once the last one has.
    let closing = CancellationToken::new();
    let (open_tasks, mut all_closed) = mpsc::channel::<()>(1);
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        // axum's listener retries failed accepts (and backs off when out of descriptors).
        let (tcp, peer): (_, SocketAddr) = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Ok(open) = connections.clone().try_acquire_owned() else {
            // Answered and closed at once, so a flood cannot queue behind the cap. A new
            // socket's send buffer takes the answer without waiting.
            let _ = tcp.try_write(&busy);
            debug!(%peer, "connection refused: server.max_connections reached");
            continue;
        };
        // The peer address is the client a rate limit counts against (unless a proxy
        // forwards it).
        let service = axum::Extension(ConnectInfo(peer)).layer(app.clone());
        // Upgrades (WebSocket subscriptions) leave this connection once switched; the
        // subscriptions' own shutdown closes them.
        let connection = http
            .serve_connection(TokioIo::new(tcp), TowerToHyperService::new(service))
            .with_upgrades();
        let closing = closing.clone();
        let task = open_tasks.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            let served = tokio::select! {
                served = connection.as_mut() => served,
                () = closing.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            // Its errors are the client's (gone, or too slow with its headers).
            if let Err(error) = served {
                debug!(%peer, %error, "connection closed");
            }
            drop(open);
            drop(task);
        });
    }
    drop(listener);
    closing.cancel();
    drop(open_tasks);
    let _ = all_closed.recv().await;
}

/// The bytes of a 503 for a connection past `server.max_connections`.
fn busy_response() -> Vec<u8> {
    let error = retry_error(
        "The router is at its limit of open connections: retry in 1 s",
        ErrorCode::ServiceOverloaded,
        1,
    );
    let body = errors_body(&[error]);
    let mut response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n\
         content-length: {}\r\nretry-after: 1\r\nconnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    response.extend_from_slice(&body);
    response
}
