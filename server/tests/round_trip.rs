//! Batches built and sealed by the core arrive in SQLite exactly as the device sent them:
//! through the library (open, verify, store) and over HTTP, under either live key.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;

use modicum_server::keys::{read_public, KeyPair, KeyRing};
use modicum_server::open::open_batch;
use modicum_server::service::{self, ServerConfig};
use modicum_server::store::{Inserted, SqliteStore, Store};
use modicum_server::verify::{verify, Rules};
use modicum_wire::envelope::{self, Aead, CollectorKey};
use modicum_wire::{self as wire, Batch, BatchMeta, Limits, WireEvent, WireValue};
use modicum_wire::{Basis, Category};
use support::{current, good, install, now_ms, post, previous, seal, start};

/// Every kind of value, a generalized address, and a second category and basis.
fn handmade() -> Batch {
    let text = |s: &str| WireValue::Text(s.into());
    Batch {
        meta: BatchMeta {
            app_id: "com.example.notes".into(),
            install: Some(install(77)),
            sdk_version: "modicum-ios/0.1.0".into(),
            created_at_ms: now_ms(),
            device: BTreeMap::from([
                ("os".into(), text("iOS")),
                ("network".into(), text("198.51.100.0/24")),
                ("ram".into(), WireValue::Int(6 << 30)),
            ]),
        },
        events: vec![
            WireEvent {
                name: "note_saved".into(),
                category: Category::Analytics,
                basis: Basis::Consent,
                recorded_at_ms: 1_795_300_000_100,
                properties: BTreeMap::from([
                    ("words".into(), WireValue::Int(-3)),
                    ("ratio".into(), WireValue::Double(0.125)),
                    ("pinned".into(), WireValue::Bool(true)),
                    ("folder".into(), text("Travel – Ünïcode ✓")),
                ]),
            },
            WireEvent {
                name: "login_check".into(),
                category: Category::Essential,
                basis: Basis::Essential,
                recorded_at_ms: 1_795_300_000_200,
                properties: BTreeMap::from([
                    (
                        "area".into(),
                        WireValue::Location {
                            lat: 52.5,
                            lon: 13.4,
                        },
                    ),
                    ("server".into(), text("2001:db8:42::/48")),
                ]),
            },
        ],
    }
}

fn assert_stored(store: &SqliteStore, batch_id: &str, batch: &Batch) {
    let rows: Vec<_> = store
        .events()
        .unwrap()
        .into_iter()
        .filter(|row| row["batch_id"] == batch_id)
        .collect();
    assert_eq!(rows.len(), batch.events.len());
    for (row, event) in rows.iter().zip(&batch.events) {
        assert_eq!(
            row["install"],
            serde_json::to_value(&batch.meta.install).unwrap()
        );
        assert_eq!(row["name"], &*event.name);
        assert_eq!(row["category"], event.category.name());
        assert_eq!(row["basis"], serde_json::to_value(event.basis).unwrap());
        assert_eq!(row["recorded_at_ms"], event.recorded_at_ms);
        assert_eq!(
            row["properties"],
            serde_json::to_value(&event.properties).unwrap()
        );
    }
}

#[test]
fn through_the_library_with_keys_from_files() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = (
        tmp.path().join("collector.key"),
        tmp.path().join("collector.pub"),
    );
    KeyPair::generate()
        .unwrap()
        .write_files(&private, &public)
        .unwrap();
    let ring = KeyRing::new([KeyPair::read_private(&private).unwrap()]);
    // The app is configured with the public file only.
    let key = CollectorKey::from_public_bytes(&read_public(&public).unwrap()).unwrap();
    let store = SqliteStore::open(&tmp.path().join("ingest.sqlite3")).unwrap();

    for (batch, aead) in [
        (good(1, 50), Aead::Aes128Gcm),
        (good(2, 3), Aead::ChaCha20Poly1305),
        (handmade(), Aead::ChaCha20Poly1305),
    ] {
        let payload = wire::encode(&batch).unwrap();
        let count = u32::try_from(batch.events.len()).unwrap();
        let sealed = envelope::seal(&key, aead, &payload, count, 9).unwrap();
        let opened = open_batch(&ring, &sealed.bytes, Limits::default()).unwrap();
        assert_eq!(opened.batch, batch);
        assert_eq!(opened.batch_id, sealed.id.to_string());
        assert_eq!(verify(&opened.batch, &Rules::at(now_ms())), Ok(()));
        assert_eq!(store.insert(&opened, 10).unwrap(), Inserted::New);
        assert_eq!(store.insert(&opened, 11).unwrap(), Inserted::Duplicate);
        assert_stored(&store, &opened.batch_id, &batch);
    }
    assert_eq!(store.batch_count().unwrap(), 3);
    assert_eq!(
        store.events_by_category().unwrap().values().sum::<u64>(),
        50 + 3 + 2
    );
    assert_eq!(store.events_by_category().unwrap()["essential"], 1);
    for needle in [
        "Travel – Ünïcode ✓",
        "198.51.100.0/24",
        "com.example.notes",
        "iOS",
    ] {
        assert!(store.contains_text(needle).unwrap(), "{needle}");
    }
}

#[test]
fn over_http_under_either_live_key() {
    let (server, store) = start(|_| {});
    let health = support::send(&server.url(), "GET", "/v1/health", b"");
    assert_eq!(
        (health.status, health.body["status"].as_str()),
        (200, Some("ok"))
    );

    let batch = good(1, 40);
    let answer = post(&server, "/v1/batches", &seal(&current(), &batch));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(answer.body["status"], "accepted");
    assert_eq!(answer.body["events"], 40);
    let first_id = answer.body["batch_id"].as_str().unwrap().to_owned();
    assert_eq!(first_id.len(), 32);
    assert_stored(&store, &first_id, &batch);

    // Apps not yet updated still seal to last year's key.
    let old = handmade();
    let answer = post(&server, "/v1/batches", &seal(&previous(), &old));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_stored(&store, answer.body["batch_id"].as_str().unwrap(), &old);

    // Once the old key is retired, its batches are 401 with the key id named.
    let retired = Arc::new(SqliteStore::in_memory().unwrap());
    let mut config = ServerConfig::new(KeyRing::new([current()]), retired.clone());
    config.addr = "127.0.0.1:0".parse().unwrap();
    let rotated = service::spawn(config).unwrap();
    let answer = post(&rotated, "/v1/batches", &seal(&previous(), &old));
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["error"], "unknown_key");
    let old_id = previous().key_id().to_string();
    assert!(answer.body["reason"].as_str().unwrap().contains(&old_id));
    assert_eq!(retired.batch_count().unwrap(), 0);
    rotated.stop().unwrap();

    let stats = server.stats();
    assert_eq!((stats.accepted, stats.events_stored), (2, 42));
    assert_eq!(store.batch_count().unwrap(), 2);
    server.stop().unwrap();
}
