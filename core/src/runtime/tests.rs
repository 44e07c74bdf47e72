use super::*;
use crate::consent::Loaded;
use crate::journal::DATA_KEY_NAME;
use crate::secret_store::FileSecretStore;
use crate::secret_store::SecretStore;
use crate::{AgeBand, DataClass, Value};

const WAIT: Duration = Duration::from_secs(10);

fn config(dir: &std::path::Path) -> Config {
    Config::new(dir.join("modicum"), "com.example.app")
}

fn started() -> (tempfile::TempDir, Modicum) {
    let tmp = tempfile::tempdir().unwrap();
    let m = Modicum::start(config(tmp.path())).unwrap();
    (tmp, m)
}

fn held_json(m: &Modicum) -> serde_json::Value {
    serde_json::from_str(&m.held_json().unwrap()).unwrap()
}

#[test]
fn start_rejects_an_unusable_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("f");
    std::fs::write(&file, b"").unwrap();
    let err = Modicum::start(Config::new(file, "a")).unwrap_err();
    assert!(matches!(err, Error::StorageUnusable { .. }));
}

#[test]
fn consent_gates_what_is_held() {
    let (_tmp, m) = started();
    assert_eq!(m.record(Event::new("before")), Ok(false));
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(
        m.record(Event::new("after").with("who", Value::Text("bo@example.com".into()))),
        Ok(true)
    );
    let held = held_json(&m);
    assert_eq!(held.as_array().unwrap().len(), 1);
    assert_eq!(held[0]["name"], "after");
    assert_eq!(held[0]["properties"]["who"], "[email]");
    assert_eq!(m.recent_traces().len(), 1);
    assert_eq!(
        m.ledger().get(Category::Analytics, LedgerEntry::Collected),
        2
    );
    assert_eq!(
        m.ledger()
            .get(Category::Analytics, LedgerEntry::DroppedForConsent),
        1
    );
    assert_eq!(
        m.ledger().get(Category::Analytics, LedgerEntry::PiiRemoved),
        1
    );
}

#[test]
fn grant_record_withdraw_record() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    let with_id =
        Event::new("a").with_class("id", Value::Text("install-1".into()), DataClass::IdInstall);
    assert_eq!(m.record(with_id), Ok(true));
    m.set_consent(Category::Identifiers, false).unwrap();
    assert_eq!(
        m.held().unwrap()[0].properties().len(),
        0,
        "the hashed id goes with the identifiers grant"
    );
    m.set_consent(Category::Analytics, false).unwrap();
    assert!(m.held().unwrap().is_empty());
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Purged), 1);
    assert_eq!(
        m.record(Event::new("b")),
        Ok(false),
        "withdrawal applies to the next record"
    );
}

#[test]
fn flushed_events_and_consent_survive_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let m = Modicum::start(config(tmp.path())).unwrap();
        assert_eq!(m.recovered().unwrap().consent, Loaded::Fresh);
        m.agree_to_version(2).unwrap();
        m.set_consent(Category::Analytics, true).unwrap();
        for i in 0..50 {
            m.record(Event::new("e").with("i", Value::Int(i))).unwrap();
        }
        m.flush(WAIT).unwrap();
        std::mem::forget(m); // no shutdown: as if the process died right after flush
    }
    let m = Modicum::start(config(tmp.path())).unwrap();
    assert_eq!(m.recovered().unwrap().consent, Loaded::Restored);
    assert_eq!(m.recovered().unwrap().events, 50);
    assert_eq!(m.consent().version(), 2);
    assert_eq!(m.permitted(), vec![Category::Analytics]);
    let held = m.held().unwrap();
    let ids: Vec<_> = held
        .iter()
        .map(|e| {
            serde_json::to_value(e).unwrap()["properties"]["i"]
                .as_i64()
                .unwrap()
        })
        .collect();
    assert_eq!(ids, (0..50).collect::<Vec<_>>());
}

#[test]
fn pseudonyms_are_stable_across_restarts_of_one_install() {
    let tmp = tempfile::tempdir().unwrap();
    let id_event =
        Event::new("a").with_class("id", Value::Text("install-1".into()), DataClass::IdInstall);
    let pseudonym = |dir: &std::path::Path| {
        let m = Modicum::start(config(dir)).unwrap();
        m.set_consent(Category::Analytics, true).unwrap();
        m.set_consent(Category::Identifiers, true).unwrap();
        m.record(id_event.clone()).unwrap();
        let held = m.held().unwrap();
        serde_json::to_value(held.last().unwrap()).unwrap()["properties"]["id"].clone()
    };
    assert_eq!(pseudonym(tmp.path()), pseudonym(tmp.path()));
    let other = tempfile::tempdir().unwrap();
    assert_ne!(
        pseudonym(other.path()),
        pseudonym(tmp.path()),
        "installs differ"
    );
}

#[test]
fn becoming_a_child_without_guardian_purges_what_is_no_longer_allowed() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    m.record(Event::new("tap")).unwrap();
    m.set_age(AgeBand::Child, false).unwrap();
    assert!(m.held().unwrap().is_empty());
}

#[test]
fn invalid_events_and_unknown_categories_are_errors() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(m.record(Event::new("")), Err(Error::EmptyEventName));
    assert_eq!(
        m.set_consent_by_name("telepathy", true).err(),
        Some(Error::UnknownCategory {
            name: "telepathy".into()
        })
    );
    assert_eq!(
        m.set_consent(Category::Essential, true).err(),
        Some(Error::EssentialIsDeclared)
    );
    assert!(m.held().unwrap().is_empty());
}

#[test]
fn a_full_queue_drops_and_counts_and_nothing_is_lost_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = config(tmp.path());
    config.queue_capacity = 4;
    let m = Modicum::start(config).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    let queued = (0..5_000)
        .filter(|&i| m.record(Event::new("e").with("i", Value::Int(i))).unwrap())
        .count() as u64;
    m.flush(WAIT).unwrap();
    let ledger = m.ledger();
    let full = ledger.get(Category::Analytics, LedgerEntry::DroppedQueueFull);
    assert_eq!(
        ledger.get(Category::Analytics, LedgerEntry::Collected),
        5_000
    );
    assert_eq!(queued + full, 5_000);
    assert_eq!(ledger.get(Category::Analytics, LedgerEntry::Kept), queued);
    assert_eq!(m.held().unwrap().len() as u64, queued);
}

#[test]
fn bulk_recording_waits_for_room_instead_of_dropping() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = config(tmp.path());
    config.queue_capacity = 4;
    let m = Modicum::start(config).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    let queued = (0..2_000)
        .filter(|&i| {
            m.record_waiting(
                Event::new("e").with("i", Value::Int(i)),
                Instant::now() + WAIT,
            )
            .unwrap()
        })
        .count();
    assert_eq!(queued, 2_000);
    m.flush(WAIT).unwrap();
    let ledger = m.ledger();
    assert_eq!(
        ledger.get(Category::Analytics, LedgerEntry::DroppedQueueFull),
        0
    );
    assert_eq!(m.held().unwrap().len(), 2_000);
    // With no time to wait it drops and counts, as `record` does.
    m.shutdown(WAIT).unwrap();
    assert!(!m
        .record_waiting(
            Event::new("late"),
            Instant::now() + Duration::from_millis(1)
        )
        .unwrap());
}

#[test]
fn shutdown_drains_and_later_records_are_counted() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    for _ in 0..100 {
        m.record(Event::new("e")).unwrap();
    }
    m.shutdown(WAIT).unwrap();
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Kept), 100);
    assert_eq!(m.record(Event::new("late")), Ok(false));
    assert_eq!(
        m.ledger()
            .get(Category::Analytics, LedgerEntry::DroppedQueueFull),
        1
    );
}

#[test]
fn usable_from_many_threads() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    std::thread::scope(|s| {
        for t in 0..4 {
            let m = &m;
            s.spawn(move || {
                for i in 0..100 {
                    m.record(Event::new(format!("t{t}")).with("i", Value::Int(i)))
                        .unwrap();
                }
            });
        }
    });
    assert_eq!(m.held().unwrap().len(), 400);
}

#[test]
fn export_holds_consent_history_events_ledger_and_decisions() {
    let (_tmp, m) = started();
    m.agree_to_version(1).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    m.record(Event::new("opened").with("note", Value::Text("hi ann@example.org".into())))
        .unwrap();
    let export: serde_json::Value = serde_json::from_str(&m.export_json().unwrap()).unwrap();
    assert_eq!(export["app_id"], "com.example.app");
    assert_eq!(export["consent"]["version"], 1);
    assert_eq!(export["consent"]["history"].as_array().unwrap().len(), 2);
    assert_eq!(export["permitted"], serde_json::json!(["analytics"]));
    assert_eq!(
        export["pending_events"][0]["properties"]["note"],
        "hi [email]"
    );
    assert_eq!(export["ledger"]["analytics"]["kept"], 1);
    assert_eq!(export["ledger"]["analytics"]["pii_removed"], 1);
    assert_eq!(
        export["recent_decisions"][0]["fields"][0]["action"],
        "scrub"
    );
    assert!(!export.to_string().contains("ann@example.org"));
}

#[test]
fn delete_all_leaves_nothing_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let storage = tmp.path().join("modicum");
    let m = Modicum::start(config(tmp.path())).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    let id_event = Event::new("secret-marker").with_class(
        "id",
        Value::Text("install-1".into()),
        DataClass::IdInstall,
    );
    m.record(id_event.clone()).unwrap();
    m.flush(WAIT).unwrap();
    let old_pseudonym = m.install_pseudonym().unwrap();
    let journal_before: Vec<std::path::PathBuf> = std::fs::read_dir(storage.join("journal"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let old_bytes: Vec<Vec<u8>> = journal_before
        .iter()
        .map(|p| std::fs::read(p).unwrap())
        .collect();

    let request = m.delete_all().unwrap();
    assert!(request.install_pseudonyms.contains(&old_pseudonym));
    assert_ne!(
        m.install_pseudonym().unwrap(),
        old_pseudonym,
        "identifiers were reset"
    );
    assert!(m.held().unwrap().is_empty());
    assert!(m.permitted().is_empty(), "consent is gone too");
    assert_eq!(m.consent().history().count(), 0);
    for path in &journal_before {
        assert!(!path.exists(), "{} survived", path.display());
    }
    // Even bytes that survived on the flash are unreadable: the key they were written under is gone.
    let journal_dir = tmp.path().join("restored");
    std::fs::create_dir_all(&journal_dir).unwrap();
    for (i, bytes) in old_bytes.iter().enumerate() {
        std::fs::write(
            journal_dir.join(format!("segment-{:016}.log", i + 1)),
            bytes,
        )
        .unwrap();
    }
    let key = crate::journal::DataKey::load_or_create(&FileSecretStore::new(storage.join("keys")))
        .unwrap();
    let (_j, contents) =
        crate::journal::Journal::open(crate::storage::Filesystem::shared(), &journal_dir, key)
            .unwrap();
    assert!(contents.events.is_empty());
    assert!(contents.unreadable > 0);
    // No collector received anything from this install, so no request waits for upload.
    let export = m.export().unwrap();
    assert!(export.deletion_requests.is_empty());
    // And the SDK keeps working.
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(m.record(Event::new("after")), Ok(true));
    assert_eq!(m.held().unwrap().len(), 1);
}

#[test]
fn reset_identifiers_makes_new_pseudonyms_unlinkable() {
    let (_tmp, m) = started();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Identifiers, true).unwrap();
    let id_event =
        Event::new("a").with_class("id", Value::Text("install-1".into()), DataClass::IdInstall);
    m.record(id_event.clone()).unwrap();
    m.reset_identifiers().unwrap();
    m.record(id_event).unwrap();
    let held = m.held().unwrap();
    let ids: Vec<_> = held
        .iter()
        .map(|e| serde_json::to_value(e).unwrap()["properties"]["id"].clone())
        .collect();
    assert_ne!(ids[0], ids[1]);
}

#[test]
fn events_past_retention_expire_at_start_and_are_counted() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let m = Modicum::start(config(tmp.path())).unwrap();
        m.set_consent(Category::Analytics, true).unwrap();
        m.record(Event::new("old")).unwrap();
        m.shutdown(WAIT).unwrap();
    }
    std::thread::sleep(Duration::from_millis(20));
    let mut short = config(tmp.path());
    short.retention = Duration::from_millis(10);
    let m = Modicum::start(short).unwrap();
    assert!(m.held().unwrap().is_empty());
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Expired), 1);
}

#[test]
fn the_ledger_survives_a_restart() {
    let tmp = tempfile::tempdir().unwrap();
    {
        let m = Modicum::start(config(tmp.path())).unwrap();
        m.set_consent(Category::Analytics, true).unwrap();
        for _ in 0..3 {
            m.record(Event::new("e")).unwrap();
        }
        m.flush(WAIT).unwrap();
        std::mem::forget(m);
    }
    let m = Modicum::start(config(tmp.path())).unwrap();
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Kept), 3);
    assert_eq!(
        m.ledger().get(Category::Analytics, LedgerEntry::Collected),
        3
    );
}

#[test]
fn retention_is_per_category_and_applies_to_sealed_batches_too() {
    let tmp = tempfile::tempdir().unwrap();
    let key = crate::envelope::CollectorKey::from_public_bytes(&[9; 32]).unwrap();
    {
        let mut c = config(tmp.path());
        c.collector = Some(key.clone());
        let m = Modicum::start(c).unwrap();
        m.set_consent(Category::Analytics, true).unwrap();
        m.set_consent(Category::Diagnostics, true).unwrap();
        m.record(Event::new("sealed_tap")).unwrap();
        m.seal_now(WAIT).unwrap();
        m.record(Event::new("tap")).unwrap();
        m.record(Event::new("net").in_category(Category::Diagnostics))
            .unwrap();
        m.shutdown(WAIT).unwrap();
        assert_eq!(m.outbox().len(), 1);
    }
    std::thread::sleep(Duration::from_millis(20));
    let mut c = config(tmp.path());
    c.collector = Some(key);
    c.retention_by_category
        .insert(Category::Analytics, Duration::from_millis(10));
    let m = Modicum::start(c).unwrap();
    let held = m.held().unwrap();
    assert_eq!(held.len(), 1);
    assert_eq!(
        held[0].category(),
        Category::Diagnostics,
        "diagnostics keep the default 90 days"
    );
    assert!(
        m.outbox().is_empty(),
        "the sealed analytics batch expired too"
    );
    assert_eq!(m.ledger().get(Category::Analytics, LedgerEntry::Expired), 2);
}

#[test]
fn without_a_collector_the_budget_evicts_journaled_analytics_first() {
    let tmp = tempfile::tempdir().unwrap();
    let mut config = config(tmp.path());
    config.policy = Policy::default().with_essential("crash reporting");
    config.storage_budget = 96 * 1024;
    let m = Modicum::start(config).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Diagnostics, true).unwrap();
    let text = "y".repeat(1_000);
    for i in 0..60 {
        for category in [
            Category::Essential,
            Category::Diagnostics,
            Category::Analytics,
        ] {
            m.record(
                Event::new("e")
                    .in_category(category)
                    .with("i", Value::Int(i))
                    .with("t", Value::Text(text.clone())),
            )
            .unwrap();
        }
    }
    m.flush(WAIT).unwrap();
    let journal: u64 = std::fs::read_dir(tmp.path().join("modicum/journal"))
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    assert!(journal <= 96 * 1024, "journal takes {journal} bytes");
    let held = held_json(&m);
    let count = |category: &str| {
        held.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["category"] == category)
            .count()
    };
    let evicted = |c| m.ledger().get(c, LedgerEntry::Evicted);
    assert_eq!(count("essential"), 60, "essential events are evicted last");
    assert!(evicted(Category::Analytics) > 0);
    assert_eq!(count("analytics") as u64 + evicted(Category::Analytics), 60);
    if evicted(Category::Diagnostics) > 0 {
        assert_eq!(
            count("analytics"),
            0,
            "diagnostics went while analytics stayed"
        );
    }
    // The oldest go first.
    let first_kept = held
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["category"] == "analytics")
        .map(|e| e["properties"]["i"].as_i64().unwrap());
    if let Some(i) = first_kept {
        assert_eq!(u64::try_from(i).unwrap(), evicted(Category::Analytics));
    }
}

/// A key store that fails to load `name` with `kind`, as a platform's can; otherwise files.
struct FailsToLoad {
    files: FileSecretStore,
    name: &'static str,
    kind: std::io::ErrorKind,
}

impl SecretStore for FailsToLoad {
    fn load(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        if name == self.name {
            return Err(std::io::Error::new(self.kind, "the key store said no"));
        }
        self.files.load(name)
    }
    fn save(&self, name: &str, secret: &[u8]) -> std::io::Result<()> {
        self.files.save(name, secret)
    }
    fn delete(&self, name: &str) -> std::io::Result<()> {
        self.files.delete(name)
    }
}

#[test]
fn a_damaged_secret_is_replaced_and_one_merely_unavailable_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let files = FileSecretStore::new(tmp.path().join("keys"));
    let start = |name, kind| {
        let store = FailsToLoad {
            files: files.clone(),
            name,
            kind,
        };
        let m = Modicum::start_with(config(tmp.path()), Providers::new(Arc::new(store)))?;
        let recovered = m.recovered()?;
        Ok::<_, Error>((m, recovered))
    };
    let (m, _) = start("none", std::io::ErrorKind::Other).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    m.record(Event::new("before")).unwrap();
    m.flush(WAIT).unwrap();
    m.shutdown(WAIT).unwrap();
    let stored = |name| files.load(name).unwrap().unwrap();
    let (data_key, install_secret) = (stored(DATA_KEY_NAME), stored(INSTALL_SECRET_NAME));

    // Unavailable for now: no start, and nothing replaced.
    for name in [DATA_KEY_NAME, INSTALL_SECRET_NAME] {
        let unavailable = start(name, std::io::ErrorKind::PermissionDenied);
        assert!(
            matches!(unavailable, Err(Error::StorageUnusable { .. })),
            "{name}"
        );
    }
    assert_eq!(stored(DATA_KEY_NAME), data_key);
    assert_eq!(stored(INSTALL_SECRET_NAME), install_secret);

    // Damaged for good: replaced, and telemetry goes on. The event under the old key cannot
    // be read and is counted as such.
    let (m, recovered) = start(DATA_KEY_NAME, std::io::ErrorKind::InvalidData).unwrap();
    assert_ne!(stored(DATA_KEY_NAME), data_key);
    assert_eq!(recovered.events, 0);
    assert!(recovered.unreadable_records > 0, "{recovered:?}");
    m.record(Event::new("after")).unwrap();
    m.flush(WAIT).unwrap();
    assert_eq!(held_json(&m)[0]["name"], "after");
    m.shutdown(WAIT).unwrap();

    let (_m, _) = start(INSTALL_SECRET_NAME, std::io::ErrorKind::InvalidData).unwrap();
    assert_ne!(stored(INSTALL_SECRET_NAME), install_secret);
}

/// A key store that answers only once the test releases it (or after 10 s).
#[derive(Default)]
struct HeldKeyStore {
    files: Mutex<Option<FileSecretStore>>,
    released: Mutex<bool>,
    release: std::sync::Condvar,
    answered: AtomicBool,
}

impl HeldKeyStore {
    fn wait(&self) {
        let released = self.released.lock().unwrap();
        let _ = self
            .release
            .wait_timeout_while(released, Duration::from_secs(10), |r| !*r)
            .unwrap();
    }

    fn files(&self) -> FileSecretStore {
        self.files.lock().unwrap().clone().unwrap()
    }
}

impl SecretStore for HeldKeyStore {
    fn load(&self, name: &str) -> std::io::Result<Option<Vec<u8>>> {
        self.wait();
        self.answered.store(true, Ordering::SeqCst);
        self.files().load(name)
    }
    fn save(&self, name: &str, secret: &[u8]) -> std::io::Result<()> {
        self.files().save(name, secret)
    }
    fn delete(&self, name: &str) -> std::io::Result<()> {
        self.files().delete(name)
    }
}

/// Loading or creating the secrets (a Keystore or Keychain call, possibly slow) happens on the
/// worker: `start` returns while the key store has not answered yet.
#[test]
fn start_does_not_wait_for_the_key_store() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(HeldKeyStore::default());
    *store.files.lock().unwrap() = Some(FileSecretStore::new(tmp.path().join("keys")));
    let m = Modicum::start_with(config(tmp.path()), Providers::new(store.clone())).unwrap();
    assert!(
        !store.answered.load(Ordering::SeqCst),
        "start waited for the key store"
    );
    // `record` works at once: the event waits in the queue for the worker.
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(m.record(Event::new("early")), Ok(true));
    *store.released.lock().unwrap() = true;
    store.release.notify_all();
    assert_eq!(m.recovered().unwrap().events, 0);
    assert_eq!(held_json(&m)[0]["name"], "early");
}

/// A change of consent never waits for the worker: with the worker held (by a key store
/// that has not answered) and the queue full, it applies at once and `record` sees it; it is
/// saved, and its handle settles, once the worker runs again.
#[test]
fn a_change_of_consent_applies_at_once_and_is_saved_when_the_worker_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(HeldKeyStore::default());
    *store.files.lock().unwrap() = Some(FileSecretStore::new(tmp.path().join("keys")));
    let mut held = config(tmp.path());
    held.queue_capacity = 2;
    let dir = held.storage_dir.clone();
    let m = Modicum::start_with(held, Providers::new(store.clone())).unwrap();
    let granted = m.set_consent(Category::Analytics, true).unwrap();
    // The queue fills: the later changes find no room for their wake-up message.
    while m.record(Event::new("queued")).unwrap() {}
    let started = Instant::now();
    let withdrawn = m.set_consent(Category::Analytics, false).unwrap();
    let aged = m.set_age(AgeBand::Minor, true).unwrap();
    assert!(started.elapsed() < Duration::from_millis(100), "it waited");
    assert_eq!(
        m.record(Event::new("after")),
        Ok(false),
        "record sees it at once"
    );
    assert_eq!(
        granted.outcome(),
        None,
        "nothing is saved while the worker is held"
    );
    assert_eq!(withdrawn.outcome(), None);
    assert!(!dir.join("consent.json").exists());

    *store.released.lock().unwrap() = true;
    store.release.notify_all();
    assert_eq!(withdrawn.wait(WAIT), Ok(()));
    assert_eq!(aged.wait(WAIT), Ok(()));
    assert_eq!(granted.outcome(), Some(Ok(())));
    // What was queued while granted is minimized under the withdrawal: nothing is held.
    assert!(m.held().unwrap().is_empty());
    m.shutdown(WAIT).unwrap();
    drop(m);
    let m = Modicum::start(config(tmp.path())).unwrap();
    assert!(!m.permitted().contains(&Category::Analytics));
    assert_eq!(m.consent().age(), AgeBand::Minor);
}

/// A change whose save fails still applies; its handle (and every listener) says so.
#[test]
fn a_change_that_cannot_be_saved_settles_with_the_error() {
    let tmp = tempfile::tempdir().unwrap();
    let config = config(tmp.path());
    let m = Modicum::start(config.clone()).unwrap();
    m.flush(WAIT).unwrap();
    // The consent file's place is taken by a directory: saving it fails.
    std::fs::create_dir_all(config.storage_dir.join("consent.json").join("x")).unwrap();
    let saving = m.set_consent(Category::Analytics, true).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    saving.on_settled(move |outcome| tx.send(outcome.clone()).unwrap());
    assert!(matches!(saving.wait(WAIT), Err(Error::Storage { .. })));
    assert!(matches!(
        rx.recv_timeout(WAIT),
        Ok(Err(Error::Storage { .. }))
    ));
    assert!(
        m.permitted().contains(&Category::Analytics),
        "it still applies"
    );
    assert!(m.storage_errors() > 0);
}

/// An event queued before a withdrawal is held to it even if the category is granted again
/// before the worker takes the event: what was recorded before a withdrawal never leaves.
/// The same holds for events a facade buffered and hands over later, with the epoch it read
/// when the app recorded them.
#[test]
fn an_event_queued_before_a_withdrawal_is_held_to_it_after_a_new_grant() {
    let tmp = tempfile::tempdir().unwrap();
    let store = Arc::new(HeldKeyStore::default());
    *store.files.lock().unwrap() = Some(FileSecretStore::new(tmp.path().join("keys")));
    let m = Modicum::start_with(config(tmp.path()), Providers::new(store.clone())).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    let buffered_at = m.consent_epoch();
    assert_eq!(m.record(Event::new("queued before")), Ok(true));
    m.set_consent(Category::Analytics, false).unwrap();
    assert!(m.consent_epoch() > buffered_at);
    m.set_consent(Category::Analytics, true).unwrap();
    assert_eq!(m.record(Event::new("after the new grant")), Ok(true));
    // A facade hands over what the app recorded before the withdrawal.
    let handed = m.record_many_as_of([Event::new("buffered before")], buffered_at);
    assert_eq!(handed, vec![Ok(true)]);
    *store.released.lock().unwrap() = true;
    store.release.notify_all();
    let held = held_json(&m);
    let names: Vec<_> = held
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["after the new grant"]);
}

/// A ledger saved by a release before the two alternating slots is read, moved into them and
/// removed; the counts survive later restarts.
#[test]
fn a_ledger_saved_in_the_old_single_file_is_carried_over() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("modicum");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join(LEGACY_LEDGER_FILE),
        br#"{"analytics": {"collected": 7, "kept": 5}}"#,
    )
    .unwrap();
    let m = Modicum::start(config(tmp.path())).unwrap();
    assert_eq!(
        m.ledger().get(Category::Analytics, LedgerEntry::Collected),
        7
    );
    m.shutdown(WAIT).unwrap();
    drop(m);
    assert!(!dir.join(LEGACY_LEDGER_FILE).exists());
    assert!(dir.join("ledger.0").exists() || dir.join("ledger.1").exists());
    let again = Modicum::start(config(tmp.path())).unwrap();
    assert_eq!(
        again.ledger().get(Category::Analytics, LedgerEntry::Kept),
        5
    );
    again.shutdown(WAIT).unwrap();
}
