//! One simulated device: its choices (`Dice`), its day of recording under mixed consent and
//! network conditions, and its user's request for erasure.

#[allow(clippy::wildcard_imports)]
use super::*;

/// Deterministic choices for one device.
pub(super) struct Dice(u64);

impl Dice {
    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// True with probability `p`.
    pub(super) fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

pub(super) fn simulate(
    root: &Path,
    url: &str,
    collector: &KeyPair,
    uploader: &Counting,
    device: u32,
    seed: u64,
    fleet: &mut Fleet,
) -> Result<(), String> {
    let err = |e: modicum_core::Error| format!("device {device}: {e}");
    let mut dice = Dice((seed ^ 0x9E37_79B9_7F4A_7C15).wrapping_mul(u64::from(device) + 1) | 1);
    let mut config = Config::new(root.join(format!("device-{device}")), "dev.modicum.demo");
    config.collector =
        Some(CollectorKey::from_public_bytes(collector.public_bytes()).map_err(|e| e.to_string())?);
    config.policy = modicum_core::Policy::default().with_essential("crash reporting");
    config.upload.home_region = Some(if dice.chance(0.8) { "eu" } else { "us" }.into());
    config.upload.endpoints = vec![Endpoint {
        region: "eu".into(),
        url: url.to_owned(),
    }];
    config.upload.backoff_base = Duration::from_millis(20);
    config.upload.backoff_cap = Duration::from_millis(200);
    let (version, crash_rate) = RELEASES[match dice.next() % 100 {
        0..=54 => 0,
        55..=84 => 1,
        _ => 2,
    }];
    config.app_version = Some(version.into());
    // Simulated time: yesterday (UTC) from 08:00, so the collector's freshness window holds
    // every batch, and this morning, when the app's first start sends yesterday's report.
    let day = modicum_core::clock::now_ms() / DAY_MS - 1;
    let clock = Arc::new(ManualClock::at(day * DAY_MS + 8 * HOUR_MS));
    let launch = |config: &Config| {
        let mut providers = modicum_core::Providers::files_for(config);
        providers.clock = clock.clone();
        Modicum::start_with(config.clone(), providers)
    };
    let mut m = launch(&config).map_err(err)?;
    let mut health = DeviceHealth::new(version);

    let age = match dice.next() % 100 {
        0..=79 => AgeBand::Adult,
        80..=91 => AgeBand::Minor,
        _ => AgeBand::Child,
    };
    fleet.ages[AgeBand::ALL.iter().position(|&a| a == age).unwrap_or(0)] += 1;
    m.set_age(age, dice.chance(0.5)).map_err(err)?;
    for (category, p) in [
        (Category::Analytics, 0.7),
        (Category::Diagnostics, 0.8),
        (Category::Identifiers, 0.4),
        (Category::Location, 0.35),
        (Category::Sensors, 0.3),
        (Category::Advertising, 0.2),
        (Category::CrossBorder, 0.5),
    ] {
        m.set_consent(category, dice.chance(p)).map_err(err)?;
    }

    let email = format!("jane.doe.{device}@example.com");
    let phone = format!("+1 415 555 {:04}", 1000 + device);
    let ip = format!("203.0.113.{}", 1 + device % 250);
    let imei = format!("35209900{:07}", 1_000_000 + device);
    let vendor_id = format!(
        "6f1c2a9e-3b7d-4c1e-9a2b-{:012x}",
        0xd00d_0000u64 + u64::from(device)
    );
    fleet.planted.extend([
        email.clone(),
        phone.clone(),
        ip.clone(),
        imei.clone(),
        vendor_id.clone(),
    ]);

    const MODELS: [(&str, &str, &str); 4] = [
        ("Google", "Pixel 8", "15"),
        ("Samsung", "SM-S921B", "14"),
        ("Apple", "iPhone15,2", "18.1"),
        ("Xiaomi", "23127PN0CG", "14"),
    ];
    let (maker, model, os) = MODELS[device as usize % MODELS.len()];
    let info = DeviceInfo {
        manufacturer: Some(maker.into()),
        model: Some(model.into()),
        os_name: Some(if maker == "Apple" { "iOS" } else { "Android" }.into()),
        os_version: Some(os.into()),
        app_version: Some("3.2.1".into()),
        cpu_cores: Some(8),
        ram_bytes: Some(5_800_000_000 + u64::from(device) * 123_456_789),
        storage_free_bytes: Some(21_000_000_000 + u64::from(device) * 987_654_321),
        screen_width: Some(1080),
        screen_height: Some(2400),
        locale: Some("en-GB".into()),
        time_zone: Some("Europe/Paris".into()),
        ..DeviceInfo::default()
    };
    m.set_device_info(info.clone());
    // Identifiers an app might hand over: the policy decides what becomes of each.
    m.record(
        Event::new("signup")
            .with_class("imei", Value::Text(imei.clone()), DataClass::IdHardware)
            .with_class(
                "vendor_id",
                Value::Text(vendor_id.clone()),
                DataClass::IdVendor,
            ),
    )
    .map_err(err)?;
    m.record_connectivity(&NetworkState {
        connected: true,
        kind: "cellular".into(),
        metered: true,
        carrier: Some("Example Mobile".into()),
        ip: Some(ip.clone()),
    })
    .map_err(err)?;
    let day_start = day * DAY_MS + 8 * HOUR_MS;

    for (period, name) in PERIODS.iter().enumerate() {
        // Each period the user opens the app: a session, counted if diagnostics is permitted.
        clock.set(day * DAY_MS + SESSION_HOURS[period] * HOUR_MS);
        health.counted = m.permitted().contains(&Category::Diagnostics);
        m.entered_foreground();
        for step in 0..100u32 {
            let event = if step % 5 == 0 {
                Event::new("screen_view")
                    .with("screen", Value::Text(format!("screen-{}", step / 5)))
                    .with("load_ms", Value::Int(i64::from(40 + (step * 7) % 90)))
            } else {
                Event::new("tap").with("target", Value::Text(format!("button-{}", step % 4)))
            };
            m.record(event).map_err(err)?;
        }
        m.record(
            Event::new("feedback")
                .with("period", Value::Text((*name).into()))
                .with(
                    "text",
                    Value::Text(format!("call me at {phone} or mail {email}")),
                ),
        )
        .map_err(err)?;
        m.record_http(&HttpMetric {
            method: "GET".into(),
            url: format!(
                "https://api.example.com/v1/users/{}/orders?email={email}",
                1000 + device
            ),
            status: if step_fails(&mut dice) { 503 } else { 200 },
            duration_ms: dice.next() % 900,
            bytes_sent: 420,
            bytes_received: 1_000 + dice.next() % 9_000,
        })
        .map_err(err)?;
        // A second of the accelerometer at 100 Hz; the next period's samples close its window.
        let readings: Vec<[f64; 3]> = (0..100)
            .map(|i| [0.01 * f64::from(i % 13), 9.81, 0.02 * period as f64])
            .collect();
        let samples: Vec<SensorSample> = readings
            .iter()
            .enumerate()
            .map(|(i, values)| SensorSample {
                at_ms: day_start + period as u64 * 6 * 3_600_000 + i as u64 * 10,
                values,
            })
            .collect();
        m.record_sensor_samples("accelerometer", &samples)
            .map_err(err)?;
        m.record(Event::new("place").in_category(Category::Location).with(
            "at",
            Value::Location {
                lat: 48.858_37 + f64::from(device) * 1e-4,
                lon: 2.294_48,
            },
        ))
        .map_err(err)?;
        let ending = if dice.chance(crash_rate) {
            SessionEnd::Crashed
        } else if dice.chance(0.02) {
            SessionEnd::Killed
        } else {
            SessionEnd::Normal
        };
        health.count(ending);
        if ending == SessionEnd::Crashed {
            m.record_crash(
                &CrashReport {
                    kind: "java.lang.IllegalStateException".into(),
                    message: format!("cart is empty for {email}"),
                    frames: vec![
                        "at com.example.shop.Cart.checkout(Cart.kt:88)".into(),
                        "at /data/user/0/com.example.shop/files/render.so (offset 0x1c)".into(),
                    ],
                    thread: Some("main".into()),
                    at_ms: day_start,
                },
                Duration::from_secs(10),
            )
            .map_err(err)?;
        }
        match ending {
            SessionEnd::Normal => m.entered_background(),
            // The process dies in the foreground: after its uncaught exception, or killed
            // (by the user, or a watchdog after a hang). The next start finds out which.
            SessionEnd::Crashed | SessionEnd::Killed => {
                m.shutdown(Duration::from_secs(10)).map_err(err)?;
                drop(m);
                m = launch(&config).map_err(err)?;
                m.set_device_info(info.clone());
            }
        }
        let conditions = Conditions {
            connected: !dice.chance(0.1),
            metered: dice.chance(0.4),
            battery_low: dice.chance(0.15),
        };
        // The OS lets the app upload twice a day, at midday and at night.
        if period % 2 == 1 {
            m.upload_pending(uploader, conditions, Duration::from_secs(3))
                .map_err(err)?;
        }
    }
    // At night the phone charges on Wi-Fi: what is left goes, unless it may not leave its region.
    m.close_sensor_windows().map_err(err)?;
    m.upload_pending(uploader, Conditions::ideal(), Duration::from_secs(5))
        .map_err(err)?;
    // The next morning the app starts again: yesterday's sessions are one report, which
    // goes with what is left.
    m.shutdown(Duration::from_secs(10)).map_err(err)?;
    drop(m);
    clock.set((day + 1) * DAY_MS + 7 * HOUR_MS);
    let m = launch(&config).map_err(err)?;
    m.set_device_info(info);
    m.entered_foreground();
    let report = m
        .upload_pending(uploader, Conditions::ideal(), Duration::from_secs(5))
        .map_err(err)?;
    m.entered_background();
    health.delivered = report.waiting.is_none();
    let report_sent = health.delivered && health.sessions > 0;
    fleet.health.add(health);
    if report.waiting == Some(modicum_core::upload::WaitReason::CrossBorderConsent) {
        fleet.cross_border_waiting += 1;
    }
    if m.permitted().contains(&Category::Identifiers) && report.waiting.is_none() {
        if dice.chance(0.15) {
            erase(&m, uploader, fleet, u64::from(report_sent)).map_err(err)?;
        } else {
            fleet.others.push(m.install_pseudonym().map_err(err)?);
        }
    }
    let ledger = m.ledger();
    for category in Category::ALL {
        for entry in LedgerEntry::ALL {
            *fleet.ledger.entry((category, entry)).or_default() += ledger.get(category, entry);
        }
    }
    m.shutdown(Duration::from_secs(10)).map_err(err)?;
    Ok(())
}

/// The user asks for deletion: the request goes out with the device's proofs, and a batch of
/// theirs captured on the way in is replayed afterwards.
pub(super) fn erase(
    m: &Modicum,
    uploader: &Counting,
    fleet: &mut Fleet,
    health_reports: u64,
) -> Result<(), modicum_core::Error> {
    let captured = uploader
        .last_stored
        .lock()
        .map(|mut l| l.take())
        .ok()
        .flatten();
    fleet.deleting += 1;
    // Release health reports name no install, so no deletion request can (or need) reach
    // them: they stay.
    fleet.deleted += Category::ALL
        .iter()
        .map(|&c| m.ledger().get(c, LedgerEntry::Uploaded))
        .sum::<u64>()
        - health_reports;
    m.delete_all()?;
    m.upload_pending(uploader, Conditions::ideal(), Duration::from_secs(5))?;
    if let Some(replay) = captured {
        let outcome = uploader.http.upload(&replay);
        if matches!(outcome, UploadOutcome::Response { status: 410, .. }) {
            fleet.replays_gone += 1;
        }
    }
    Ok(())
}

/// The releases a device may run, and the chance that a session of each crashes.
const RELEASES: [(&str, f64); 3] = [("3.2.1", 0.02), ("3.3.0", 0.08), ("3.4.0-beta", 0.25)];
const DAY_MS: u64 = modicum_core::health::DAY_MS;
const HOUR_MS: u64 = 3_600_000;
/// When each period's session starts.
const SESSION_HOURS: [u64; 4] = [8, 12, 18, 22];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SessionEnd {
    Normal,
    Crashed,
    /// Killed in the foreground without a crash: abnormal.
    Killed,
}

/// What one device's sessions were, as the simulator knows them: the truth the collector's
/// rates must match.
pub(super) struct DeviceHealth {
    pub(super) version: &'static str,
    /// Whether the session now running is counted (diagnostics permitted when it began).
    counted: bool,
    pub(super) sessions: u64,
    pub(super) crashed: u64,
    pub(super) abnormal: u64,
    /// Whether everything the device held, its report among it, was uploaded.
    pub(super) delivered: bool,
}

impl DeviceHealth {
    fn new(version: &'static str) -> DeviceHealth {
        DeviceHealth {
            version,
            counted: false,
            sessions: 0,
            crashed: 0,
            abnormal: 0,
            delivered: false,
        }
    }

    fn count(&mut self, ending: SessionEnd) {
        if !self.counted {
            return;
        }
        self.sessions += 1;
        match ending {
            SessionEnd::Crashed => self.crashed += 1,
            SessionEnd::Killed => self.abnormal += 1,
            SessionEnd::Normal => {}
        }
    }
}

/// One request in ten the app makes fails on the server it talks to.
pub(super) fn step_fails(dice: &mut Dice) -> bool {
    dice.chance(0.1)
}
