//! Release health end to end on the device: sessions through foreground and background over
//! simulated days, the daily report (at most one per version and day, in a batch that names
//! no install and carries no device context), consent, erasure, and the sessions a process
//! leaves open.

mod support;

use std::sync::Arc;
use std::time::Duration;

use modicum_core::clock::ManualClock;
use modicum_core::health::{DAY_MS, HEALTH_EVENT};
use modicum_core::upload::{Conditions, NextUpload, UploadOutcome};
use modicum_core::wire::{Batch, WireValue};
use modicum_core::{Category, Config, DeviceInfo, Error, Event, Modicum, Providers};

const WAIT: Duration = Duration::from_secs(10);
const DAY: u64 = 20_400;
const DAY_NUMBER: i64 = 20_400;

fn at(day: u64, hour: u64) -> u64 {
    day * DAY_MS + hour * 3_600_000
}

struct Device {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    private: support::PrivateKey,
    collector: modicum_core::CollectorKey,
}

impl Device {
    fn new() -> Device {
        let (private, collector) = support::collector(b"release health");
        Device {
            dir: tempfile::tempdir().unwrap(),
            clock: Arc::new(ManualClock::at(at(DAY, 8))),
            private,
            collector,
        }
    }

    fn start(&self, version: &str) -> Modicum {
        let mut config = Config::new(self.dir.path().join("store"), "dev.modicum.health");
        config.collector = Some(self.collector.clone());
        config.app_version = Some(version.into());
        config.upload.endpoints = vec![modicum_core::Endpoint {
            region: "eu".into(),
            url: "http://127.0.0.1:9/v1/batches".into(),
        }];
        let mut providers = Providers::files_for(&config);
        providers.clock = self.clock.clone();
        Modicum::start_with(config, providers).unwrap()
    }

    /// Seals and hands out every batch, opened as the collector would.
    fn upload(&self, m: &Modicum) -> Vec<Batch> {
        m.seal_now(WAIT).unwrap();
        let mut batches = Vec::new();
        while let NextUpload::Send(request) = m.next_upload(Conditions::ideal()).unwrap() {
            batches.push(support::open_batch(&self.private, &request.body));
            let outcome = UploadOutcome::Response {
                status: 200,
                retry_after: None,
            };
            m.upload_finished(&request.id, outcome).unwrap();
        }
        batches
    }
}

fn int(batch_event: &modicum_core::wire::WireEvent, key: &str) -> i64 {
    match batch_event.properties.get(key) {
        Some(WireValue::Int(n)) => *n,
        other => panic!("{key}: {other:?}"),
    }
}

/// (version, day, sessions, ended, crashed, abnormal, crashed_today) of every report sent.
fn reports(batches: &[Batch]) -> Vec<(String, i64, i64, i64, i64, i64, bool)> {
    let mut found = Vec::new();
    for batch in batches {
        let health = batch.events.iter().filter(|e| &*e.name == HEALTH_EVENT);
        for e in health {
            assert_eq!(batch.meta.install, None, "a report never names the install");
            assert!(batch.meta.device.is_empty(), "nor describes the device");
            assert!(
                batch.events.iter().all(|e| &*e.name == HEALTH_EVENT),
                "reports travel apart from other events"
            );
            assert_eq!(e.category, Category::Diagnostics);
            let version = match e.properties.get("version") {
                Some(WireValue::Text(v)) => v.to_string(),
                other => panic!("version: {other:?}"),
            };
            let crashed_today = matches!(
                e.properties.get("crashed_today"),
                Some(WireValue::Bool(true))
            );
            found.push((
                version,
                int(e, "day") / i64::try_from(DAY_MS).unwrap(),
                int(e, "sessions"),
                int(e, "ended"),
                int(e, "crashed"),
                int(e, "abnormal"),
                crashed_today,
            ));
        }
    }
    found.sort();
    found
}

fn grant_all(m: &Modicum) {
    for category in [
        Category::Diagnostics,
        Category::Identifiers,
        Category::Analytics,
    ] {
        m.set_consent(category, true).unwrap();
    }
}

#[test]
fn sessions_are_counted_per_version_and_day_and_reported_once_the_day_is_over() {
    let device = Device::new();
    let m = device.start("1.0.0");
    grant_all(&m);
    m.set_device_info(DeviceInfo {
        model: Some("Pixel 8".into()),
        ..DeviceInfo::default()
    });
    // Day one: two sessions that end normally, one that hangs, one that crashes.
    for hour in [9, 12] {
        device.clock.set(at(DAY, hour));
        m.entered_foreground();
        m.entered_foreground(); // a second activity: the same session
        m.record(Event::new("tap")).unwrap();
        m.entered_background();
    }
    device.clock.set(at(DAY, 15));
    m.entered_foreground();
    m.record_hang(6_000, &["main".into()]).unwrap();
    m.entered_background();
    device.clock.set(at(DAY, 18));
    m.entered_foreground();
    m.record_crash(
        &modicum_core::collect::crash::CrashReport {
            kind: "java.lang.IllegalStateException".into(),
            message: "boom".into(),
            frames: vec![],
            thread: None,
            at_ms: at(DAY, 18),
        },
        WAIT,
    )
    .unwrap();
    m.flush(WAIT).unwrap();
    let counts = m.session_counts();
    assert_eq!(counts.len(), 1);
    // The user's copy of what is held includes them.
    assert_eq!(m.export().unwrap().session_counts, counts);
    let c = &counts[0];
    assert_eq!((c.started, c.ended, c.crashed, c.abnormal), (4, 2, 1, 1));
    // Nothing is reported while the day lasts.
    assert!(reports(&device.upload(&m)).is_empty());
    m.shutdown(WAIT).unwrap();
    drop(m);

    // Day two, after an update: the first session of the day sends day one's report.
    device.clock.set(at(DAY + 1, 9));
    let m = device.start("1.1.0");
    m.entered_foreground();
    m.entered_background();
    let sent = reports(&device.upload(&m));
    assert_eq!(sent, [("1.0.0".into(), DAY_NUMBER, 4, 2, 1, 1, true)]);
    // Sent once: neither a restart nor a new day sends it again.
    m.shutdown(WAIT).unwrap();
    drop(m);
    device.clock.set(at(DAY + 2, 9));
    let m = device.start("1.1.0");
    let sent = reports(&device.upload(&m));
    assert_eq!(sent, [("1.1.0".into(), DAY_NUMBER + 1, 1, 1, 0, 0, false)]);
    assert!(m.session_counts().is_empty());
    m.shutdown(WAIT).unwrap();
}

#[test]
fn a_process_that_dies_in_the_foreground_leaves_an_abnormal_session() {
    let device = Device::new();
    let m = device.start("2.0");
    grant_all(&m);
    m.entered_foreground();
    m.flush(WAIT).unwrap();
    // Dropped without going to the background: the process was killed in the foreground.
    drop(m);
    let m = device.start("2.0");
    let counts = m.session_counts();
    assert_eq!((counts[0].started, counts[0].abnormal), (1, 1));
    m.shutdown(WAIT).unwrap();
}

#[test]
fn no_session_is_counted_without_diagnostics_and_a_withdrawal_drops_the_counts() {
    let device = Device::new();
    let m = device.start("3.0");
    m.entered_foreground();
    m.entered_background();
    assert!(m.session_counts().is_empty(), "diagnostics not granted");
    grant_all(&m);
    m.entered_foreground();
    m.entered_background();
    m.flush(WAIT).unwrap();
    assert_eq!(m.session_counts().len(), 1);
    m.set_consent(Category::Diagnostics, false)
        .unwrap()
        .wait(WAIT)
        .unwrap();
    m.flush(WAIT).unwrap();
    assert!(m.session_counts().is_empty(), "withdrawn counts go");
    // Granted again later the same day: only what is counted from then on is reported.
    device.clock.set(at(DAY, 20));
    m.set_consent(Category::Diagnostics, true).unwrap();
    m.entered_foreground();
    m.entered_background();
    m.shutdown(WAIT).unwrap();
    drop(m);
    device.clock.set(at(DAY + 1, 9));
    let m = device.start("3.0");
    let sent = reports(&device.upload(&m));
    assert_eq!(sent, [("3.0".into(), DAY_NUMBER, 1, 1, 0, 0, false)]);
    m.shutdown(WAIT).unwrap();
}

#[test]
fn erasure_forgets_the_counts_and_apps_cannot_forge_a_report() {
    let device = Device::new();
    let m = device.start("4.0");
    grant_all(&m);
    m.entered_foreground();
    m.entered_background();
    m.flush(WAIT).unwrap();
    assert_eq!(m.session_counts().len(), 1);
    m.delete_all().unwrap();
    assert!(m.session_counts().is_empty());
    assert!(!device.dir.path().join("store/health.json").exists());
    assert_eq!(
        m.record(Event::new(HEALTH_EVENT).in_category(Category::Diagnostics)),
        Err(Error::ReservedEventName)
    );
    m.shutdown(WAIT).unwrap();
}

#[test]
fn a_damaged_book_starts_empty_and_is_counted() {
    let device = Device::new();
    let store = device.dir.path().join("store");
    std::fs::create_dir_all(&store).unwrap();
    std::fs::write(store.join("health.json"), b"{\"tallies\": [").unwrap();
    let m = device.start("5.0");
    assert!(m.storage_errors() >= 1);
    grant_all(&m);
    m.entered_foreground();
    m.flush(WAIT).unwrap();
    assert_eq!(m.session_counts()[0].started, 1);
    m.shutdown(WAIT).unwrap();
}
