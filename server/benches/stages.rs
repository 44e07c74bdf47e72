//! Where one node's time goes per batch, stage by stage, on the same 100-event sessions the
//! load generator sends: opening (HPKE, then inflating and decoding, each timed), verifying
//! (scrubbing every text), and the store's insert (SQLite, and PostgreSQL when
//! `MODICUM_BENCH_POSTGRES` names a server). Prints medians; asserts nothing.
//!
//! `cargo bench -p modicum-server --bench stages` (MODICUM_BENCH_BATCHES, 2 000 by default).

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::open::open_batch;
use modicum_server::store::{PgStore, SqliteStore, Store};
use modicum_server::verify::{verify, Rules};
use modicum_wire::envelope::{self, Aead, CollectorKey};
use modicum_wire::{self as wire, sample, Limits};

const SEED: &[u8] = b"stages bench collector";

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

fn median(mut times: Vec<Duration>) -> f64 {
    times.sort();
    times[times.len() / 2].as_secs_f64() * 1e6
}

fn main() {
    let n: u64 = std::env::var("MODICUM_BENCH_BATCHES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2_000);
    let pair = KeyPair::derive(SEED);
    let key = CollectorKey::from_public_bytes(pair.public_bytes()).expect("a key");
    let keys = KeyRing::new([KeyPair::derive(SEED)]);
    let limits = Limits::default();
    let bodies: Vec<Vec<u8>> = (0..n)
        .map(|i| {
            let mut batch = sample::session(i, 100);
            batch.meta.created_at_ms = now_ms();
            let payload = wire::encode(&batch).expect("encodes");
            envelope::seal(&key, Aead::Aes128Gcm, &payload, 100, now_ms())
                .expect("seals")
                .bytes
        })
        .collect();
    let rules = Rules {
        now_ms: now_ms(),
        max_age_ms: 86_400_000,
        max_skew_ms: 86_400_000,
        max_stored: 8 << 20,
    };

    let mut open = Vec::new();
    let mut decrypt = Vec::new();
    let mut checked = Vec::new();
    let mut opened = Vec::new();
    for body in &bodies {
        let started = Instant::now();
        let batch = open_batch(&keys, body, limits).expect("opens");
        open.push(started.elapsed());
        // The HPKE open alone (header, key schedule, AEAD), without inflating or decoding.
        let started = Instant::now();
        let _ = modicum_wire::collector::open_envelope(&keys, body, envelope::Purpose::Batch)
            .expect("opens");
        decrypt.push(started.elapsed());
        let started = Instant::now();
        verify(&batch.batch, &rules).expect("verifies");
        checked.push(started.elapsed());
        opened.push(batch);
    }
    let tmp = std::env::temp_dir().join(format!("modicum-stages-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("a directory");
    let sqlite = SqliteStore::open(&tmp.join("ingest.sqlite3")).expect("a store");
    let insert = |store: &dyn Store| -> Vec<Duration> {
        opened
            .iter()
            .map(|batch| {
                let started = Instant::now();
                store.insert(batch, now_ms()).expect("stores");
                started.elapsed()
            })
            .collect()
    };
    let sqlite_insert = insert(&sqlite);
    let postgres_insert = std::env::var("MODICUM_BENCH_POSTGRES")
        .ok()
        .map(|url| insert(&PgStore::connect(&url).expect("connects")));
    let _ = std::fs::remove_dir_all(&tmp);

    let (open, decrypt, checked) = (median(open), median(decrypt), median(checked));
    println!("stages: {n} sealed batches of 100 events, one thread, medians per batch");
    println!("  HPKE open (header, key schedule, AEAD)      {decrypt:8.1} µs");
    println!(
        "  inflate and decode                          {:8.1} µs",
        open - decrypt
    );
    println!("  verify (scrub every text, check fields)     {checked:8.1} µs");
    println!(
        "  insert, SQLite (WAL, synchronous=NORMAL)    {:8.1} µs",
        median(sqlite_insert)
    );
    if let Some(times) = postgres_insert {
        println!(
            "  insert, PostgreSQL                          {:8.1} µs",
            median(times)
        );
    }
}
