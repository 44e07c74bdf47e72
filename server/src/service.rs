//! The HTTP ingest service: `POST /v1/batches`, `POST /v1/deletions`, `GET /v1/health`.
//!
//! Status codes drive the client's upload rules: 200 stored, 409 already stored (a retry),
//! 410 its install's data was deleted, 400 malformed or tampered, 401 unknown key id, 408 too
//! slow, 413 too large, 422 not minimized or stale, 429 over a rate (with Retry-After), 503
//! overloaded (with Retry-After), 500 storage failed. Every error body is
//! `{"error": kind, "reason": text}`.
//!
//! A request goes through these steps, each cheaper than the next and each able to refuse it:
//! the announced length; the body, under a deadline and a shared byte budget; an in-flight
//! slot, taken only once the body is in; the envelope header and the peer's rate, before any
//! decryption; then, on tokio's blocking pool and holding the slot until it ends, the
//! duplicate check, opening, verification, the install's rate and the store. See
//! `docs/server.md` for the limits and the memory bound they give.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use modicum_wire::envelope::{Header, MAX_HEADER_LEN};
use modicum_wire::{Limits, MAX_PROOFS};
use serde_json::json;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub use crate::config::{ServerConfig, DEFAULT_PORT};
pub use crate::running::{serve, spawn, RunningServer};
pub use crate::stats::{Stats, StatsSnapshot};

use crate::body::{deadline, drain_limit, read_limited, BodyError, Reading, Received};
use crate::faults::{Fault, FaultPlan};
use crate::keys::KeyRing;
use crate::listener::{Connections, Peer};
use crate::open::{open_batch, open_deletion, OpenedDeletion};
use crate::rate::RateLimiter;
use crate::store::{Inserted, Store};
use crate::verify::{is_pseudonym, verify, Rules};
use crate::Rejection;

/// The largest deletion request body: a header, [`MAX_PROOFS`] proofs of about a hundred
/// bytes each, and the AEAD tag.
pub const MAX_DELETION_BODY: usize = MAX_HEADER_LEN + 16 + 64 + MAX_PROOFS * 112;

/// What every handler shares.
struct Shared {
    keys: KeyRing,
    store: Arc<dyn Store>,
    limits: Limits,
    max_body: usize,
    max_stored: usize,
    max_age_ms: u64,
    max_skew_ms: u64,
    install_rate: RateLimiter<String>,
    peer_events: RateLimiter<IpAddr>,
    peer_deletions: RateLimiter<IpAddr>,
    in_flight: Arc<Semaphore>,
    buffered: Arc<Semaphore>,
    body_grace: Duration,
    min_body_rate: u32,
    request_timeout: Duration,
    faults: Option<Arc<FaultPlan>>,
    stats: Arc<Stats>,
}

/// The service as an axum router, with `stats` counting what it does. Serve it with
/// [`serve`] or [`spawn`], which add the connection limits; a router served some other way
/// has only the per-request ones.
pub fn router(config: ServerConfig, stats: Arc<Stats>) -> Router {
    build(config, stats).0
}

pub(crate) fn build(config: ServerConfig, stats: Arc<Stats>) -> (Router, Connections) {
    let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
    let connections = Connections {
        max: config.max_connections,
        header_timeout: config.header_timeout,
    };
    let limits = config.limits();
    let shared = Arc::new(Shared {
        keys: config.keys,
        store: config.store,
        limits,
        max_body: config.max_body,
        max_stored: config.max_stored,
        max_age_ms: millis(config.max_batch_age),
        max_skew_ms: millis(config.max_clock_skew),
        install_rate: RateLimiter::new(config.rate_per_minute, config.burst),
        peer_events: RateLimiter::new(config.peer_events_per_minute, config.peer_event_burst),
        peer_deletions: RateLimiter::new(
            config.peer_deletions_per_minute,
            config.peer_deletion_burst,
        ),
        in_flight: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
        buffered: Arc::new(Semaphore::new(
            config.max_buffered.clamp(1, Semaphore::MAX_PERMITS),
        )),
        body_grace: config.body_grace,
        min_body_rate: config.min_body_rate,
        request_timeout: config.request_timeout,
        faults: config.faults,
        stats,
    });
    let router = Router::new()
        .route("/v1/batches", post(batches))
        .route("/v1/deletions", post(deletions))
        .route("/v1/health", get(health))
        .route("/metrics", get(metrics))
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
        .with_state(shared);
    (router, connections)
}

fn error(status: StatusCode, kind: &str, reason: &str) -> Response {
    (status, Json(json!({ "error": kind, "reason": reason }))).into_response()
}

fn with_retry_after(mut response: Response, wait: Duration) -> Response {
    // Whole seconds, rounded up, at least one.
    let seconds = wait
        .as_secs()
        .saturating_add(u64::from(wait.subsec_nanos() > 0))
        .max(1);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    response
}

fn status(code: u16) -> StatusCode {
    StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn overloaded(reason: &str) -> Response {
    let response = error(StatusCode::SERVICE_UNAVAILABLE, "overloaded", reason);
    with_retry_after(response, Duration::from_secs(1))
}

fn rate_limited(reason: &str, wait: Duration) -> Response {
    with_retry_after(
        error(StatusCode::TOO_MANY_REQUESTS, "rate_limited", reason),
        wait,
    )
}

/// The peer's address; a router served without [`listener`] has none, and all its requests
/// share one bucket.
fn peer_ip(request: &Request) -> IpAddr {
    request
        .extensions()
        .get::<Peer>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |p| p.0.ip())
}

/// 200 when the store answers within 5 s, 503 otherwise: what a load balancer's health check
/// reads, so a node that lost its database stops getting traffic.
async fn health(State(shared): State<Arc<Shared>>) -> Response {
    let store = Arc::clone(&shared.store);
    let ping = tokio::task::spawn_blocking(move || store.ping());
    match tokio::time::timeout(Duration::from_secs(5), ping).await {
        Ok(Ok(Ok(()))) => Json(json!({ "status": "ok", "store": "ok" })).into_response(),
        Ok(Ok(Err(e))) => unhealthy(&e.to_string()),
        Ok(Err(_)) => unhealthy("the check failed"),
        Err(_) => unhealthy("the store did not answer within 5 s"),
    }
}

fn unhealthy(reason: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(json!({ "status": "unavailable", "store": "unreachable", "reason": reason })),
    )
        .into_response()
}

async fn metrics(State(shared): State<Arc<Shared>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&shared.stats),
    )
        .into_response()
}

/// What processing a batch came to.
enum Outcome {
    Stored { batch_id: String, events: u64 },
    Duplicate { batch_id: String },
    Deleted,
    Refused(Rejection),
    RateLimited(Duration),
    StoreFailed(String),
}

async fn batches(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let peer = peer_ip(&request);
    let (parts, body) = request.into_parts();
    let received = match shared.receive(&parts.headers, body, shared.max_body).await {
        Ok(received) => received,
        Err(response) => return response,
    };
    let Some(slot) = shared.slot() else {
        return overloaded("too many requests in progress");
    };
    // What the header says is authenticated only once the batch opens, but it is enough to
    // refuse a batch before the cost of opening it: one that claims too many events, or a
    // peer that has sent too many.
    let (header, _) = match Header::parse(&received.bytes) {
        Ok(parsed) => parsed,
        Err(e) => return shared.refuse(&Rejection::malformed(e.to_string())),
    };
    if header.event_count as usize > shared.limits.max_events {
        return shared.refuse(&Rejection::too_large(format!(
            "the batch declares {} events (at most {})",
            header.event_count, shared.limits.max_events
        )));
    }
    if let Err(wait) = shared
        .peer_events
        .take_many(&peer, header.event_count, Instant::now())
    {
        shared.stats.rate_limited();
        return rate_limited("this address is sending more events than its rate", wait);
    }
    if let Some(response) = shared.inject_fault().await {
        return response;
    }
    let work = Arc::clone(&shared);
    let batch_id = header.batch_id.to_string();
    let outcome = shared
        .blocking(slot, move || work.process(&received, batch_id))
        .await;
    shared.answer(outcome)
}

impl Shared {
    /// Reads a body of at most `limit` bytes, by its deadline and within the byte budget;
    /// the response to send instead if it cannot.
    async fn receive(
        &self,
        headers: &HeaderMap,
        body: axum::body::Body,
        limit: usize,
    ) -> Result<Received, Response> {
        let announced = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        // Far too large to be worth draining (see `body`): refused before reading any of it.
        if announced.is_some_and(|n| n > drain_limit(limit) as u64) {
            return Err(self.refuse(&Rejection::too_large(
                BodyError::TooLarge { limit }.reason(),
            )));
        }
        let reading = Reading {
            limit,
            deadline: deadline(
                tokio::time::Instant::now(),
                announced,
                limit,
                self.body_grace,
                self.min_body_rate,
            ),
            budget: &self.buffered,
        };
        read_limited(body, reading).await.map_err(|e| match e {
            BodyError::TooLarge { .. } => self.refuse(&Rejection::too_large(e.reason())),
            BodyError::Failed(_) => self.refuse(&Rejection::malformed(e.reason())),
            BodyError::TooSlow => {
                self.stats.rejected("timeout");
                error(StatusCode::REQUEST_TIMEOUT, "timeout", &e.reason())
            }
            BodyError::Busy => {
                self.stats.overloaded();
                overloaded(&e.reason())
            }
        })
    }

    /// An in-flight slot, if one is free.
    fn slot(&self) -> Option<OwnedSemaphorePermit> {
        let slot = Arc::clone(&self.in_flight).try_acquire_owned().ok();
        if slot.is_none() {
            self.stats.overloaded();
        }
        slot
    }

    /// Runs `work` on the blocking pool, holding `slot` until it ends, however long the
    /// client waits: a 408 answers the client, it does not free the slot.
    async fn blocking<T: Send + 'static>(
        &self,
        slot: OwnedSemaphorePermit,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Response> {
        let task = tokio::task::spawn_blocking(move || {
            let done = work();
            drop(slot);
            done
        });
        match tokio::time::timeout(self.request_timeout, task).await {
            Ok(Ok(done)) => Ok(done),
            Ok(Err(_)) => Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the request could not be processed",
            )),
            Err(_) => {
                self.stats.rejected("timeout");
                Err(error(
                    StatusCode::REQUEST_TIMEOUT,
                    "timeout",
                    "the request took too long",
                ))
            }
        }
    }

    /// Everything after the header checks, on the blocking pool, timed for `/metrics`.
    fn process(&self, received: &Received, batch_id: String) -> Outcome {
        let started = Instant::now();
        let outcome = self.process_untimed(received, batch_id);
        let timings = self.stats.timings();
        timings.processing.observe(started.elapsed().as_secs_f64());
        outcome
    }

    fn process_untimed(&self, received: &Received, batch_id: String) -> Outcome {
        // A retry of a stored batch is answered without opening it again.
        if let Ok(true) = self.store.contains_batch(&batch_id) {
            return Outcome::Duplicate { batch_id };
        }
        let opened = match open_batch(&self.keys, &received.bytes, self.limits) {
            Ok(opened) => opened,
            Err(rejection) => return Outcome::Refused(rejection),
        };
        let rules = Rules {
            now_ms: now_ms(),
            max_age_ms: self.max_age_ms,
            max_skew_ms: self.max_skew_ms,
            max_stored: self.max_stored,
        };
        if let Err(rejection) = verify(&opened.batch, &rules) {
            return Outcome::Refused(rejection);
        }
        if let Some(install) = &opened.batch.meta.install {
            if let Err(wait) = self.install_rate.take(install, Instant::now()) {
                return Outcome::RateLimited(wait);
            }
        }
        let inserting = Instant::now();
        let inserted = self.store.insert(&opened, rules.now_ms);
        let timings = self.stats.timings();
        timings.insert.observe(inserting.elapsed().as_secs_f64());
        match inserted {
            Ok(Inserted::New) => Outcome::Stored {
                events: opened.batch.events.len() as u64,
                batch_id: opened.batch_id,
            },
            Ok(Inserted::Duplicate) => Outcome::Duplicate {
                batch_id: opened.batch_id,
            },
            Ok(Inserted::Deleted) => Outcome::Deleted,
            Err(e) => Outcome::StoreFailed(e.to_string()),
        }
    }

    fn answer(&self, outcome: Result<Outcome, Response>) -> Response {
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(response) => return response,
        };
        match outcome {
            Outcome::Stored { batch_id, events } => {
                self.stats.accepted(events);
                Json(json!({ "status": "accepted", "batch_id": batch_id, "events": events }))
                    .into_response()
            }
            Outcome::Duplicate { batch_id } => {
                self.stats.duplicate();
                let reason = format!("batch {batch_id} is already stored");
                let body = json!({
                    "error": "duplicate", "reason": reason, "batch_id": batch_id
                });
                (StatusCode::CONFLICT, Json(body)).into_response()
            }
            Outcome::Deleted => {
                self.stats.gone();
                error(
                    StatusCode::GONE,
                    "deleted",
                    "this install's data was deleted at its request",
                )
            }
            Outcome::Refused(rejection) => self.refuse(&rejection),
            Outcome::RateLimited(wait) => {
                self.stats.rate_limited();
                rate_limited("this install is sending faster than its rate", wait)
            }
            Outcome::StoreFailed(reason) => {
                self.stats.storage_failure();
                tracing::error!(%reason, "storing a batch failed");
                error(StatusCode::INTERNAL_SERVER_ERROR, "storage", &reason)
            }
        }
    }

    fn refuse(&self, rejection: &Rejection) -> Response {
        self.stats.rejected(rejection.kind());
        // The kind only: a reason may quote what the sender sent.
        tracing::debug!(kind = rejection.kind(), "refused");
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
                Duration::from_secs(seconds),
            )),
            Fault::Delay(pause) => {
                tokio::time::sleep(pause).await;
                None
            }
        }
    }

    /// Applies a deletion request whose envelope opened: each proof checked by hashing its
    /// token (an install pseudonym is its token's hash), and only the proven ones deleted.
    fn delete(&self, opened: &OpenedDeletion) -> Response {
        let proofs = &opened.payload.proofs;
        if proofs.is_empty() || !proofs.iter().all(|p| is_pseudonym(&p.install_pseudonym)) {
            return self.refuse(&Rejection::malformed(format!(
                "a deletion request proves 1 to {MAX_PROOFS} install pseudonyms, nothing else"
            )));
        }
        let proven: Vec<String> = proofs
            .iter()
            .filter(|p| p.token.pseudonym() == p.install_pseudonym)
            .map(|p| p.install_pseudonym.clone())
            .collect();
        let unproven = (proofs.len() - proven.len()) as u64;
        let requested_at_ms = opened.payload.requested_at_ms;
        match self
            .store
            .delete_installs(&proven, requested_at_ms, now_ms())
        {
            Ok(done) => {
                self.stats
                    .deletion(proven.len() as u64, unproven, done.rows_deleted);
                // Counts only: the pseudonyms are in the store's deletion log.
                tracing::info!(
                    proven = proven.len(),
                    unproven,
                    rows = done.rows_deleted,
                    "deletion applied"
                );
                Json(json!({
                    "status": "deleted",
                    "proven": proven.len(),
                    "unproven": unproven,
                    "rows_deleted": done.rows_deleted,
                }))
                .into_response()
            }
            Err(e) => {
                self.stats.storage_failure();
                tracing::error!(reason = %e, "applying a deletion failed");
                error(StatusCode::INTERNAL_SERVER_ERROR, "storage", &e.to_string())
            }
        }
    }
}

async fn deletions(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let peer = peer_ip(&request);
    // Counted before anything else: a flood costs the server a bucket lookup per request.
    if let Err(wait) = shared.peer_deletions.take(&peer, Instant::now()) {
        shared.stats.rate_limited();
        return rate_limited("this address is sending deletion requests too often", wait);
    }
    let (parts, body) = request.into_parts();
    let limit = MAX_DELETION_BODY.min(shared.max_body.max(MAX_HEADER_LEN + 16));
    let received = match shared.receive(&parts.headers, body, limit).await {
        Ok(received) => received,
        Err(response) => return response,
    };
    let Some(slot) = shared.slot() else {
        return overloaded("too many requests in progress");
    };
    let work = Arc::clone(&shared);
    let applied = shared
        .blocking(slot, move || {
            match open_deletion(&work.keys, &received.bytes) {
                Ok(opened) => work.delete(&opened),
                Err(rejection) => work.refuse(&rejection),
            }
        })
        .await;
    applied.unwrap_or_else(|response| response)
}
