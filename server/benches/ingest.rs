//! Ingest latency over HTTP on 127.0.0.1, alone and beside a flood of forged deletion
//! requests: the figures `docs/benchmarks.md` records.
//!
//! `cargo bench -p modicum-server --bench ingest` (MODICUM_BENCH_BATCHES sets the batches per
//! run, 400 by default).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, RunningServer, ServerConfig};
use modicum_server::store::SqliteStore;
use modicum_wire::envelope::{self, Aead, CollectorKey, Purpose};
use modicum_wire::DeletionToken;
use modicum_wire::{self as wire, sample, Batch, DeletionPayload, Proof, MAX_PROOFS};
use ring::hmac;

const SEED: &[u8] = b"ingest bench collector";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn key() -> CollectorKey {
    CollectorKey::from_public_bytes(KeyPair::derive(SEED).public_bytes()).expect("a key")
}

/// A 100-event session from install `n`, made now, sealed.
fn batch(n: u64) -> Vec<u8> {
    let mut secret = [0x11; 32];
    secret[..8].copy_from_slice(&n.to_le_bytes());
    let device = hmac::Key::new(hmac::HMAC_SHA256, &secret);
    let period = now_ms() / (Duration::from_secs(30 * 86_400).as_secs() * 1_000);
    let mut batch: Batch = sample::session(n, 100);
    batch.meta.created_at_ms = now_ms();
    batch.meta.install = Some(DeletionToken::derive(&device, period).pseudonym());
    let payload = wire::encode(&batch).expect("encodes");
    envelope::seal(&key(), Aead::Aes128Gcm, &payload, 100, now_ms())
        .expect("seals")
        .bytes
}

/// A deletion request naming the most pseudonyms one may, none of them proven.
fn forged_deletion() -> Vec<u8> {
    let proofs = (0..MAX_PROOFS as u64)
        .map(|n| Proof {
            install_pseudonym: format!("p1_{n:032x}"),
            token: DeletionToken::from_hex(&format!("{n:064x}")).expect("hex"),
        })
        .collect();
    let payload = DeletionPayload {
        requested_at_ms: now_ms(),
        proofs,
    };
    let bytes = wire::encode_deletion(&payload).expect("encodes");
    envelope::seal_for(
        Purpose::Deletion,
        &key(),
        Aead::Aes128Gcm,
        &bytes,
        u32::try_from(MAX_PROOFS).expect("MAX_PROOFS fits a u32"),
        1,
    )
    .expect("seals")
    .bytes
}

fn server(dir: &std::path::Path, limit_deletions: bool) -> RunningServer {
    let store = SqliteStore::open(&dir.join("ingest.sqlite3")).expect("a store");
    let mut config = ServerConfig::new(KeyRing::new([KeyPair::derive(SEED)]), Arc::new(store));
    config.addr = "127.0.0.1:0".parse().expect("loopback");
    config.rate_per_minute = u32::MAX;
    config.burst = u32::MAX;
    config.peer_events_per_minute = u32::MAX;
    config.peer_event_burst = u32::MAX;
    if !limit_deletions {
        // As if the flood came from as many addresses as it likes.
        config.peer_deletions_per_minute = u32::MAX;
        config.peer_deletion_burst = u32::MAX;
    }
    service::spawn(config).expect("serves")
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Posts `bodies` one after another; each request's time, sorted.
fn ingest(url: &str, bodies: &[Vec<u8>]) -> Vec<Duration> {
    let agent = agent();
    let mut times: Vec<Duration> = bodies
        .iter()
        .map(|body| {
            let started = Instant::now();
            let status = agent
                .post(format!("{url}/v1/batches"))
                .send(&body[..])
                .expect("answered")
                .status()
                .as_u16();
            assert_eq!(status, 200);
            started.elapsed()
        })
        .collect();
    times.sort();
    times
}

/// The time at `per_mille` thousandths of the way through the sorted `times`.
fn at(times: &[Duration], per_mille: usize) -> f64 {
    let i = (times.len() * per_mille / 1_000).min(times.len() - 1);
    times[i].as_secs_f64() * 1e3
}

fn run(label: &str, flood: Option<bool>, batches: usize) {
    let dir = tempfile::tempdir().expect("a temp dir");
    let limit = flood.unwrap_or(true);
    let server = server(dir.path(), limit);
    let bodies: Vec<Vec<u8>> = (0..batches as u64).map(batch).collect();
    // Warm up: connections, the database file, the store's statements.
    ingest(&server.url(), &bodies[..20.min(batches)]);
    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicU64::new(0));
    let flooding = flood.map(|_| {
        let (url, stop, sent) = (server.url(), Arc::clone(&stop), Arc::clone(&sent));
        let request = forged_deletion();
        thread::spawn(move || {
            let agent = agent();
            while !stop.load(Ordering::Relaxed) {
                let _ = agent.post(format!("{url}/v1/deletions")).send(&request[..]);
                sent.fetch_add(1, Ordering::Relaxed);
            }
        })
    });
    let started = Instant::now();
    let times = ingest(&server.url(), &bodies[20.min(batches)..]);
    let took = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    if let Some(flooding) = flooding {
        let _ = flooding.join();
    }
    let stats = server.stats();
    println!(
        "{label:<58} median {:>6.2} ms  p99 {:>6.2} ms  {:>6.0} batches/s  \
         ({} deletion requests sent, {} answered 429, {} unproven claims)",
        at(&times, 500),
        at(&times, 990),
        times.len() as f64 / took.as_secs_f64(),
        sent.load(Ordering::Relaxed),
        stats.rate_limited,
        stats.unproven,
    );
}

fn main() {
    let batches = std::env::var("MODICUM_BENCH_BATCHES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(400);
    println!(
        "ingest: {batches} sealed batches of 100 events, one at a time, over HTTP on 127.0.0.1"
    );
    run("alone", None, batches);
    run(
        "beside a flood of 1 024-name deletion requests (limited)",
        Some(true),
        batches,
    );
    run(
        "beside the same flood, per-peer limit lifted",
        Some(false),
        batches,
    );
}
