//! The HTTP ingest service: `POST /v1/batches`, `POST /v1/deletions`, `GET /v1/health`.
//!
//! Status codes drive the client's upload rules: 200 stored, 409 already stored (a retry),
//! 400 malformed, 401 unknown key id, 413 too large, 422 not minimized, 429 over the
//! install's rate (with Retry-After), 503 overloaded (with Retry-After), 500 storage failed.
//! Opening and storing run on tokio's blocking pool, so slow work never stalls the I/O threads.

use std::collections::HashMap;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use modicum_core::wire::Limits;
use serde::Serialize;
use tokio::sync::Semaphore;

use crate::faults::{Fault, FaultPlan};
use crate::keys::KeyRing;
use crate::open::open_batch;
use crate::store::{DeletionRequest, Inserted, Store};
use crate::verify::{is_pseudonym, verify};
use crate::Rejection;

/// The port `modicum serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8737;

pub struct ServerConfig {
    pub addr: SocketAddr,
    pub keys: KeyRing,
    pub store: Arc<dyn Store>,
    /// The largest request body accepted.
    pub max_body: usize,
    /// The most a batch may inflate to.
    pub max_inflated: usize,
    /// Batches per minute one install may send, and how many it may send at once.
    pub rate_per_minute: u32,
    pub burst: u32,
    /// Requests processed at once; beyond it, 503.
    pub max_in_flight: usize,
    pub faults: Option<Arc<FaultPlan>>,
}

impl ServerConfig {
    pub fn new(keys: KeyRing, store: Arc<dyn Store>) -> ServerConfig {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            keys,
            store,
            max_body: 1 << 20,
            max_inflated: 16 << 20,
            rate_per_minute: 120,
            burst: 60,
            max_in_flight: 64,
            faults: None,
        }
    }
}

/// What the service did, counted.
#[derive(Debug, Default)]
pub struct Stats {
    accepted: AtomicU64,
    duplicates: AtomicU64,
    events_stored: AtomicU64,
    rejected: Mutex<HashMap<&'static str, u64>>,
    rate_limited: AtomicU64,
    overloaded: AtomicU64,
    faults_injected: AtomicU64,
    deletions: AtomicU64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    pub accepted: u64,
    pub duplicates: u64,
    pub events_stored: u64,
    pub rejected: HashMap<&'static str, u64>,
    pub rate_limited: u64,
    pub overloaded: u64,
    pub faults_injected: u64,
    pub deletions: u64,
}

impl Stats {
    pub fn snapshot(&self) -> StatsSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            accepted: get(&self.accepted),
            duplicates: get(&self.duplicates),
            events_stored: get(&self.events_stored),
            rejected: self
                .rejected
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            rate_limited: get(&self.rate_limited),
            overloaded: get(&self.overloaded),
            faults_injected: get(&self.faults_injected),
            deletions: get(&self.deletions),
        }
    }

    fn reject(&self, kind: &'static str) {
        *self
            .rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(kind)
            .or_default() += 1;
    }
}

struct Shared {
    keys: KeyRing,
    store: Arc<dyn Store>,
    limits: Limits,
    rate_per_minute: u32,
    burst: u32,
    in_flight: Arc<Semaphore>,
    faults: Option<Arc<FaultPlan>>,
    buckets: Mutex<HashMap<String, Bucket>>,
    stats: Arc<Stats>,
}

/// A token bucket per install.
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The service as an axum router, with `stats` counting what it does.
pub fn router(config: ServerConfig, stats: Arc<Stats>) -> Router {
    let shared = Arc::new(Shared {
        keys: config.keys,
        store: config.store,
        limits: Limits {
            max_inflated: config.max_inflated,
            ..Limits::default()
        },
        rate_per_minute: config.rate_per_minute.max(1),
        burst: config.burst.max(1),
        in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        faults: config.faults,
        buckets: Mutex::default(),
        stats,
    });
    Router::new()
        .route("/v1/batches", post(batches))
        .route("/v1/deletions", post(deletions))
        .route("/v1/health", get(|| async { "ok" }))
        .layer(DefaultBodyLimit::max(config.max_body))
        .with_state(shared)
}

fn error(status: u16, kind: &str, reason: &str) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        Json(serde_json::json!({ "error": kind, "reason": reason })),
    )
        .into_response()
}

fn retry_after(status: u16, kind: &str, seconds: u64) -> Response {
    let mut response = error(status, kind, "try again later");
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, seconds.into());
    response
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn batches(
    State(shared): State<Arc<Shared>>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let Ok(_permit) = shared.in_flight.clone().try_acquire_owned() else {
        shared.stats.overloaded.fetch_add(1, Ordering::Relaxed);
        return retry_after(503, "overloaded", 1);
    };
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            let status = rejection.status().as_u16();
            let kind = if status == 413 {
                "too_large"
            } else {
                "malformed"
            };
            shared.stats.reject(kind);
            return error(status, kind, &rejection.body_text());
        }
    };
    if let Some(fault) = shared.faults.as_ref().and_then(|f| f.next()) {
        shared.stats.faults_injected.fetch_add(1, Ordering::Relaxed);
        match fault {
            Fault::Status(status) => return error(status, "injected", "a scripted failure"),
            Fault::RetryAfter { status, seconds } => {
                return retry_after(status, "injected", seconds)
            }
            Fault::Delay(pause) => tokio::time::sleep(pause).await,
        }
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
        Ok(Err(rejection)) => {
            shared.stats.reject(rejection.kind());
            return error(rejection.status(), rejection.kind(), &rejection.to_string());
        }
        Err(_) => return error(500, "internal", "the batch could not be processed"),
    };
    if let Some(install) = &opened.batch.meta.install {
        if let Some(wait) = shared.take_token(install) {
            shared.stats.rate_limited.fetch_add(1, Ordering::Relaxed);
            return retry_after(429, "rate_limited", wait.as_secs().max(1));
        }
    }
    let work = Arc::clone(&shared);
    let stored = tokio::task::spawn_blocking(move || {
        work.store
            .insert(&opened, now_ms())
            .map(|inserted| (inserted, opened))
    })
    .await;
    match stored {
        Ok(Ok((Inserted::New, opened))) => {
            let events = opened.batch.events.len() as u64;
            shared.stats.accepted.fetch_add(1, Ordering::Relaxed);
            shared
                .stats
                .events_stored
                .fetch_add(events, Ordering::Relaxed);
            Json(serde_json::json!({
                "status": "accepted", "batch_id": opened.batch_id, "events": events
            }))
            .into_response()
        }
        Ok(Ok((Inserted::Duplicate, opened))) => {
            shared.stats.duplicates.fetch_add(1, Ordering::Relaxed);
            (
                StatusCode::CONFLICT,
                Json(serde_json::json!({ "status": "duplicate", "batch_id": opened.batch_id })),
            )
                .into_response()
        }
        Ok(Err(e)) => error(500, "storage", &e.to_string()),
        Err(_) => error(500, "internal", "the batch could not be stored"),
    }
}

/// The most install pseudonyms one deletion request may name.
const MAX_DELETION_NAMES: usize = 1_000;

async fn deletions(
    State(shared): State<Arc<Shared>>,
    request: Result<Json<DeletionRequest>, JsonRejection>,
) -> Response {
    let Json(request) = match request {
        Ok(request) => request,
        Err(rejection) => {
            shared.stats.reject("malformed");
            return error(
                rejection.status().as_u16(),
                "malformed",
                &rejection.body_text(),
            );
        }
    };
    if request.install_pseudonyms.len() > MAX_DELETION_NAMES
        || !request.install_pseudonyms.iter().all(|p| is_pseudonym(p))
    {
        shared.stats.reject("malformed");
        return error(
            400,
            "malformed",
            "a deletion request names install pseudonyms only",
        );
    }
    let work = Arc::clone(&shared);
    match tokio::task::spawn_blocking(move || work.store.delete_installs(&request, now_ms())).await
    {
        Ok(Ok(rows)) => {
            shared.stats.deletions.fetch_add(1, Ordering::Relaxed);
            Json(serde_json::json!({ "status": "deleted", "rows": rows })).into_response()
        }
        Ok(Err(e)) => error(500, "storage", &e.to_string()),
        Err(_) => error(500, "internal", "the request could not be applied"),
    }
}

impl Shared {
    /// Takes a token from `install`'s bucket; if none is left, how long until one is.
    fn take_token(&self, install: &str) -> Option<Duration> {
        let per_second = f64::from(self.rate_per_minute) / 60.0;
        let burst = f64::from(self.burst);
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        // Forget full buckets now and then, so memory stays bounded by active installs.
        if buckets.len() > 100_000 {
            buckets.retain(|_, b| {
                b.tokens + now.duration_since(b.at).as_secs_f64() * per_second < burst
            });
        }
        let bucket = buckets.entry(install.to_owned()).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        bucket.tokens =
            (bucket.tokens + now.duration_since(bucket.at).as_secs_f64() * per_second).min(burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            None
        } else {
            Some(
                Duration::from_secs_f64((1.0 - bucket.tokens) / per_second)
                    .max(Duration::from_secs(1)),
            )
        }
    }
}

/// Serves until `shutdown` completes (for `modicum serve`, which runs in the foreground).
pub async fn serve(
    config: ServerConfig,
    stats: Arc<Stats>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
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
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<io::Result<()>>>,
}

/// Binds `config.addr` (port 0 picks a free port) and serves on a background thread; returns
/// once the socket is listening.
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
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("modicum-server".into())
        .spawn(move || {
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener)?;
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = stopped.await;
                    })
                    .await
            })
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

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Stops accepting, finishes the requests in progress, and waits for the thread.
    pub fn stop(mut self) -> io::Result<()> {
        self.shut_down()
    }

    fn shut_down(&mut self) -> io::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
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
