//! What a running service may spend, and on what: every limit in one place, with the defaults
//! `docs/server.md` states and derives its memory bound from.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use modicum_wire::Limits;

use crate::faults::FaultPlan;
use crate::keys::KeyRing;
use crate::store::{Retention, Store};

/// The port `modicum serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8737;

/// A day, for the freshness window.
const DAY: Duration = Duration::from_secs(86_400);

pub struct ServerConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// The live private keys.
    pub keys: KeyRing,
    pub store: Arc<dyn Store>,

    // What one batch may be.
    /// The largest request body read, in bytes (default 1 MiB).
    pub max_body: usize,
    /// The most a batch may inflate to, in bytes (default 4 MiB). Decoding builds at most four
    /// times this (see [`Limits::for_inflated`]).
    pub max_inflated: usize,
    /// The most events one batch may hold (default 10 000).
    pub max_events: usize,
    /// The most bytes of text and numbers one batch may write to the store, counted as each
    /// event's name, keys and values (default 8 MiB): what a batch of many events sharing
    /// one long string would otherwise multiply.
    pub max_stored: usize,
    /// How old a batch's `created_at` may be (default 90 days, the retention promise), and
    /// how far ahead of the server's clock (default 1 day: device clocks drift).
    pub max_batch_age: Duration,
    pub max_clock_skew: Duration,

    // Who may send how much.
    /// Batches a minute one install may send on average (default 120), and how many it may
    /// send at once (default 60).
    pub rate_per_minute: u32,
    pub burst: u32,
    /// Events a minute one peer address may send, counted from the envelope header before
    /// anything is decrypted (default 60 000, bursts of 20 000). Covers batches that name no
    /// install, or a new one each time.
    pub peer_events_per_minute: u32,
    pub peer_event_burst: u32,
    /// Deletion requests a minute one peer address may send (default 6, bursts of 6).
    pub peer_deletions_per_minute: u32,
    pub peer_deletion_burst: u32,

    // What the process may hold at once.
    /// Requests processed at once, counted from when the body has fully arrived until the
    /// blocking work really ends; beyond it, 503 (default 16).
    pub max_in_flight: usize,
    /// Open connections; one more gets a 503 and is closed (default 256).
    pub max_connections: usize,
    /// Bytes of request bodies held at once, arriving or in process; beyond it, 503
    /// (default 64 MiB).
    pub max_buffered: usize,

    // How long each step may take.
    /// Time to send a request's headers, and how long a kept-alive connection may sit idle
    /// (default 10 s).
    pub header_timeout: Duration,
    /// A body must arrive within `body_grace` plus its length at `min_body_rate` bytes a
    /// second (defaults 10 s and 4 KiB/s): a trickling client is cut off, a slow network is
    /// not.
    pub body_grace: Duration,
    pub min_body_rate: u32,
    /// How long processing a received request may take before the client hears 408 (default
    /// 30 s); its slot stays taken until the work ends.
    pub request_timeout: Duration,

    /// Failures to inject into `/v1/batches`, for tests and the demo.
    pub faults: Option<Arc<FaultPlan>>,
    /// How long stored events and deletion records are kept (see [`Retention`]).
    pub retention: Retention,
    /// How often the running service sweeps what is past retention; never if `None`. Each
    /// node sweeps; in PostgreSQL a sweep that finds nothing to do costs one catalog query.
    pub sweep_every: Option<Duration>,
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
            max_stored: 8 << 20,
            max_batch_age: 90 * DAY,
            max_clock_skew: DAY,
            rate_per_minute: 120,
            burst: 60,
            peer_events_per_minute: 60_000,
            peer_event_burst: 20_000,
            peer_deletions_per_minute: 6,
            peer_deletion_burst: 6,
            max_in_flight: 16,
            max_connections: 256,
            max_buffered: 64 << 20,
            header_timeout: Duration::from_secs(10),
            body_grace: Duration::from_secs(10),
            min_body_rate: 4 << 10,
            request_timeout: Duration::from_secs(30),
            faults: None,
            retention: Retention::default(),
            sweep_every: Some(Duration::from_secs(60 * 60)),
        }
    }

    /// What decoding one batch may take.
    pub fn limits(&self) -> Limits {
        Limits::for_inflated(self.max_inflated, self.max_events)
    }

    /// The most memory the service's requests hold at once, in bytes, beside the process's
    /// own: bodies (`max_buffered`), and per request in process its plaintext (at most a
    /// body), its inflated payload and what decoding builds; per connection, hyper's buffers.
    /// `docs/server.md` explains each term; `tests/memory.rs` holds the process to it.
    pub fn memory_bound(&self) -> usize {
        let limits = self.limits();
        let per_request = self.max_body + limits.max_inflated + limits.max_built;
        self.max_buffered
            .saturating_add(self.max_in_flight.saturating_mul(per_request))
            .saturating_add(self.max_connections.saturating_mul(CONNECTION_BYTES))
    }
}

/// What one open connection may hold: hyper's read buffer (capped at this) and its write
/// buffer, the task and the socket's own state.
pub const CONNECTION_BYTES: usize = 128 << 10;

/// hyper's read buffer per connection: request heads are small, and a body streams through it.
pub const READ_BUFFER: usize = 64 << 10;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;

    #[test]
    fn the_default_memory_bound_is_the_one_docs_server_md_states() {
        let store = Arc::new(SqliteStore::in_memory().unwrap());
        let config = ServerConfig::new(KeyRing::new([]), store);
        assert_eq!(config.limits().max_built, 16 << 20);
        // 64 MiB of bodies + 16 × (1 + 4 + 16) MiB in process + 256 × 128 KiB of connections.
        assert_eq!(config.memory_bound(), 432 << 20);
    }
}
