//! `delete_all` killed at every write it makes: after the restart, either nothing of the
//! erasure happened (the process died before it began) or all of it did, and the deletion
//! request owed to the collector that received data is queued with the pseudonyms it held.

mod support;

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use modicum_core::upload::{Conditions, Endpoint, NextUpload, UploadOutcome};
use modicum_core::{Category, Config, Event, Modicum, Providers, Value};
use support::faults::{Faults, FaultyStorage, KeyStore, LifeKeys};

const WAIT: Duration = Duration::from_secs(10);

fn start(dir: &std::path::Path, keys: &Arc<KeyStore>) -> (Modicum, Arc<Faults>) {
    let (_, key) = support::collector(b"erasure");
    let mut config = Config::new(dir.join("store"), "dev.modicum.erasure");
    config.collector = Some(key);
    config.upload.endpoints = vec![Endpoint {
        region: "default".into(),
        url: "http://127.0.0.1:9".into(),
    }];
    let faults = Faults::new();
    *keys.faults.lock().unwrap() = Some(Arc::clone(&faults));
    let mut providers = Providers::new(Arc::new(LifeKeys(Arc::clone(keys))));
    providers.storage = Arc::new(FaultyStorage(Arc::clone(&faults)));
    (Modicum::start_with(config, providers).unwrap(), faults)
}

fn ok() -> UploadOutcome {
    UploadOutcome::Response {
        status: 200,
        retry_after: None,
    }
}

/// Grants, uploads one batch (so the region is owed a deletion request), and leaves more in
/// the journal and the outbox.
fn prepare(m: &Modicum) {
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    m.record(Event::new("uploaded").with("i", Value::Int(1)))
        .unwrap();
    m.seal_now(WAIT).unwrap();
    let NextUpload::Send(request) = m.next_upload(Conditions::ideal()).unwrap() else {
        panic!("a batch to upload");
    };
    m.upload_finished(&request.id, ok()).unwrap();
    m.record(Event::new("sealed")).unwrap();
    m.seal_now(WAIT).unwrap();
    m.record(Event::new("journaled")).unwrap();
    m.flush(WAIT).unwrap();
}

#[test]
fn an_erasure_killed_at_any_write_is_finished_at_the_next_start() {
    // How many writes a whole erasure makes, counted on an undisturbed run.
    let writes = {
        let tmp = tempfile::tempdir().unwrap();
        let keys = Arc::new(KeyStore::default());
        let (m, faults) = start(tmp.path(), &keys);
        prepare(&m);
        let before = faults.writes.load(Ordering::SeqCst);
        m.delete_all().unwrap();
        faults.writes.load(Ordering::SeqCst) - before
    };
    assert!(writes > 10, "{writes}");
    let mut begun_before = false;
    for die_at in 0..=writes {
        for torn in [false, true] {
            let tmp = tempfile::tempdir().unwrap();
            let keys = Arc::new(KeyStore::default());
            let (m, faults) = start(tmp.path(), &keys);
            prepare(&m);
            let pseudonym = m.install_pseudonym().unwrap();
            faults.torn.store(torn, Ordering::SeqCst);
            faults.die_at.store(
                faults.writes.load(Ordering::SeqCst) + die_at,
                Ordering::SeqCst,
            );
            let erased = m.delete_all();
            faults.kill();
            drop(m);

            let (m, _) = start(tmp.path(), &keys);
            let recovered = m.recovered().unwrap();
            let case = format!("killed at write {die_at} of {writes} (torn: {torn})");
            assert_eq!(erased.is_ok(), die_at == writes, "{case}");
            // All or nothing: once a death leaves it begun (its marker in place), it is finished
            // at the start, and so for every later death too.
            let began = m.held().unwrap().is_empty();
            assert!(
                !recovered.finished_erasure || began,
                "{case}: the start said it finished an erasure that is not done"
            );
            assert!(
                began || !begun_before,
                "{case}: an earlier death had begun it"
            );
            begun_before |= began;
            if !began {
                // Died before the marker was in place: nothing happened, and the app was told.
                assert!(!m.held().unwrap().is_empty(), "{case}");
                assert_eq!(m.install_pseudonym().unwrap(), pseudonym, "{case}");
                assert!(m.export().unwrap().deletion_requests.is_empty(), "{case}");
                continue;
            }
            assert!(m.held().unwrap().is_empty(), "{case}");
            assert!(m.outbox().is_empty(), "{case}");
            assert!(m.permitted().is_empty(), "{case}");
            assert_ne!(m.install_pseudonym().unwrap(), pseudonym, "{case}");
            let requests = m.export().unwrap().deletion_requests;
            assert_eq!(requests.len(), 1, "{case}");
            assert!(
                requests[0].install_pseudonyms.contains(&pseudonym),
                "{case}"
            );
            // And it goes out, whatever the (now empty) consent says.
            let NextUpload::Send(request) = m.next_upload(Conditions::ideal()).unwrap() else {
                panic!("{case}: the deletion request is not handed out");
            };
            assert!(request.url.ends_with("/v1/deletions"), "{case}");
        }
    }
}
