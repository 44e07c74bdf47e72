//! Deletion end to end over real HTTP on 127.0.0.1: a device's `delete_all` reaches the
//! reference server as a sealed request whose tokens hash to the install pseudonyms its
//! batches named, so exactly its data goes; another device's stays; a captured batch of the
//! deleted install replayed afterwards is refused with 410.

#[path = "../src/uploader.rs"]
mod uploader;

use std::sync::Arc;
use std::time::Duration;

use modicum_core::envelope::CollectorKey;
use modicum_core::upload::{Conditions, Endpoint, NextUpload, Uploader};
use modicum_core::{Category, Config, Event, Modicum, Value};
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::service::{self, RunningServer, ServerConfig};
use modicum_server::store::{SqliteStore, Store};
use uploader::HttpUploader;

fn device(dir: &std::path::Path, pair: &KeyPair, server: &RunningServer) -> Modicum {
    let mut config = Config::new(dir, "dev.modicum.deletion");
    config.collector = Some(CollectorKey::from_public_bytes(pair.public_bytes()).unwrap());
    config.upload.endpoints = vec![Endpoint {
        region: "default".into(),
        url: server.url(),
    }];
    let m = Modicum::start(config).unwrap();
    for category in [Category::Analytics, Category::Identifiers] {
        m.set_consent(category, true).unwrap();
    }
    m
}

/// Everything the device hands out, sent until it is idle; the bodies sent, in order.
fn upload_all(m: &Modicum, uploader: &HttpUploader) -> Vec<(String, Vec<u8>)> {
    let mut sent = Vec::new();
    loop {
        match m.next_upload(Conditions::ideal()).unwrap() {
            NextUpload::Send(request) => {
                let outcome = uploader.upload(&request);
                sent.push((request.url.clone(), request.body.clone()));
                m.upload_finished(&request.id, outcome).unwrap();
            }
            NextUpload::Idle => return sent,
            NextUpload::Wait { reason, .. } => panic!("waiting: {reason:?}"),
        }
    }
}

#[test]
fn a_devices_deletion_is_proven_and_takes_only_its_data() {
    let tmp = tempfile::tempdir().unwrap();
    let pair = KeyPair::derive(b"deletion e2e collector");
    let store = Arc::new(SqliteStore::in_memory().unwrap());
    let mut config = ServerConfig::new(
        KeyRing::new([KeyPair::derive(b"deletion e2e collector")]),
        Arc::<SqliteStore>::clone(&store),
    );
    config.addr = "127.0.0.1:0".parse().unwrap();
    let server = service::spawn(config).unwrap();
    let uploader = HttpUploader::new(Duration::from_secs(10));

    let leaving = device(&tmp.path().join("leaving"), &pair, &server);
    let staying = device(&tmp.path().join("staying"), &pair, &server);
    for (m, name) in [(&leaving, "leaving"), (&staying, "staying")] {
        for i in 0..30 {
            m.record(Event::new(name).with("seq", Value::Int(i)))
                .unwrap();
        }
        m.seal_now(Duration::from_secs(5)).unwrap();
    }
    let captured = upload_all(&leaving, &uploader);
    upload_all(&staying, &uploader);
    assert_eq!(store.events().unwrap().len(), 60);
    let leaving_install = leaving.install_pseudonym().unwrap();

    let request = leaving.delete_all().unwrap();
    assert!(request.install_pseudonyms.contains(&leaving_install));
    let sent = upload_all(&leaving, &uploader);
    assert_eq!(sent.len(), 1, "one deletion request");
    assert!(sent[0].0.ends_with("/v1/deletions"));
    // Sealed: nothing in it reads as the pseudonym it proves.
    let needle = leaving_install.as_bytes();
    assert!(!sent[0].1.windows(needle.len()).any(|w| w == needle));

    let events = store.events().unwrap();
    assert_eq!(events.len(), 30);
    assert!(events.iter().all(|e| e["name"] == "staying"));
    assert_eq!(store.tombstone_count().unwrap(), 1);
    let stats = server.stats();
    // Every pseudonym of the retention window is proven; the current one had the data.
    let named = request.install_pseudonyms.len() as u64;
    assert_eq!(
        (stats.deletions, stats.proven, stats.unproven),
        (1, named, 0)
    );
    assert!(
        leaving.export().unwrap().deletion_requests.is_empty(),
        "delivered"
    );

    // A captured batch of the deleted install, replayed, is not stored again.
    for (url, body) in &captured {
        let replay = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .new_agent()
            .post(url)
            .send(&body[..])
            .unwrap();
        assert_eq!(replay.status().as_u16(), 410);
    }
    assert_eq!(store.events().unwrap().len(), 30);
}
