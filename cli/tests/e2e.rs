//! End to end over real HTTP on 127.0.0.1: simulated devices upload through the host uploader
//! to the reference server, through dropped connections, a server that is down and comes up,
//! 500s, 429 with Retry-After, 413s and slow answers; afterwards every event is stored exactly
//! once and none is lost.

#[path = "../src/uploader.rs"]
mod uploader;

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use modicum_core::envelope::CollectorKey;
use modicum_core::upload::{Conditions, Endpoint};
use modicum_core::{Category, Config, Event, LedgerEntry, Modicum, Value};
use modicum_server::faults::{Fault, FaultPlan};
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, ServerConfig};
use modicum_server::store::{SqliteStore, Store};
use uploader::HttpUploader;

const DEVICES: usize = 3;
const EVENTS: usize = 150;

#[test]
fn every_event_arrives_exactly_once_through_faults() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = KeyPair::derive(b"e2e collector");
    // A collector that accepts connections and drops them mid-request.
    let dropper = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = dropper.local_addr().unwrap();
    let dropping = std::thread::spawn(move || {
        for _ in 0..2 {
            let (mut conn, _) = dropper.accept().unwrap();
            let mut some = [0u8; 64];
            let _ = conn.read(&mut some);
        }
    });

    let devices: Vec<Modicum> = (0..DEVICES)
        .map(|d| {
            let mut config = Config::new(tmp.path().join(format!("device-{d}")), "dev.modicum.e2e");
            config.collector = Some(CollectorKey::from_public_bytes(pair.public_bytes()).unwrap());
            config.batch_max_events = 150;
            config.upload.endpoints = vec![Endpoint {
                region: "default".into(),
                url: format!("http://{addr}"),
            }];
            config.upload.backoff_base = Duration::from_millis(10);
            config.upload.backoff_cap = Duration::from_millis(100);
            let m = Modicum::start(config).unwrap();
            m.set_consent(Category::Analytics, true).unwrap();
            m.set_consent(Category::Identifiers, true).unwrap();
            for i in 0..EVENTS {
                m.record(
                    Event::new("step")
                        .with("device", Value::Int(i64::try_from(d).unwrap()))
                        .with("seq", Value::Int(i64::try_from(i).unwrap()))
                        .with("note", Value::Text(format!("{i} {}", "x".repeat(i % 40)))),
                )
                .unwrap();
            }
            m
        })
        .collect();
    let http = HttpUploader::new(Duration::from_secs(5));

    // The connection is dropped, then nothing listens: every attempt fails, nothing is lost.
    for m in &devices {
        let report = m
            .upload_pending(&http, Conditions::ideal(), Duration::from_millis(300))
            .unwrap();
        assert_eq!(report.delivered_events, 0);
        assert!(report.waiting.is_some());
    }
    dropping.join().unwrap();

    // The collector comes up on the same address, misbehaving at first.
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let mut config = ServerConfig::new(KeyRing::new([pair]), Arc::<SqliteStore>::clone(&store));
    config.addr = addr;
    config.max_body = 1_000;
    config.faults = Some(Arc::new(FaultPlan::script([
        Fault::Status(500),
        Fault::RetryAfter {
            status: 429,
            seconds: 1,
        },
        Fault::Delay(Duration::from_millis(400)),
        Fault::RetryAfter {
            status: 503,
            seconds: 1,
        },
    ])));
    let server = service::spawn(config).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    for m in &devices {
        loop {
            let report = m
                .upload_pending(&http, Conditions::ideal(), Duration::from_secs(5))
                .unwrap();
            if report.waiting.is_none() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "uploads never finished: {report:?}"
            );
        }
        assert!(m.outbox().is_empty());
        assert_eq!(
            m.ledger().get(Category::Analytics, LedgerEntry::Uploaded),
            EVENTS as u64
        );
    }

    let mut seen: HashMap<(i64, i64), u32> = HashMap::new();
    for event in store.events().unwrap() {
        let key = (
            event["properties"]["device"].as_i64().unwrap(),
            event["properties"]["seq"].as_i64().unwrap(),
        );
        *seen.entry(key).or_default() += 1;
        assert!(event["install"].as_str().unwrap().starts_with("p1_"));
    }
    assert_eq!(seen.len(), DEVICES * EVENTS, "none lost");
    assert!(seen.values().all(|&n| n == 1), "none twice");
    let stats = server.stats();
    assert_eq!(stats.faults_injected, 4);
    assert!(
        stats.rejected.get("too_large").copied().unwrap_or(0) > 0,
        "413s made devices split: {stats:?}"
    );
    server.stop().unwrap();
}
