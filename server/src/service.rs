//! The HTTP ingest service: `POST /v1/batches`, `POST /v1/deletions`, `GET /v1/health`.
//!
//! Status codes drive the client's upload rules: 200 stored, 409 already stored (a retry),
//! 400 malformed or tampered, 401 unknown key id, 413 too large, 422 not minimized, 429 over
//! the install's rate (with Retry-After), 503 overloaded (with Retry-After), 500 storage
//! failed. Every error body is `{"error": kind, "reason": text}`.
//!
//! Memory stays bounded: the in-flight limit is checked before a body is read, a body is
//! read only up to `max_body`, and inflation stops at `max_inflated`. Opening and storing run
//! on tokio's blocking pool, so slow work never stalls the I/O threads.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use modicum_core::wire::Limits;
use serde_json::json;
use tokio::sync::Semaphore;

pub use crate::stats::{Stats, StatsSnapshot};

use crate::body::{drain_limit, read_limited, BodyError};
use crate::faults::{Fault, FaultPlan};
use crate::keys::KeyRing;
use crate::open::{open_batch, Opened};
use crate::rate::RateLimiter;
use crate::store::{DeletionRequest, Inserted, Store};
use crate::verify::{is_pseudonym, verify};
use crate::Rejection;

/// The port `modicum serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8737;

/// The most install pseudonyms one deletion request may name.
pub const MAX_DELETION_NAMES: usize = 1_000;

/// How long a stopping [`RunningServer`] lets requests in progress finish.
const STOP_GRACE: Duration = Duration::from_secs(5);

pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The live private keys.
    pub keys: KeyRing,
    pub store: Arc<dyn Store>,
    /// The largest request body read, in bytes (default 1 MiB).
    pub max_body: usize,
    /// The most a batch may inflate to, in bytes (default 16 MiB).
    pub max_inflated: usize,
    /// The most events one batch may hold.
    pub max_events: usize,
    /// Batches a minute one install may send on average (default 120), and how many it may
    /// send at once (default 60).
    pub rate_per_minute: u32,
    pub burst: u32,
    /// Requests processed at once; beyond it, 503 (default 64).
    pub max_in_flight: usize,
    /// How long one request may take, reading its body included; beyond it, 408 (default
    /// 30 s). A client trickling its body must not hold an in-flight slot forever.
    pub request_timeout: Duration,
    /// Failures to inject into `/v1/batches`, for tests and the demo.
    pub faults: Option<Arc<FaultPlan>>,
}

impl ServerConfig {
    /// The defaults, on 127.0.0.1:8737.
    pub fn new(keys: KeyRing, store: Arc<dyn Store>) -> ServerConfig {
        let limits = Limits::default();
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            keys,
            store,
            max_body: 1 << 20,
            max_inflated: limits.max_inflated,
            max_events: limits.max_events,
            rate_per_minute: 120,
            burst: 60,
            max_in_flight: 64,
            request_timeout: Duration::from_secs(30),
            faults: None,
        }
    }
}

/// What every handler shares.
struct Shared {
    keys: KeyRing,
    store: Arc<dyn Store>,
    limits: Limits,
    rate: RateLimiter,
    in_flight: Arc<Semaphore>,
    max_body: usize,
    request_timeout: Duration,
    faults: Option<Arc<FaultPlan>>,
    stats: Arc<Stats>,
}

/// The service as an axum router, with `stats` counting what it does.
pub fn router(config: ServerConfig, stats: Arc<Stats>) -> Router {
    let shared = Arc::new(Shared {
        keys: config.keys,
        store: config.store,
        limits: Limits {
            max_inflated: config.max_inflated,
            max_events: config.max_events,
        },
        rate: RateLimiter::new(config.rate_per_minute, config.burst),
        in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        max_body: config.max_body,
        request_timeout: config.request_timeout,
        faults: config.faults,
        stats,
    });
    Router::new()
        .route("/v1/batches", post(batches))
        .route("/v1/deletions", post(deletions))
        // Admission runs before the body is read: a refused request costs no buffer.
        .route_layer(middleware::from_fn_with_state(Arc::clone(&shared), admit))
        .route("/v1/health", get(health))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "not_found", "no such endpoint") })
        .method_not_allowed_fallback(|| async {
            error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "this endpoint takes another method",
            )
        })
        // Batches and deletions read their bodies through `body::read_limited`; this bounds
        // any extractor a future route might use the same way.
        .layer(DefaultBodyLimit::max(config.max_body))
        .with_state(shared)
}

fn error(status: StatusCode, kind: &str, reason: &str) -> Response {
    (status, Json(json!({ "error": kind, "reason": reason }))).into_response()
}

fn with_retry_after(mut response: Response, seconds: u64) -> Response {
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// Runs before a body is read: refuses a body announced as too large at once, lets at most
/// `max_in_flight` requests be processed together (the rest are told to come back), and ends
/// a request that takes longer than `request_timeout`.
async fn admit(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let announced = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    // Far too large to be worth draining (see `body`): refused before reading any of it.
    let give_up_after = drain_limit(shared.max_body) as u64;
    if announced.is_some_and(|n| n > give_up_after) {
        let too_large = BodyError::TooLarge {
            limit: shared.max_body,
        };
        return shared.refuse(&Rejection::too_large(too_large.reason()));
    }
    let Ok(permit) = Arc::clone(&shared.in_flight).try_acquire_owned() else {
        shared.stats.overloaded();
        let response = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "too many requests in progress",
        );
        return with_retry_after(response, 1);
    };
    let response = tokio::time::timeout(shared.request_timeout, next.run(request)).await;
    drop(permit);
    response.unwrap_or_else(|_| {
        shared.stats.rejected("timeout");
        error(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "the request took too long",
        )
    })
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn batches(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    let body = match read_limited(body, shared.max_body).await {
        Ok(body) => body,
        Err(e) => return shared.refuse(&body_rejection(&e)),
    };
    if let Some(response) = shared.inject_fault().await {
        return response;
    }
    let work = Arc::clone(&shared);
    let opened = tokio::task::spawn_blocking(move || {
        let opened = open_batch(&work.keys, &body, work.limits)?;
        verify(&opened.batch)?;
        Ok::<_, Rejection>(opened)
    })
    .await;
    let opened = match opened {
        Ok(Ok(opened)) => opened,
        Ok(Err(rejection)) => return shared.refuse(&rejection),
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the batch could not be processed",
            )
        }
    };
    // The install is known only once the batch is open; batches without one (an app that
    // sends no install pseudonym) are limited by max_in_flight alone.
    if let Some(install) = &opened.batch.meta.install {
        if let Err(wait) = shared.rate.take(install, Instant::now()) {
            shared.stats.rate_limited();
            let response = error(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "this install is sending faster than its rate",
            );
            return with_retry_after(response, wait.as_secs_f64().ceil().max(1.0) as u64);
        }
    }
    shared.store(opened).await
}

fn body_rejection(e: &BodyError) -> Rejection {
    match e {
        BodyError::TooLarge { .. } => Rejection::too_large(e.reason()),
        BodyError::Failed(_) => Rejection::malformed(e.reason()),
    }
}

impl Shared {
    fn refuse(&self, rejection: &Rejection) -> Response {
        self.stats.rejected(rejection.kind());
        error(
            status(rejection.status()),
            rejection.kind(),
            &rejection.to_string(),
        )
    }

    /// The next scripted or random fault: a response to send instead, or a delay served here.
    async fn inject_fault(&self) -> Option<Response> {
        let fault = self.faults.as_ref()?.next()?;
        self.stats.fault();
        match fault {
            Fault::Status(code) => Some(error(status(code), "injected", "an injected failure")),
            Fault::RetryAfter {
                status: code,
                seconds,
            } => Some(with_retry_after(
                error(status(code), "injected", "an injected failure; retry later"),
                seconds,
            )),
            Fault::Delay(pause) => {
                tokio::time::sleep(pause).await;
                None
            }
        }
    }

    async fn store(self: Arc<Self>, opened: Opened) -> Response {
        let work = Arc::clone(&self);
        let stored = tokio::task::spawn_blocking(move || {
            let inserted = work.store.insert(&opened, now_ms());
            (inserted, opened)
        })
        .await;
        match stored {
            Ok((Ok(Inserted::New), opened)) => {
                let events = opened.batch.events.len() as u64;
                self.stats.accepted(events);
                Json(json!({
                    "status": "accepted", "batch_id": opened.batch_id, "events": events
                }))
                .into_response()
            }
            Ok((Ok(Inserted::Duplicate), opened)) => {
                self.stats.duplicate();
                let reason = format!("batch {} is already stored", opened.batch_id);
                let body = json!({
                    "error": "duplicate", "reason": reason, "batch_id": opened.batch_id
                });
                (StatusCode::CONFLICT, Json(body)).into_response()
            }
            Ok((Err(e), _)) => {
                self.stats.storage_failure();
                error(StatusCode::INTERNAL_SERVER_ERROR, "storage", &e.to_string())
            }
            Err(_) => {
                self.stats.storage_failure();
                error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "the batch could not be stored",
                )
            }
        }
    }
}

async fn deletions(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    let body = match read_limited(body, shared.max_body).await {
        Ok(body) => body,
        Err(e) => return shared.refuse(&body_rejection(&e)),
    };
    let request: DeletionRequest = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            let reason = format!("not a deletion request: {e}");
            return shared.refuse(&Rejection::malformed(reason));
        }
    };
    // Only pseudonyms: a request naming anything else was not made by the SDK, and a raw
    // identifier must not even reach the deletion log.
    if request.install_pseudonyms.is_empty()
        || request.install_pseudonyms.len() > MAX_DELETION_NAMES
        || !request.install_pseudonyms.iter().all(|p| is_pseudonym(p))
    {
        return shared.refuse(&Rejection::malformed(format!(
            "a deletion request names 1 to {MAX_DELETION_NAMES} install pseudonyms, nothing else"
        )));
    }
    let work = Arc::clone(&shared);
    match tokio::task::spawn_blocking(move || work.store.delete_installs(&request, now_ms())).await
    {
        Ok(Ok(rows)) => {
            shared.stats.deletion(rows);
            Json(json!({ "status": "deleted", "rows_deleted": rows })).into_response()
        }
        Ok(Err(e)) => {
            shared.stats.storage_failure();
            error(StatusCode::INTERNAL_SERVER_ERROR, "storage", &e.to_string())
        }
        Err(_) => {
            shared.stats.storage_failure();
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the request could not be applied",
            )
        }
    }
}

/// Serves in the foreground until `shutdown` completes, then finishes the requests in
/// progress (for `modicum serve`, which stops on Ctrl-C).
pub async fn serve(
    config: ServerConfig,
    stats: Arc<Stats>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    axum::serve(listener, router(config, stats))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A server running on a thread of its own, with its own tokio runtime: for the demo and
/// tests, which are not async. Stops when dropped.
pub struct RunningServer {
    addr: SocketAddr,
    stats: Arc<Stats>,
    stop: Option<tokio::sync::watch::Sender<bool>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// Binds `config.addr` (port 0 picks a free port) and serves on a background thread; returns
/// once the socket is listening, so a client may connect at once.
pub fn spawn(config: ServerConfig) -> io::Result<RunningServer> {
    let listener = std::net::TcpListener::bind(config.addr)?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("modicum-server")
        .enable_all()
        .build()?;
    let stats = Arc::new(Stats::default());
    let app = router(config, Arc::clone(&stats));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let thread = std::thread::Builder::new()
        .name("modicum-server".into())
        .spawn(move || {
            let result = runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                let mut signal = stopped.clone();
                let graceful = axum::serve(listener, app).with_graceful_shutdown(async move {
                    let _ = signal.wait_for(|&stop| stop).await;
                });
                // A client that never finishes its request must not hold the stop forever.
                let mut deadline = stopped;
                tokio::select! {
                    result = graceful => result,
                    _ = async {
                        let _ = deadline.wait_for(|&stop| stop).await;
                        tokio::time::sleep(STOP_GRACE).await;
                    } => Ok(()),
                }
            });
            runtime.shutdown_timeout(STOP_GRACE);
            result
        })?;
    Ok(RunningServer {
        addr,
        stats,
        stop: Some(stop),
        thread: Some(thread),
    })
}

impl RunningServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:port`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Stops accepting, lets the requests in progress finish (for up to 5 s), and waits for
    /// the thread.
    pub fn stop(mut self) -> io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        match self.thread.take().map(|t| t.join()) {
            Some(Ok(result)) => result,
            Some(Err(_)) => Err(io::Error::other("the server thread panicked")),
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        let _ = self.shut_down();
    }
}
