//! Accepting connections: a cap on how many are open, hyper's header-read timeout (which is
//! also how long a kept-alive connection may sit idle), a bounded read buffer, each request
//! told its peer's address, and a graceful stop.
//!
//! axum's own `serve` sets none of these, so a client that opens sockets and sends nothing
//! could hold file descriptors until the process has none left.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower::ServiceExt;

use crate::config::READ_BUFFER;
use crate::stats::Stats;

/// The peer a request came from, in its extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// How connections are taken.
#[derive(Debug, Clone, Copy)]
pub struct Connections {
    pub max: usize,
    pub header_timeout: Duration,
}

/// How long a connection over the cap is kept after its 503, reading (and discarding) what
/// the client sent, so that closing the socket does not reset it before the 503 is read.
const OVERFLOW_LINGER: Duration = Duration::from_millis(100);

/// How long a stop lets requests in progress finish.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Serves `app` on `listener` until `shutdown` completes, then lets the connections in
/// progress finish for up to [`STOP_GRACE`].
pub async fn run(
    listener: TcpListener,
    app: Router,
    connections: Connections,
    stats: Arc<Stats>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let open = Arc::new(Semaphore::new(connections.max.max(1)));
    // Connections over the cap get their 503 from as many short tasks again at most; beyond
    // those they are closed at once. Descriptors held never pass twice the cap.
    let overflow = Arc::new(Semaphore::new(connections.max.max(1)));
    let graceful = GracefulShutdown::new();
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(connections.header_timeout)
        .max_buf_size(READ_BUFFER);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors, or a connection reset while queued: wait a moment
                    // and go on; the listener itself is fine.
                    if !is_connection_error(&e) {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Ok(permit) = Arc::clone(&open).try_acquire_owned() else {
            stats.overloaded();
            if let Ok(slot) = Arc::clone(&overflow).try_acquire_owned() {
                tokio::spawn(async move {
                    refuse_connection(stream).await;
                    drop(slot);
                });
            }
            continue;
        };
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = builder.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection that fails (a reset, a header timeout) has nothing left to answer.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(STOP_GRACE, graceful.shutdown()).await;
    Ok(())
}

/// Answers a connection over the cap with a 503 it can read, then closes it.
async fn refuse_connection(mut stream: TcpStream) {
    let body = r#"{"error":"overloaded","reason":"too many connections are open"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(OVERFLOW_LINGER, async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await?;
        let mut sink = [0u8; 4096];
        while stream.read(&mut sink).await? > 0 {}
        Ok::<_, io::Error>(())
    })
    .await;
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}
