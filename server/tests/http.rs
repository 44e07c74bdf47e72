//! The ingest service over real HTTP on 127.0.0.1: good batches stored once, hostile input
//! refused with the status the client's rules expect, and the server still serving after.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use modicum_core::envelope::{self, Aead, CollectorKey};
use modicum_core::wire::{self, sample, Batch, WireValue};
use modicum_server::faults::{Fault, FaultPlan};
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, RunningServer, ServerConfig};
use modicum_server::store::{SqliteStore, Store};

fn pair() -> KeyPair {
    KeyPair::derive(b"http test collector")
}

fn start(tweak: impl FnOnce(&mut ServerConfig)) -> (RunningServer, Arc<SqliteStore>) {
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let mut config = ServerConfig::new(
        KeyRing::new([pair(), KeyPair::derive(b"rotated key")]),
        Arc::clone(&store) as Arc<dyn Store>,
    );
    config.addr = "127.0.0.1:0".parse().unwrap();
    tweak(&mut config);
    (service::spawn(config).unwrap(), store)
}

fn seal_to(pair: &KeyPair, batch: &Batch) -> Vec<u8> {
    let key = CollectorKey::from_public_bytes(pair.public_bytes()).unwrap();
    let payload = wire::encode(batch).unwrap();
    envelope::seal(
        &key,
        Aead::Aes128Gcm,
        &payload,
        batch.events.len() as u32,
        1,
    )
    .unwrap()
    .bytes
}

fn good(seed: u64) -> Batch {
    let mut batch = sample::session(seed, 40);
    batch.meta.install = Some(format!("p1_{:032x}", seed));
    batch
}

fn post(server: &RunningServer, path: &str, body: &[u8]) -> (u16, Option<String>, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    let response = agent
        .post(format!("{}{path}", server.url()))
        .header(
            "Content-Type",
            if path.ends_with("deletions") {
                "application/json"
            } else {
                "application/octet-stream"
            },
        )
        .send(body)
        .unwrap();
    let status = response.status().as_u16();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let text = response.into_body().read_to_string().unwrap_or_default();
    (status, retry, text)
}

#[test]
fn good_batches_are_stored_once_under_either_live_key() {
    let (server, store) = start(|_| {});
    let body = seal_to(&pair(), &good(1));
    assert_eq!(post(&server, "/v1/batches", &body).0, 200);
    assert_eq!(
        post(&server, "/v1/batches", &body).0,
        409,
        "a retry is a duplicate"
    );
    let rotated = seal_to(&KeyPair::derive(b"rotated key"), &good(2));
    assert_eq!(post(&server, "/v1/batches", &rotated).0, 200);
    assert_eq!(store.batch_count().unwrap(), 2);
    assert_eq!(store.events().unwrap().len(), 80);
    let stats = server.stats();
    assert_eq!(
        (stats.accepted, stats.duplicates, stats.events_stored),
        (2, 1, 80)
    );
}

#[test]
fn hostile_input_gets_the_right_status_and_the_server_keeps_serving() {
    let (server, store) = start(|c| c.max_body = 64 * 1024);
    let body = seal_to(&pair(), &good(3));
    let mut tampered = body.clone();
    let last = tampered.len() - 20;
    tampered[last] ^= 0x40;
    let stranger = seal_to(&KeyPair::derive(b"someone else"), &good(4));
    let truncated = &body[..body.len() / 2];
    // A validly sealed envelope around bytes that are not a payload.
    let key = CollectorKey::from_public_bytes(pair().public_bytes()).unwrap();
    let garbage = envelope::seal(&key, Aead::Aes128Gcm, b"\x93\xa5hello\x01\x02", 0, 1)
        .unwrap()
        .bytes;
    // An inflate bomb: 64 MiB of zeros deflated to a few KiB, validly sealed.
    let mut bomb = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..64 {
        bomb.write_all(&vec![0u8; 1 << 20]).unwrap();
    }
    let bomb = envelope::seal(&key, Aead::Aes128Gcm, &bomb.finish().unwrap(), 1, 1)
        .unwrap()
        .bytes;
    let oversized = vec![7u8; 65 * 1024];
    let mut raw_email = good(5);
    raw_email.events[3]
        .properties
        .insert("note".into(), WireValue::Text("mail bo@example.com".into()));
    let mut full_ip = good(6);
    full_ip.meta.device = BTreeMap::from([("ip".into(), WireValue::Text("203.0.113.77".into()))]);
    let mut raw_install = good(7);
    raw_install.meta.install = Some("6f1c2a9e-3b7d-4c1e-9a2b-5d8e7f6a1b2c".into());

    for (name, body, expected) in [
        ("tampered", tampered, vec![400]),
        ("wrong key id", stranger, vec![401]),
        ("truncated", truncated.to_vec(), vec![400]),
        ("garbage MessagePack", garbage, vec![400]),
        ("inflate bomb", bomb, vec![400, 413]),
        ("oversized", oversized, vec![413]),
        ("raw email", seal_to(&pair(), &raw_email), vec![422]),
        ("full IP", seal_to(&pair(), &full_ip), vec![422]),
        ("raw install id", seal_to(&pair(), &raw_install), vec![422]),
        ("empty", Vec::new(), vec![400]),
    ] {
        let (status, _, text) = post(&server, "/v1/batches", &body);
        assert!(expected.contains(&status), "{name}: {status} {text}");
        assert!(
            text.contains("\"error\""),
            "{name}: a JSON error body, got {text}"
        );
        assert_eq!(
            post(
                &server,
                "/v1/batches",
                &seal_to(&pair(), &good(100 + status as u64))
            )
            .0,
            200,
            "after {name}"
        );
    }
    assert!(!store.contains_text("bo@example.com").unwrap());
    assert!(!store.contains_text("203.0.113.77").unwrap());
    assert_eq!(post(&server, "/v1/deletions", b"{not json").0, 400);
    assert_eq!(
        post(
            &server,
            "/v1/deletions",
            br#"{"install_pseudonyms":["bob"],"requested_at_ms":1}"#
        )
        .0,
        400
    );
}

#[test]
fn rate_limits_overload_and_scripted_faults() {
    let plan = Arc::new(FaultPlan::script([
        Fault::Status(500),
        Fault::RetryAfter {
            status: 429,
            seconds: 7,
        },
    ]));
    let (server, _) = start(|c| {
        c.burst = 2;
        c.rate_per_minute = 1;
        c.faults = Some(Arc::clone(&plan));
    });
    let body = |seed| seal_to(&pair(), &good(seed));
    assert_eq!(post(&server, "/v1/batches", &body(1)).0, 500);
    let (status, retry, _) = post(&server, "/v1/batches", &body(1));
    assert_eq!((status, retry.as_deref()), (429, Some("7")));
    // The same install (good() names installs by seed): two in a burst, then 429.
    let same = |n: u64| {
        let mut b = good(50);
        b.meta.created_at_ms = n;
        seal_to(&pair(), &b)
    };
    assert_eq!(post(&server, "/v1/batches", &same(1)).0, 200);
    assert_eq!(post(&server, "/v1/batches", &same(2)).0, 200);
    let (status, retry, _) = post(&server, "/v1/batches", &same(3));
    assert_eq!(status, 429);
    assert!(retry.unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(
        post(&server, "/v1/batches", &body(51)).0,
        200,
        "other installs go on"
    );

    // Overload: hold the only slot with a slow request, and the next is told to come back.
    let plan = Arc::new(FaultPlan::script([Fault::Delay(Duration::from_millis(
        1500,
    ))]));
    let (server, _) = start(|c| {
        c.max_in_flight = 1;
        c.faults = Some(Arc::clone(&plan));
    });
    let url = server.url();
    let slow = std::thread::spawn({
        let body = body(60);
        move || {
            let agent: ureq::Agent = ureq::Agent::config_builder()
                .http_status_as_error(false)
                .build()
                .into();
            agent
                .post(format!("{url}/v1/batches"))
                .send(&body[..])
                .unwrap()
                .status()
                .as_u16()
        }
    });
    std::thread::sleep(Duration::from_millis(300));
    let (status, retry, _) = post(&server, "/v1/batches", &body(61));
    assert_eq!((status, retry.as_deref()), (503, Some("1")));
    assert_eq!(slow.join().unwrap(), 200, "the slow one still succeeds");
}

#[test]
fn a_deletion_request_removes_that_install_and_no_one_else() {
    let (server, store) = start(|_| {});
    for seed in [1, 2] {
        assert_eq!(
            post(&server, "/v1/batches", &seal_to(&pair(), &good(seed))).0,
            200
        );
    }
    let request = format!(
        r#"{{"install_pseudonyms":["p1_{:032x}"],"requested_at_ms":5}}"#,
        1
    );
    let (status, _, text) = post(&server, "/v1/deletions", request.as_bytes());
    assert_eq!(status, 200, "{text}");
    let events = store.events().unwrap();
    assert_eq!(events.len(), 40);
    assert!(events
        .iter()
        .all(|e| e["install"] == format!("p1_{:032x}", 2)));
    assert_eq!(store.batch_count().unwrap(), 1);
}
