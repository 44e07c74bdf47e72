//! A withdrawal holds at every exit: when its removal fails on storage, when the category is
//! granted again before the removal could run, and when the process dies between saving the
//! withdrawal and removing the data.

mod support;

use std::sync::Arc;
use std::time::Duration;

use modicum_core::consent::ConsentStore;
use modicum_core::envelope::CollectorKey;
use modicum_core::storage::Filesystem;
use modicum_core::upload::{Conditions, Endpoint, NextUpload};
use modicum_core::{Category, Config, Event, LedgerEntry, Modicum, Providers, Value};
use support::faults::{Faults, FaultyStorage, KeyStore, LifeKeys};

const WAIT: Duration = Duration::from_secs(10);

fn config(dir: &std::path::Path, key: CollectorKey) -> Config {
    let mut config = Config::new(dir.join("store"), "dev.modicum.withdrawal");
    config.collector = Some(key);
    config.upload.endpoints = vec![Endpoint {
        region: "default".into(),
        url: "http://127.0.0.1:9".into(),
    }];
    config
}

fn start(
    dir: &std::path::Path,
    key: &CollectorKey,
    keys: &Arc<KeyStore>,
) -> (Modicum, Arc<Faults>) {
    let faults = Faults::new();
    let mut providers = Providers::new(Arc::new(LifeKeys(Arc::clone(keys))));
    providers.storage = Arc::new(FaultyStorage(Arc::clone(&faults)));
    let m = Modicum::start_with(config(dir, key.clone()), providers).unwrap();
    (m, faults)
}

fn record_and_seal(m: &Modicum, n: i64) {
    for i in 0..n {
        m.record(Event::new("tap").with("i", Value::Int(i)))
            .unwrap();
    }
    m.seal_now(WAIT).unwrap();
}

/// The names of the events the next request would carry (opened as the collector would).
fn next_batch(m: &Modicum, private: &support::PrivateKey) -> Option<Vec<String>> {
    match m.next_upload(Conditions::ideal()).unwrap() {
        NextUpload::Send(request) => {
            let batch = support::open_batch(private, &request.body);
            Some(
                batch
                    .events
                    .into_iter()
                    .map(|e| e.name.to_string())
                    .collect(),
            )
        }
        _ => None,
    }
}

#[test]
fn a_removal_that_failed_runs_at_the_next_round_and_a_new_grant_does_not_undo_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = support::collector(b"withdrawal");
    let keys = Arc::new(KeyStore::default());
    let (m, faults) = start(tmp.path(), &key, &keys);
    m.set_consent(Category::Analytics, true).unwrap();
    record_and_seal(&m, 3);
    assert_eq!(m.outbox().len(), 1);

    // The consent file saves; removing the sealed batch fails (counted, and retried later).
    *faults.fail_paths.lock().unwrap() = Some(("outbox".into(), libc::EIO));
    let errors = m.storage_errors();
    let saving = m.set_consent(Category::Analytics, false).unwrap();
    assert_eq!(saving.wait(WAIT), Ok(()), "the withdrawal itself is saved");
    // Through the worker's queue, so the removal has been tried by then.
    let _ = m.flush(WAIT);
    assert_eq!(m.outbox().len(), 1, "the removal failed");
    assert!(m.storage_errors() > errors);
    *faults.fail_paths.lock().unwrap() = None;

    // Granted again before anything retried the removal: what was recorded before the
    // withdrawal still never leaves, and is removed at the hand-out.
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(next_batch(&m, &private), None);
    assert!(m.outbox().is_empty());
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Purged), 3);

    // What is recorded after the new grant goes out as usual.
    m.record(Event::new("after")).unwrap();
    m.seal_now(WAIT).unwrap();
    assert_eq!(next_batch(&m, &private), Some(vec!["after".to_owned()]));
}

#[test]
fn a_withdrawal_saved_by_a_process_that_died_before_removing_is_finished_at_start() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = support::collector(b"withdrawal");
    let keys = Arc::new(KeyStore::default());
    let (m, faults) = start(tmp.path(), &key, &keys);
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    record_and_seal(&m, 2);
    // Also held in the journal, not yet sealed.
    m.record(Event::new("journaled")).unwrap();
    m.flush(WAIT).unwrap();
    // The process dies right after the withdrawal is saved: the removal never runs.
    *faults.fail_paths.lock().unwrap() = Some(("journal".into(), libc::EIO));
    let saving = m.set_consent(Category::Analytics, false).unwrap();
    assert_eq!(saving.wait(WAIT), Ok(()));
    // The failed removal is tried, and the ledger saved, before the process dies: the events
    // removed at start must still be counted once.
    let _ = m.flush(WAIT);
    faults.kill();
    drop(m);
    assert_eq!(
        std::fs::read_dir(tmp.path().join("store/outbox"))
            .unwrap()
            .count(),
        1,
        "the sealed batch outlived the process"
    );

    let (m, _) = start(tmp.path(), &key, &keys);
    assert!(m.outbox().is_empty(), "removed at start");
    assert!(m.held().unwrap().is_empty());
    assert_eq!(next_batch(&m, &private), None);
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Purged), 3);
}

/// The same, with the consent file written as a process that died after saving it would have
/// left it, and a core that never saw the withdrawal.
#[test]
fn a_saved_withdrawal_is_reconciled_at_start_even_if_this_process_never_saw_it() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = support::collector(b"withdrawal");
    let keys = Arc::new(KeyStore::default());
    let (m, _) = start(tmp.path(), &key, &keys);
    m.set_consent(Category::Analytics, true).unwrap();
    record_and_seal(&m, 2);
    drop(m);

    let store = ConsentStore::in_dir(Filesystem::shared(), &tmp.path().join("store"));
    let (mut consent, _) = store.load().unwrap();
    consent
        .set(Category::Analytics, false, u64::MAX / 2)
        .unwrap();
    consent.note_withdrawn(Category::Analytics, u64::MAX / 2);
    store.save(&consent).unwrap();

    let (m, _) = start(tmp.path(), &key, &keys);
    assert!(m.outbox().is_empty());
    assert_eq!(next_batch(&m, &private), None);
}
