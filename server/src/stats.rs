//! What a running service did, counted: for the demo's summary, `modicum serve` on exit, and
//! tests. Counters are atomics so handlers never wait on each other to count.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use serde::Serialize;

#[derive(Debug, Default)]
pub struct Stats {
    accepted: AtomicU64,
    duplicates: AtomicU64,
    events_stored: AtomicU64,
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    rate_limited: AtomicU64,
    overloaded: AtomicU64,
    faults_injected: AtomicU64,
    gone: AtomicU64,
    deletions: AtomicU64,
    proven: AtomicU64,
    unproven: AtomicU64,
    rows_deleted: AtomicU64,
    storage_failures: AtomicU64,
    timings: Timings,
}

/// How long batches take, for `/metrics`.
#[derive(Debug)]
pub struct Timings {
    /// Everything on the blocking pool: duplicate check, opening, verification, the store.
    pub processing: Histogram,
    /// The store's insert alone.
    pub insert: Histogram,
}

impl Default for Timings {
    fn default() -> Timings {
        // 0.1 ms to about 3 s, doubling.
        let buckets = || exponential_buckets(0.000_1, 2.0, 16);
        Timings {
            processing: Histogram::new(buckets()),
            insert: Histogram::new(buckets()),
        }
    }
}

/// The counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StatsSnapshot {
    /// Batches stored (200).
    pub accepted: u64,
    /// Batches already stored, answered 409.
    pub duplicates: u64,
    pub events_stored: u64,
    /// Requests refused, by [`crate::Rejection::kind`] (400, 401, 413, 422).
    pub rejected: BTreeMap<&'static str, u64>,
    /// Answered 429: an install, or a peer address, over its rate.
    pub rate_limited: u64,
    /// Answered 503 (or, over the connection cap, closed): more requests, bodies or
    /// connections at once than the limits allow.
    pub overloaded: u64,
    /// Answered 410: a batch of an install whose data was deleted on proof.
    pub gone: u64,
    /// Scripted or random faults served instead of (or before) normal handling.
    pub faults_injected: u64,
    /// Deletion requests applied; the pseudonyms they proved and those they could not (left
    /// untouched); the rows deleted.
    pub deletions: u64,
    pub proven: u64,
    pub unproven: u64,
    pub rows_deleted: u64,
    /// Answered 500: the store failed.
    pub storage_failures: u64,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Ordering::Relaxed);
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
            gone: get(&self.gone),
            deletions: get(&self.deletions),
            proven: get(&self.proven),
            unproven: get(&self.unproven),
            rows_deleted: get(&self.rows_deleted),
            storage_failures: get(&self.storage_failures),
        }
    }

    pub(crate) fn accepted(&self, events: u64) {
        add(&self.accepted, 1);
        add(&self.events_stored, events);
    }

    pub(crate) fn duplicate(&self) {
        add(&self.duplicates, 1);
    }

    pub(crate) fn rejected(&self, kind: &'static str) {
        *self
            .rejected
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(kind)
            .or_default() += 1;
    }

    pub(crate) fn rate_limited(&self) {
        add(&self.rate_limited, 1);
    }

    pub(crate) fn overloaded(&self) {
        add(&self.overloaded, 1);
    }

    pub(crate) fn fault(&self) {
        add(&self.faults_injected, 1);
    }

    pub(crate) fn gone(&self) {
        add(&self.gone, 1);
    }

    pub(crate) fn deletion(&self, proven: u64, unproven: u64, rows: u64) {
        add(&self.deletions, 1);
        add(&self.proven, proven);
        add(&self.unproven, unproven);
        add(&self.rows_deleted, rows);
    }

    pub(crate) fn storage_failure(&self) {
        add(&self.storage_failures, 1);
    }

    pub fn timings(&self) -> &Timings {
        &self.timings
    }
}
