//! Modicum's reference ingest server: opens sealed batches with the collector's private keys,
//! checks that what arrived respects minimization, and stores it.
//!
//! - [`keys`]: collector key pairs and the ring of live keys (keys rotate).
//! - [`open`]: header, HPKE, bounded inflation and decoding, into an [`open::Opened`] batch.
//! - [`verify`]: refuses a batch holding what the device should have minimized.
//! - [`store`]: the [`store::Store`] interface, the bundled SQLite store and the PostgreSQL
//!   store several nodes share, with retention.
//! - [`config`]: every limit the service keeps, and the memory bound they give.
//! - `body`: reading a request body under a limit, a deadline and a shared byte budget.
//! - [`listener`]: accepting connections: a cap, header and idle timeouts, the peer address.
//! - [`service`]: the HTTP service (axum on tokio), its status codes and the order of checks.
//! - [`rate`]: the per-install and per-peer token buckets behind 429.
//! - [`stats`]: what a running service did, counted; [`metrics`] serves it to Prometheus.
//! - [`health`]: release health (crash-free sessions and installs per release and day) from
//!   the devices' daily reports, which name no install.
//! - [`faults`]: scripted failures, for tests and the demo's unreliable networks.
//!
//! See `docs/server.md`.

mod body;
pub mod config;
pub mod faults;
pub mod health;
pub mod keys;
pub mod listener;
pub mod metrics;
pub mod open;
pub mod rate;
mod rejection;
mod running;
pub mod service;
pub mod stats;
pub mod store;
mod sweep;
pub mod verify;

pub use rejection::Rejection;
