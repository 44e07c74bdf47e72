//! What the server's integration tests share: a server on 127.0.0.1 with an in-memory store,
//! batches sealed the way the device seals them, a plain HTTP client, and hostile payloads.

#![allow(dead_code)] // each test binary uses a different part

use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use flate2::write::DeflateEncoder;
use flate2::{Compression, Decompress, FlushDecompress};
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, RunningServer, ServerConfig};
use modicum_server::store::SqliteStore;
use modicum_wire::envelope::{self, Aead, CollectorKey, Purpose};
use modicum_wire::DeletionToken;
use modicum_wire::{self as wire, dictionary, sample, Batch, DeletionPayload, Proof};
use ring::hmac;

/// The collector's current key, and the one it is rotating away from.
pub fn current() -> KeyPair {
    KeyPair::derive(b"server test collector")
}

pub fn previous() -> KeyPair {
    KeyPair::derive(b"server test collector, last year")
}

/// A server holding both live keys, on a free port, with `tweak` applied to its config.
pub fn start(tweak: impl FnOnce(&mut ServerConfig)) -> (RunningServer, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let mut config = ServerConfig::new(
        KeyRing::new([current(), previous()]),
        Arc::<SqliteStore>::clone(&store),
    );
    config.addr = "127.0.0.1:0".parse().unwrap();
    tweak(&mut config);
    (service::spawn(config).unwrap(), store)
}

/// The server's clock, in ms: batches are made now, inside the freshness window.
pub fn now_ms() -> u64 {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis();
    u64::try_from(ms).unwrap()
}

/// Install `n`'s pseudonymizer, as its device holds it.
/// Install `n`'s secret, as a device keys its HMACs with it.
fn device(n: u64) -> hmac::Key {
    let mut secret = [0x5a; 32];
    secret[..8].copy_from_slice(&n.to_le_bytes());
    hmac::Key::new(hmac::HMAC_SHA256, &secret)
}

/// The rotation period holding `PERIOD_MS`, with devices' default 30-day rotation.
fn period() -> u64 {
    PERIOD_MS / (Duration::from_secs(30 * 86_400).as_secs() * 1_000)
}

/// When the tests' installs send: one pseudonym period for all of them.
const PERIOD_MS: u64 = 1_795_300_000_000;

/// Install `n`'s pseudonym (one period of it, the same in every test).
pub fn install(n: u64) -> String {
    token(n).pseudonym()
}

/// The token only install `n` can make, proving `install(n)` is its own.
pub fn token(n: u64) -> DeletionToken {
    DeletionToken::derive(&device(n), period())
}

/// A minimized session of `events` events from install `n`, made now.
pub fn good(n: u64, events: usize) -> Batch {
    let mut batch = sample::session(n, events);
    let shift = now_ms().saturating_sub(batch.meta.created_at_ms);
    batch.meta.created_at_ms += shift;
    for event in &mut batch.events {
        event.recorded_at_ms += shift;
    }
    batch.meta.install = Some(install(n));
    batch
}

/// A deletion request proving each `(pseudonym, token)`, sealed to `pair` as the device seals
/// one.
pub fn deletion(pair: &KeyPair, proofs: Vec<(String, DeletionToken)>) -> Vec<u8> {
    let payload = DeletionPayload {
        requested_at_ms: now_ms(),
        proofs: proofs
            .into_iter()
            .map(|(install_pseudonym, token)| Proof {
                install_pseudonym,
                token,
            })
            .collect(),
    };
    let bytes = wire::encode_deletion(&payload).unwrap();
    let key = CollectorKey::from_public_bytes(pair.public_bytes()).unwrap();
    let count = u32::try_from(payload.proofs.len()).unwrap();
    envelope::seal_for(Purpose::Deletion, &key, Aead::Aes128Gcm, &bytes, count, 1)
        .unwrap()
        .bytes
}

/// The deletion request install `n`'s device sends: its pseudonym and its token.
pub fn deletion_of(ns: &[u64]) -> Vec<u8> {
    deletion(
        &current(),
        ns.iter().map(|&n| (install(n), token(n))).collect(),
    )
}

/// Seals a payload (already compressed) as the device does, declaring `count` events.
pub fn seal_payload(pair: &KeyPair, payload: &[u8], count: u32) -> Vec<u8> {
    let key = CollectorKey::from_public_bytes(pair.public_bytes()).unwrap();
    envelope::seal(&key, Aead::Aes128Gcm, payload, count, 1_795_300_000_000)
        .unwrap()
        .bytes
}

pub fn seal(pair: &KeyPair, batch: &Batch) -> Vec<u8> {
    seal_payload(
        pair,
        &wire::encode(batch).unwrap(),
        u32::try_from(batch.events.len()).unwrap(),
    )
}

/// A good batch from install `n`, sealed to the current key.
pub fn good_body(n: u64) -> Vec<u8> {
    seal(&current(), &good(n, 20))
}

/// Raw deflate, as the payload is compressed (without the dictionary, which a stream need not
/// use).
pub fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// The MessagePack inside an encoded batch.
pub fn inflate(payload: &[u8]) -> Vec<u8> {
    let mut decompress = Decompress::new(false);
    decompress.set_dictionary(&dictionary::FORMAT_2).unwrap();
    let mut out = Vec::with_capacity(payload.len() * 20 + 1024);
    decompress
        .decompress_vec(payload, &mut out, FlushDecompress::Finish)
        .unwrap();
    out
}

/// A deflate stream of `mib` MiB of zeros, about 1 KiB per MiB: one compressed MiB, flushed to
/// a byte boundary, repeated, then a final empty block. Cheap to build even for a GiB.
pub fn zeros_bomb(mib: usize) -> Vec<u8> {
    let mut encoder = DeflateEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(&vec![0u8; 1 << 20]).unwrap();
    encoder.flush().unwrap(); // a sync flush: the block ends on a byte boundary
    let one = encoder.get_ref().clone();
    let mut stream = one.repeat(mib);
    stream.extend_from_slice(&[0x03, 0x00]); // a final, empty, fixed-Huffman block
    stream
}

pub struct Answer {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: serde_json::Value,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// Sends a request; every answer the service gives, errors included, must be JSON.
pub fn send(url: &str, method: &str, path: &str, body: &[u8]) -> Answer {
    let content_type = "application/octet-stream";
    let agent = agent();
    let response = match method {
        "POST" => agent
            .post(format!("{url}{path}"))
            .header("Content-Type", content_type)
            .send(body),
        "GET" => agent.get(format!("{url}{path}")).call(),
        "DELETE" => agent.delete(format!("{url}{path}")).call(),
        other => panic!("no {other} in these tests"),
    }
    .unwrap();
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.into_body().read_to_string().unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{method} {path} -> {status}: not JSON ({e}): {text:?}"));
    Answer {
        status,
        retry_after,
        body,
    }
}

pub fn post(server: &RunningServer, path: &str, body: &[u8]) -> Answer {
    send(&server.url(), "POST", path, body)
}

/// Asserts the server still stores a fresh good batch.
pub fn still_serves(server: &RunningServer, n: u64, after: &str) {
    let answer = post(server, "/v1/batches", &good_body(n));
    assert_eq!(answer.status, 200, "after {after}: {}", answer.body);
    assert_eq!(answer.body["status"], "accepted");
}

/// A fresh database on the PostgreSQL server `MODICUM_TEST_POSTGRES` names, its URL; `None`
/// (the test skips) when there is none, unless `MODICUM_REQUIRE_POSTGRES` is set, when the test
/// fails instead.
pub fn postgres_database(name: &str) -> Option<String> {
    let Ok(server) = std::env::var("MODICUM_TEST_POSTGRES") else {
        assert!(
            std::env::var_os("MODICUM_REQUIRE_POSTGRES").is_none(),
            "MODICUM_REQUIRE_POSTGRES is set but MODICUM_TEST_POSTGRES is not"
        );
        eprintln!("skipped: set MODICUM_TEST_POSTGRES to a PostgreSQL server URL");
        return None;
    };
    let database = format!("modicum_{name}_{}", std::process::id());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&server, tokio_postgres::NoTls)
            .await
            .expect("the test PostgreSQL server answers");
        tokio::spawn(connection);
        client
            .batch_execute(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            .await
            .unwrap();
        client
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .await
            .unwrap();
    });
    let (base, _) = server.rsplit_once('/').expect("a URL with a database");
    Some(format!("{base}/{database}"))
}
