//! The upload rules, driven through the pull model and the push helper against an in-process
//! collector that opens every batch with an independent HPKE implementation.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

mod support;

use modicum_core::envelope::{CollectorKey, Header};
use modicum_core::upload::{
    Conditions, Endpoint, NextUpload, UploadOutcome, UploadRequest, Uploader, WaitReason,
};
use modicum_core::{Category, Config, Event, LedgerEntry, Modicum, Policy, Value};
use support::{open_batch, PrivateKey};

const WAIT: Duration = Duration::from_secs(10);

/// A collector: stores each batch id once, answers 409 to a repeat, and can be scripted to
/// fail, to refuse large bodies, or to lose its answer.
struct Collector {
    private: PrivateKey,
    /// Events by name, as stored.
    stored: Mutex<HashMap<String, u32>>,
    batch_ids: Mutex<Vec<String>>,
    deletions: Mutex<u32>,
    /// Scripted answers for the next requests: a status and Retry-After, or `None` for a
    /// network error after the collector stored the batch (a lost response).
    script: Mutex<VecDeque<Scripted>>,
    max_body: usize,
    urls: Mutex<Vec<String>>,
}

impl Collector {
    fn new(private: PrivateKey) -> Collector {
        Collector {
            private,
            stored: Mutex::default(),
            batch_ids: Mutex::default(),
            deletions: Mutex::default(),
            script: Mutex::default(),
            max_body: usize::MAX,
            urls: Mutex::default(),
        }
    }

    fn script(&self, answers: impl IntoIterator<Item = Option<(u16, Option<&'static str>)>>) {
        self.script.lock().unwrap().extend(
            answers
                .into_iter()
                .map(|a| a.map(|(s, r)| (s, r.map(str::to_owned)))),
        );
    }

    fn stored(&self, name: &str) -> u32 {
        self.stored.lock().unwrap().get(name).copied().unwrap_or(0)
    }

    fn total(&self) -> u32 {
        self.stored.lock().unwrap().values().sum()
    }
}

impl Uploader for Collector {
    fn upload(&self, request: &UploadRequest) -> UploadOutcome {
        self.urls.lock().unwrap().push(request.url.clone());
        let scripted = self.script.lock().unwrap().pop_front();
        if let Some(Some((status, retry_after))) = scripted {
            return UploadOutcome::Response {
                status,
                retry_after,
            };
        }
        if request.url.ends_with("/v1/deletions") {
            *self.deletions.lock().unwrap() += 1;
            return ok();
        }
        if request.body.len() > self.max_body {
            return UploadOutcome::Response {
                status: 413,
                retry_after: None,
            };
        }
        let (header, _) = Header::parse(&request.body).expect("a sealed batch");
        assert_eq!(header.batch_id.to_string(), request.id);
        let status = if self.batch_ids.lock().unwrap().contains(&request.id) {
            409
        } else {
            let batch = open_batch(&self.private, &request.body);
            let mut stored = self.stored.lock().unwrap();
            for event in batch.events {
                *stored.entry(event.name.to_string()).or_default() += 1;
            }
            self.batch_ids.lock().unwrap().push(request.id.clone());
            200
        };
        if scripted == Some(None) {
            return UploadOutcome::NetworkError {
                message: "connection reset before the answer".into(),
            };
        }
        UploadOutcome::Response {
            status,
            retry_after: None,
        }
    }
}

/// A status and Retry-After, or `None` for a network error after the batch was stored.
type Scripted = Option<(u16, Option<String>)>;

fn ok() -> UploadOutcome {
    UploadOutcome::Response {
        status: 200,
        retry_after: None,
    }
}

fn setup(tweak: impl FnOnce(&mut Config)) -> (tempfile::TempDir, Modicum, Collector) {
    let (private, key): (PrivateKey, CollectorKey) = support::collector(b"upload test");
    let tmp = tempfile::tempdir().unwrap();
    let mut config = Config::new(tmp.path().join("store"), "dev.modicum.upload");
    config.collector = Some(key);
    config.policy = Policy::default().with_essential("crash reporting");
    config.upload.endpoints = vec![Endpoint {
        region: "default".into(),
        url: "http://127.0.0.1:9/".into(),
    }];
    config.upload.backoff_base = Duration::from_millis(1);
    config.upload.backoff_cap = Duration::from_millis(20);
    tweak(&mut config);
    let m = Modicum::start(config).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    (tmp, m, Collector::new(private))
}

fn record(m: &Modicum, name: &str, n: usize) {
    for i in 0..n {
        m.record(Event::new(name.to_owned()).with("i", Value::Int(i64::try_from(i).unwrap())))
            .unwrap();
    }
}

fn crash(m: &Modicum) {
    m.record(
        Event::new("crash")
            .in_category(Category::Essential)
            .with("signal", Value::Text("SIGSEGV".into())),
    )
    .unwrap();
}

#[test]
fn everything_arrives_once_and_leaves_the_device() {
    let (_tmp, m, collector) = setup(|c| c.batch_max_events = 40);
    record(&m, "tap", 300);
    let report = m
        .upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(collector.stored("tap"), 300);
    assert_eq!(report.delivered_events, 300);
    assert!(report.delivered_batches >= 8, "{report:?}");
    assert_eq!(report.waiting, None);
    assert!(m.outbox().is_empty());
    assert_eq!(
        m.ledger().get(Category::Analytics, LedgerEntry::Uploaded),
        300
    );
    assert!(collector.urls.lock().unwrap()[0] == "http://127.0.0.1:9/v1/batches");
}

#[test]
fn server_errors_and_lost_answers_are_retried_and_stored_once() {
    let (_tmp, m, collector) = setup(|_| {});
    record(&m, "tap", 50);
    collector.script([
        Some((500, None)),
        Some((502, None)),
        None,
        Some((503, None)),
    ]);
    let report = m
        .upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(collector.stored("tap"), 50, "stored exactly once");
    assert_eq!(report.requests, 5, "{report:?}");
    assert_eq!(report.delivered_events, 50);
    assert!(m.outbox().is_empty());
}

#[test]
fn retry_after_is_honoured_in_seconds() {
    let (_tmp, m, collector) = setup(|_| {});
    record(&m, "tap", 5);
    collector.script([Some((429, Some("120")))]);
    let report = m
        .upload_pending(&collector, Conditions::ideal(), Duration::from_secs(2))
        .unwrap();
    assert_eq!(report.waiting, Some(WaitReason::RetryAfter));
    assert_eq!(collector.total(), 0);
    match m.next_upload(Conditions::ideal()).unwrap() {
        NextUpload::Wait {
            reason: WaitReason::RetryAfter,
            retry_in: Some(pause),
        } => assert!(pause > Duration::from_secs(110) && pause <= Duration::from_secs(120)),
        other => panic!("{other:?}"),
    }
    // A short pause is slept through by the push helper.
    let (_tmp, m, collector) = setup(|_| {});
    record(&m, "tap", 5);
    collector.script([Some((503, Some("1")))]);
    let report = m
        .upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(report.waiting, None);
    assert_eq!(collector.stored("tap"), 5);
}

#[test]
fn too_large_batches_split_until_they_fit_and_a_lone_giant_is_dropped() {
    let (_tmp, m, mut collector) = setup(|c| c.batch_max_events = 400);
    collector.max_body = 1_500;
    for i in 0..400 {
        m.record(Event::new("tap").with("i", Value::Int(i)).with(
            "note",
            Value::Text(format!(
                "note {i} {}",
                "z".repeat(usize::try_from(i).unwrap() % 13)
            )),
        ))
        .unwrap();
    }
    m.record(Event::new("giant").with("t", Value::Text(random_text(4_000))))
        .unwrap();
    let report = m
        .upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(collector.stored("tap"), 400, "{report:?}");
    assert_eq!(collector.stored("giant"), 0);
    assert!(report.splits >= 2, "{report:?}");
    assert_eq!(report.dropped_events, 1);
    assert_eq!(
        m.ledger()
            .get(Category::Analytics, LedgerEntry::DroppedTooLarge),
        1
    );
    assert!(m.outbox().is_empty());
}

/// Text that does not compress, built without a random crate: a xorshift over letters.
fn random_text(len: usize) -> String {
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            char::from(b'a' + (x % 26) as u8)
        })
        .collect()
}

#[test]
fn other_client_errors_drop_the_batch_and_count_it() {
    let (_tmp, m, collector) = setup(|_| {});
    record(&m, "tap", 7);
    collector.script([Some((422, None))]);
    let report = m
        .upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(report.dropped_events, 7);
    assert_eq!(
        m.ledger()
            .get(Category::Analytics, LedgerEntry::RejectedByCollector),
        7
    );
    assert!(m.outbox().is_empty());
}

#[test]
fn low_battery_and_metered_networks_hold_what_may_wait() {
    let (_tmp, m, collector) = setup(|_| {});
    m.set_consent(Category::SensorsRaw, true).unwrap();
    record(&m, "tap", 3);
    crash(&m);
    m.record(
        Event::new("accel")
            .in_category(Category::SensorsRaw)
            .with("x", Value::Double(0.5)),
    )
    .unwrap();
    let low = Conditions {
        battery_low: true,
        ..Conditions::ideal()
    };
    let report = m.upload_pending(&collector, low, WAIT).unwrap();
    assert_eq!(collector.stored("crash"), 1, "crash reports are exempt");
    assert_eq!(collector.stored("tap"), 0);
    assert_eq!(report.waiting, Some(WaitReason::LowBattery));
    let metered = Conditions {
        metered: true,
        ..Conditions::ideal()
    };
    let report = m.upload_pending(&collector, metered, WAIT).unwrap();
    assert_eq!(collector.stored("tap"), 3);
    assert_eq!(
        collector.stored("accel"),
        0,
        "raw sensors wait for unmetered"
    );
    assert_eq!(report.waiting, Some(WaitReason::Unmetered));
    let offline = Conditions::default();
    assert_eq!(
        m.next_upload(offline).unwrap(),
        NextUpload::Wait {
            reason: WaitReason::NoNetwork,
            retry_in: None
        }
    );
    m.upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(collector.stored("accel"), 1);
}

#[test]
fn data_waits_at_home_without_cross_border_consent() {
    let (_tmp, m, collector) = setup(|c| {
        c.upload.home_region = Some("eu".into());
        c.upload.endpoints = vec![Endpoint {
            region: "us".into(),
            url: "http://127.0.0.1:9".into(),
        }];
    });
    record(&m, "tap", 4);
    let report = m
        .upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(report.waiting, Some(WaitReason::CrossBorderConsent));
    assert_eq!(collector.total(), 0);
    m.set_consent(Category::CrossBorder, true).unwrap();
    m.upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(collector.stored("tap"), 4);
}

#[test]
fn one_request_in_flight_and_stale_answers_change_nothing() {
    let (_tmp, m, collector) = setup(|_| {});
    record(&m, "tap", 4);
    m.seal_now(WAIT).unwrap();
    let NextUpload::Send(request) = m.next_upload(Conditions::ideal()).unwrap() else {
        panic!("a request");
    };
    assert_eq!(
        m.next_upload(Conditions::ideal()).unwrap(),
        NextUpload::Wait {
            reason: WaitReason::InFlight,
            retry_in: None
        }
    );
    let stale = m.upload_finished("not-the-request", ok()).unwrap();
    assert_eq!(stale.delivered_batches, 0);
    let outcome = collector.upload(&request);
    assert_eq!(
        m.upload_finished(&request.id, outcome)
            .unwrap()
            .delivered_events,
        4
    );
    assert_eq!(
        m.upload_finished(&request.id, ok())
            .unwrap()
            .delivered_events,
        0
    );
    assert_eq!(
        m.next_upload(Conditions::ideal()).unwrap(),
        NextUpload::Idle
    );
}

#[test]
fn a_deletion_request_goes_first_even_with_every_consent_withdrawn() {
    let (_tmp, m, collector) = setup(|_| {});
    m.set_consent(Category::Identifiers, true).unwrap();
    record(&m, "tap", 2);
    m.upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    record(&m, "tap", 2);
    m.seal_now(WAIT).unwrap();
    m.delete_all().unwrap();
    m.set_consent(Category::Analytics, false).unwrap();
    collector.script([Some((500, None))]);
    m.upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(*collector.deletions.lock().unwrap(), 1);
    assert_eq!(collector.total(), 2, "only what went before the erasure");
    assert!(m.export().unwrap().deletion_requests.is_empty());
}

/// Collectors in two regions, the home one and one abroad that only `cross_border` opens.
fn two_regions(config: &mut Config) {
    config.upload.home_region = Some("cn".into());
    config.upload.endpoints = vec![Endpoint {
        region: "eu".into(),
        url: "http://127.0.0.1:9/eu".into(),
    }];
}

/// `delete_all` resets every consent, `cross_border` included; the request still reaches the
/// collector abroad that received data, and only that one.
#[test]
fn a_deletion_request_reaches_a_region_that_only_cross_border_consent_opened() {
    let (_tmp, m, collector) = setup(two_regions);
    m.set_consent(Category::CrossBorder, true).unwrap();
    record(&m, "tap", 3);
    m.upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    assert_eq!(collector.stored("tap"), 3);
    m.delete_all().unwrap();
    assert_eq!(
        m.permitted(),
        [Category::Essential],
        "cross_border is gone too"
    );
    let report = m
        .upload_pending(
            &collector,
            Conditions {
                connected: true,
                metered: true,
                battery_low: true,
            },
            WAIT,
        )
        .unwrap();
    assert_eq!(report.waiting, None);
    assert_eq!(*collector.deletions.lock().unwrap(), 1);
    let urls = collector.urls.lock().unwrap();
    assert_eq!(urls.last().unwrap(), "http://127.0.0.1:9/eu/v1/deletions");
}

/// Each region that received data gets the request once, and a failure in one is retried
/// without sending the other again.
#[test]
fn a_deletion_request_goes_to_every_region_that_received_data() {
    let (_tmp, m, collector) = setup(|c| {
        two_regions(c);
        c.upload.endpoints.push(Endpoint {
            region: "cn".into(),
            url: "http://127.0.0.1:9/cn".into(),
        });
    });
    // Abroad first: the home endpoint is added only after data went to the collector abroad.
    record(&m, "tap", 1);
    m.set_consent(Category::CrossBorder, true).unwrap();
    m.upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    let regions_file = _tmp.path().join("store/regions.json");
    let noted: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&regions_file).unwrap()).unwrap();
    assert_eq!(noted["reached"], serde_json::json!(["cn"]));
    // Rewrite the record as an install that also reached the other region would have it.
    std::fs::write(&regions_file, br#"{"reached":["cn","eu"]}"#).unwrap();
    drop(m);
    let m = reopen(&_tmp, |c| {
        two_regions(c);
        c.upload.endpoints.push(Endpoint {
            region: "cn".into(),
            url: "http://127.0.0.1:9/cn".into(),
        });
    });
    m.delete_all().unwrap();
    collector.urls.lock().unwrap().clear();
    collector.script([Some((503, None))]);
    m.upload_pending(&collector, Conditions::ideal(), WAIT)
        .unwrap();
    let urls = collector.urls.lock().unwrap().clone();
    assert_eq!(
        urls,
        [
            "http://127.0.0.1:9/cn/v1/deletions",
            "http://127.0.0.1:9/cn/v1/deletions",
            "http://127.0.0.1:9/eu/v1/deletions",
        ]
    );
    assert!(m.export().unwrap().deletion_requests.is_empty());
}

fn reopen(tmp: &tempfile::TempDir, tweak: impl FnOnce(&mut Config)) -> Modicum {
    let (_, key): (PrivateKey, CollectorKey) = support::collector(b"upload test");
    let mut config = Config::new(tmp.path().join("store"), "dev.modicum.upload");
    config.collector = Some(key);
    config.upload.backoff_base = Duration::from_millis(1);
    config.upload.backoff_cap = Duration::from_millis(20);
    tweak(&mut config);
    Modicum::start(config).unwrap()
}
