//! Collectors through the runtime, under each consent state: device context attached once per
//! batch and minimized by policy, HTTP metrics reduced to URL templates, sensor windows (and
//! raw samples only with `sensors_raw`), hangs.

use std::time::Duration;

mod support;

use modicum_core::collect::device::DeviceInfo;
use modicum_core::collect::providers::NetworkState;
use modicum_core::wire::WireValue;
use modicum_core::{AgeBand, Category, Config, Event, HttpMetric, Modicum, SensorSample, Value};

const WAIT: Duration = Duration::from_secs(10);

fn start(dir: &std::path::Path) -> (support::PrivateKey, Modicum) {
    let (private, key) = support::collector(b"collectors test");
    let mut config = Config::new(dir.join("store"), "dev.modicum.collectors");
    config.collector = Some(key);
    config.sensor_window = Duration::from_secs(1);
    (private, Modicum::start(config).unwrap())
}

fn device() -> DeviceInfo {
    DeviceInfo {
        manufacturer: Some("Google".into()),
        model: Some("Pixel 8".into()),
        os_name: Some("Android".into()),
        os_version: Some("15".into()),
        ram_bytes: Some(7_823_000_000),
        screen_width: Some(1080),
        network_type: Some("wifi".into()),
        rooted: Some(false),
        ..DeviceInfo::default()
    }
}

/// The device context of every sealed batch.
fn contexts(
    m: &Modicum,
    private: &support::PrivateKey,
) -> Vec<std::collections::BTreeMap<String, WireValue>> {
    m.seal_now(WAIT).unwrap();
    m.outbox()
        .iter()
        .map(|e| {
            support::open_batch(private, &m.outbox_batch(e).unwrap())
                .meta
                .device
        })
        .collect()
}

#[test]
fn device_context_is_attached_per_batch_and_minimized_under_each_consent() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, m) = start(tmp.path());
    m.set_device_info(device());
    m.set_consent(Category::Analytics, true).unwrap();
    m.record(Event::new("tap")).unwrap();
    // Device context describes the app's environment: nothing of it without diagnostics.
    let without = contexts(&m, &private).pop().unwrap();
    assert!(without.is_empty(), "{without:?}");

    m.set_consent(Category::Diagnostics, true).unwrap();
    m.record(Event::new("tap")).unwrap();
    let with = contexts(&m, &private).pop().unwrap();
    assert_eq!(with["model"], WireValue::Text("Pixel 8".into()));
    assert_eq!(with["rooted"], WireValue::Bool(false));
    // Capacity is bucketed, never exact.
    assert_ne!(with["ram_bytes"], WireValue::Int(7_823_000_000));
    assert!(matches!(
        with["ram_bytes"],
        WireValue::Int(_) | WireValue::Text(_)
    ));
    // Not repeated in events.
    let held = m.held().unwrap();
    assert!(held.iter().all(|e| !e.properties().contains_key("model")));

    m.set_age(AgeBand::Child, false).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    // A child without a guardian's consent: the batches holding diagnostics data were
    // purged, and nothing new carries device context.
    let child = contexts(&m, &private);
    assert!(child.is_empty(), "{child:?}");
}

#[test]
fn http_metrics_keep_only_the_url_template_and_follow_diagnostics_consent() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, m) = start(tmp.path());
    let metric = HttpMetric {
        method: "POST".into(),
        url: "https://api.example.com/v1/users/98765/orders?email=ann@example.org".into(),
        status: 201,
        duration_ms: 84,
        bytes_sent: 512,
        bytes_received: 2048,
    };
    assert_eq!(m.record_http(&metric), Ok(false), "diagnostics not granted");
    m.set_consent(Category::Diagnostics, true).unwrap();
    assert_eq!(m.record_http(&metric), Ok(true));
    m.record_connectivity(&NetworkState {
        connected: true,
        kind: "cellular".into(),
        metered: true,
        carrier: Some("Example Mobile".into()),
        ip: Some("203.0.113.77".into()),
    })
    .unwrap();
    m.record_hang(2_500, &["at com.example.Main.onCreate(Main.kt:42)".into()])
        .unwrap();
    let held: Vec<serde_json::Value> = m
        .held()
        .unwrap()
        .iter()
        .map(|e| serde_json::to_value(e).unwrap())
        .collect();
    let http = &held[0]["properties"];
    assert_eq!(http["url"], "api.example.com/v1/users/{id}/orders");
    assert_eq!(http["status"], 201);
    let net = &held[1]["properties"];
    assert_eq!(net["ip"], "203.0.113.0/24");
    assert!(net.get("carrier").is_none(), "carrier needs analytics");
    assert_eq!(net["type"], "cellular");
    let hang = &held[2];
    assert_eq!(hang["name"], "hang");
    assert_eq!(
        hang["properties"]["stack"],
        "at com.example.Main.onCreate(Main.kt:42)"
    );
}

#[test]
fn sensor_samples_become_windows_and_raw_samples_need_their_own_consent() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, m) = start(tmp.path());
    let samples: Vec<[f64; 3]> = (0..3_000)
        .map(|i| [f64::from(i) % 7.0, 1.0, -1.0])
        .collect();
    let batch: Vec<SensorSample> = samples
        .iter()
        .enumerate()
        .map(|(i, v)| SensorSample {
            at_ms: 1_000_000 + i as u64, // three one-second windows
            values: v,
        })
        .collect();
    assert_eq!(
        m.record_sensor_samples("accelerometer", &batch),
        Ok(0),
        "no consent"
    );
    m.set_consent(Category::Sensors, true).unwrap();
    assert_eq!(m.record_sensor_samples("accelerometer", &batch), Ok(2));
    assert_eq!(m.close_sensor_windows(), Ok(1));
    let held = m.held().unwrap();
    assert_eq!(held.len(), 3);
    let first = serde_json::to_value(&held[0]).unwrap();
    assert_eq!(first["name"], "sensor_window");
    assert_eq!(first["properties"]["x_count"], 1000);
    assert_eq!(first["properties"]["y_mean"], 1.0);
    assert_eq!(first["properties"]["z_variance"], 0.0);
    assert!(held.iter().all(|e| e.name() != "sensor_sample"));
    m.set_consent(Category::SensorsRaw, true).unwrap();
    m.record_sensor_samples("accelerometer", &batch[..10])
        .unwrap();
    m.flush(WAIT).unwrap();
    let raw = m
        .held()
        .unwrap()
        .iter()
        .filter(|e| e.name() == "sensor_sample")
        .count();
    assert_eq!(raw, 10);
    // A wrong shape is a typed error, not a crash.
    let odd = [SensorSample {
        at_ms: 1,
        values: &[1.0],
    }];
    assert!(m.record_sensor_samples("accelerometer", &odd).is_err());
    let _ = Value::Bool(true);
}

struct FixedClock(u64);

impl modicum_core::collect::providers::Clock for FixedClock {
    fn now_ms(&self) -> u64 {
        self.0
    }
}

struct Phone(std::sync::Mutex<DeviceInfo>);

impl modicum_core::collect::providers::DeviceInfoProvider for Phone {
    fn device_info(&self) -> DeviceInfo {
        self.0.lock().unwrap().clone()
    }
}

struct Cellular;

impl modicum_core::collect::providers::NetworkProvider for Cellular {
    fn network(&self) -> NetworkState {
        NetworkState {
            connected: true,
            kind: "cellular".into(),
            metered: true,
            ..NetworkState::default()
        }
    }
}

#[test]
fn providers_supply_the_clock_the_device_and_the_network() {
    use std::sync::Arc;
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = support::collector(b"providers test");
    let mut config = Config::new(tmp.path().join("store"), "dev.modicum.providers");
    config.collector = Some(key);
    let phone = Arc::new(Phone(std::sync::Mutex::new(device())));
    let mut providers = modicum_core::Providers::new(Arc::new(
        modicum_core::secret_store::FileSecretStore::new(tmp.path().join("keys")),
    ));
    providers.clock = Arc::new(FixedClock(1_700_000_000_000));
    providers.device = Some(phone.clone());
    providers.network = Some(Arc::new(Cellular));
    let m = Modicum::start_with(config, providers).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Diagnostics, true).unwrap();
    m.record(Event::new("tap")).unwrap();
    let first = contexts(&m, &private).pop().unwrap();
    assert_eq!(first["model"], WireValue::Text("Pixel 8".into()));
    // The device changes; the next batch says so.
    phone.0.lock().unwrap().model = Some("Pixel 9".into());
    m.record(Event::new("tap")).unwrap();
    m.seal_now(WAIT).unwrap();
    let batches: Vec<_> = m
        .outbox()
        .iter()
        .map(|e| support::open_batch(&private, &m.outbox_batch(e).unwrap()))
        .collect();
    assert!(batches
        .iter()
        .any(|b| b.meta.device["model"] == WireValue::Text("Pixel 9".into())));
    assert!(batches
        .iter()
        .all(|b| b.meta.created_at_ms == 1_700_000_000_000));
    assert!(batches
        .iter()
        .flat_map(|b| &b.events)
        .all(|e| e.recorded_at_ms / 60_000 == 1_700_000_000_000 / 60_000));
    let conditions = m.conditions();
    assert!(conditions.connected && conditions.metered && !conditions.battery_low);
}

/// The device context rides in one batch a day, and again when it changes: not in every
/// batch (docs/wire-format.md, `device`).
#[test]
fn device_context_goes_once_a_day_and_again_when_it_changes() {
    use std::sync::Arc;
    let tmp = tempfile::tempdir().unwrap();
    let (private, key) = support::collector(b"device once a day");
    let mut config = Config::new(tmp.path().join("store"), "dev.modicum.device");
    config.collector = Some(key);
    let clock = Arc::new(modicum_core::clock::ManualClock::at(1_700_000_000_000));
    let mut providers = modicum_core::Providers::files_for(&config);
    providers.clock = clock.clone();
    let m = Modicum::start_with(config, providers).unwrap();
    m.set_consent(Category::Analytics, true).unwrap();
    m.set_consent(Category::Diagnostics, true).unwrap();
    m.set_device_info(device());
    // (batches sealed, batches carrying the context) after one more event and a seal.
    let step = |m: &Modicum| {
        m.record(Event::new("tap")).unwrap();
        let all = contexts(m, &private);
        (all.len(), all.iter().filter(|c| !c.is_empty()).count())
    };
    assert_eq!(step(&m), (1, 1));
    assert_eq!(step(&m), (2, 1), "the same day, the same device: not again");
    let mut changed = device();
    changed.os_version = Some("16".into());
    m.set_device_info(changed.clone());
    assert_eq!(step(&m), (3, 2), "changed: sent again");
    assert!(contexts(&m, &private)
        .iter()
        .any(|c| c.get("os_version") == Some(&WireValue::Text("16".into()))));
    assert_eq!(step(&m), (4, 2));
    clock.advance(modicum_core::health::DAY_MS);
    assert_eq!(step(&m), (5, 3), "a new day: sent again");
    m.shutdown(WAIT).unwrap();
}
