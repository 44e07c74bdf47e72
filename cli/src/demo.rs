//! The demo: a fleet of simulated devices records over a simulated day under mixed consent,
//! age bands and network conditions, and uploads through the real HTTP path to the embedded
//! ingest server on 127.0.0.1 (which fails now and then, on purpose). It ends with what the
//! devices kept and minimized, what arrived, the bytes on the wire against JSON + gzip of the
//! same events, and a check on the server that no planted raw identifier arrived. Some users
//! ask for their data to be deleted: the server deletes what their proofs cover, refuses a
//! replay of their batches, and a forged request naming others' pseudonyms deletes nothing.

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modicum_core::collect::crash::CrashReport;
use modicum_core::collect::device::DeviceInfo;
use modicum_core::collect::providers::NetworkState;
use modicum_core::envelope::{self, Aead, CollectorKey, Purpose};
use modicum_core::transform::DeletionToken;
use modicum_core::upload::{Conditions, Endpoint, UploadOutcome, UploadRequest, Uploader};
use modicum_core::wire::{sample, DeletionPayload, Limits, Proof};
use modicum_core::{
    AgeBand, Category, Config, DataClass, Event, HttpMetric, LedgerEntry, Modicum, SensorSample,
    Value,
};
use modicum_server::faults::FaultPlan;
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::open::open_batch;
use modicum_server::service::{self, ServerConfig};
use modicum_server::store::{SqliteStore, Store};

use crate::uploader::HttpUploader;

const PERIODS: [&str; 4] = ["morning", "midday", "evening", "night"];

pub fn run(devices: u32, seed: u64) -> Result<(), String> {
    let root = std::env::temp_dir().join(format!("modicum-demo-{}", std::process::id()));
    let result = run_in(&root, devices, seed);
    let _ = std::fs::remove_dir_all(&root);
    result
}

fn run_in(root: &Path, devices: u32, seed: u64) -> Result<(), String> {
    let started = Instant::now();
    std::fs::create_dir_all(root).map_err(|e| e.to_string())?;
    let ikm = format!("modicum demo collector {seed}");
    let store =
        Arc::new(SqliteStore::open(&root.join("ingest.sqlite3")).map_err(|e| e.to_string())?);
    let mut config = ServerConfig::new(
        KeyRing::new([KeyPair::derive(ikm.as_bytes())]),
        Arc::clone(&store) as Arc<dyn Store>,
    );
    config.addr = "127.0.0.1:0".parse().expect("a loopback address");
    // About one request in sixteen fails (500, 503 with Retry-After, or a slow answer).
    config.faults = Some(Arc::new(FaultPlan::random(seed, 0.06)));
    let server = service::spawn(config).map_err(|e| format!("cannot start the server: {e}"))?;
    let collector = KeyPair::derive(ikm.as_bytes());
    let uploader = Counting::new(KeyPair::derive(ikm.as_bytes()));
    println!(
        "Modicum demo: {devices} simulated devices over a simulated day, uploading to {}\n",
        server.url()
    );

    let mut fleet = Fleet::default();
    for device in 0..devices {
        simulate(
            root,
            &server.url(),
            &collector,
            &uploader,
            device,
            seed,
            &mut fleet,
        )?;
        eprint!("\r  devices done {:>4}/{devices}", device + 1);
        let _ = std::io::stderr().flush();
    }
    eprintln!();
    let forged = forge_deletions(&collector, &uploader, &server.url(), &fleet.others)?;
    let stats = server.stats();
    let by_category = store.events_by_category().map_err(|e| e.to_string())?;
    let mut forged_deleted = 0;
    for other in &fleet.others {
        if !store.contains_text(other).map_err(|e| e.to_string())? {
            forged_deleted += 1;
        }
    }
    let mut leaked = Vec::new();
    for planted in &fleet.planted {
        if store.contains_text(planted).map_err(|e| e.to_string())? {
            leaked.push(planted.clone());
        }
    }
    server.stop().map_err(|e| e.to_string())?;

    println!("\nOn the devices (summed ledgers)");
    println!(
        "  {:<18} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "category", "recorded", "consent", "kept", "uploaded", "waiting"
    );
    for category in Category::ALL {
        let row = |e| fleet.ledger(category, e);
        let recorded = row(LedgerEntry::Collected);
        if recorded == 0 {
            continue;
        }
        println!(
            "  {:<18} {:>9} {:>9} {:>9} {:>9} {:>9}",
            category.name(),
            recorded,
            row(LedgerEntry::DroppedForConsent),
            row(LedgerEntry::Kept),
            row(LedgerEntry::Uploaded),
            row(LedgerEntry::Kept).saturating_sub(row(LedgerEntry::Uploaded)),
        );
    }
    let fields = |e| {
        Category::ALL
            .iter()
            .map(|&c| fleet.ledger(c, e))
            .sum::<u64>()
    };
    println!(
        "  fields: kept {}, dropped {}, hashed {}, generalized {}, scrubbed {} ({} pieces of personal data removed from text)",
        fields(LedgerEntry::FieldKept),
        fields(LedgerEntry::FieldDropped),
        fields(LedgerEntry::FieldHashed),
        fields(LedgerEntry::FieldGeneralized),
        fields(LedgerEntry::FieldScrubbed),
        fields(LedgerEntry::PiiRemoved),
    );
    println!(
        "  devices: {} adults, {} minors, {} children; {} waiting for cross-border consent at day's end",
        fleet.ages[0], fleet.ages[1], fleet.ages[2], fleet.cross_border_waiting
    );

    println!("\nOn the server");
    let stored: u64 = by_category.values().sum();
    let listed: Vec<String> = by_category
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    println!("  events stored      {stored} ({})", listed.join(", "));
    println!(
        "  batches            {} accepted, {} duplicates answered 409, {} faults injected, {} rejected",
        stats.accepted,
        stats.duplicates,
        stats.faults_injected,
        stats.rejected.values().sum::<u64>()
    );
    let sealed = uploader.sealed.load(Ordering::Relaxed);
    let json_gzip = uploader.json_gzip.load(Ordering::Relaxed);
    println!(
        "  bytes on the wire  {sealed} sealed vs {json_gzip} as JSON + gzip of the same events ({:.0}%)",
        100.0 * sealed as f64 / json_gzip.max(1) as f64
    );
    println!(
        "  planted raw identifiers found in the store: {} of {}",
        leaked.len(),
        fleet.planted.len()
    );
    println!(
        "  deletions          {} devices asked; {} requests proved {} pseudonyms by their tokens \
         (one per 30-day period of the retention window) and deleted {} rows; {} replayed \
         batches of deleted installs answered 410",
        fleet.deleting,
        stats.deletions - forged,
        stats.proven,
        stats.rows_deleted,
        fleet.replays_gone,
    );
    println!(
        "  forged deletions   {forged} requests naming {} other users' pseudonyms with tokens \
         of their own making: {} proofs refused, {forged_deleted} users' data deleted",
        forged * FORGED_CLAIMS,
        stats.unproven,
    );
    let uploaded: u64 = Category::ALL
        .iter()
        .map(|&c| fleet.ledger(c, LedgerEntry::Uploaded))
        .sum();
    println!("\nFinished in {:.1} s.", started.elapsed().as_secs_f64());
    if !leaked.is_empty() {
        return Err(format!("raw identifiers reached the server: {leaked:?}"));
    }
    if uploaded - fleet.deleted != stored {
        return Err(format!(
            "devices counted {uploaded} events uploaded and {} deleted, the server stored \
             {stored}",
            fleet.deleted
        ));
    }
    if forged_deleted > 0
        || stats.unproven != forged * FORGED_CLAIMS
        || fleet.replays_gone < fleet.deleting
    {
        return Err("a deletion was not verified by its proof".into());
    }
    Ok(())
}

#[derive(Default)]
struct Fleet {
    ledger: std::collections::HashMap<(Category, LedgerEntry), u64>,
    planted: Vec<String>,
    ages: [u32; 3],
    cross_border_waiting: u32,
    /// Devices that asked for deletion, the events they had uploaded, and how many of their
    /// captured batches the server refused when replayed.
    deleting: u32,
    deleted: u64,
    replays_gone: u32,
    /// Pseudonyms of devices that keep their data: what a forger names.
    others: Vec<String>,
}

impl Fleet {
    fn ledger(&self, category: Category, entry: LedgerEntry) -> u64 {
        self.ledger.get(&(category, entry)).copied().unwrap_or(0)
    }
}

/// Deterministic choices for one device.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        (self.next() % 10_000) as f64 / 10_000.0 < p
    }
}

fn simulate(
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
    config.upload.home_region = if dice.chance(0.8) { "eu" } else { "us" }.into();
    config.upload.endpoints = vec![Endpoint {
        region: "eu".into(),
        url: url.to_owned(),
    }];
    config.upload.backoff_base = Duration::from_millis(20);
    config.upload.backoff_cap = Duration::from_millis(200);
    let m = Modicum::start(config).map_err(err)?;

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
    m.set_device_info(DeviceInfo {
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
    });
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
    let day_start = 1_795_000_000_000 + u64::from(device) * 1_000;

    for (period, name) in PERIODS.iter().enumerate() {
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
        if period == 2 && dice.chance(0.15) {
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
    let report = m
        .upload_pending(uploader, Conditions::ideal(), Duration::from_secs(5))
        .map_err(err)?;
    if report.waiting == Some(modicum_core::upload::WaitReason::CrossBorderConsent) {
        fleet.cross_border_waiting += 1;
    }
    if m.permitted().contains(&Category::Identifiers) && report.waiting.is_none() {
        if dice.chance(0.15) {
            erase(&m, uploader, fleet).map_err(err)?;
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
fn erase(m: &Modicum, uploader: &Counting, fleet: &mut Fleet) -> Result<(), modicum_core::Error> {
    let captured = uploader
        .last_stored
        .lock()
        .map(|mut l| l.take())
        .ok()
        .flatten();
    fleet.deleting += 1;
    fleet.deleted += Category::ALL
        .iter()
        .map(|&c| m.ledger().get(c, LedgerEntry::Uploaded))
        .sum::<u64>();
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

/// Pseudonyms a forged request names, each.
const FORGED_CLAIMS: u64 = 3;

/// Sends deletion requests naming other users' pseudonyms, sealed to the collector as any app
/// could, with tokens the forger made up; how many were sent.
fn forge_deletions(
    collector: &KeyPair,
    uploader: &Counting,
    url: &str,
    others: &[String],
) -> Result<u64, String> {
    let key =
        CollectorKey::from_public_bytes(collector.public_bytes()).map_err(|e| e.to_string())?;
    let mut sent = 0;
    for (n, names) in others
        .chunks_exact(FORGED_CLAIMS as usize)
        .take(2)
        .enumerate()
    {
        let proofs = names
            .iter()
            .map(|name| Proof {
                install_pseudonym: name.clone(),
                token: DeletionToken::from_hex(&format!("{:064x}", n + 1)).expect("64 hex digits"),
            })
            .collect();
        let payload = DeletionPayload {
            requested_at_ms: 1,
            proofs,
        };
        let bytes = modicum_core::wire::encode_deletion(&payload).map_err(|e| e.to_string())?;
        let sealed = envelope::seal_for(Purpose::Deletion, &key, Aead::Aes128Gcm, &bytes, 3, 1)
            .map_err(|e| e.to_string())?;
        let request = UploadRequest {
            id: format!("forged-{n}"),
            url: format!("{url}{}", modicum_core::upload::DELETIONS_PATH),
            headers: vec![],
            body: sealed.bytes,
        };
        match uploader.http.upload(&request) {
            UploadOutcome::Response { status: 200, .. } => sent += 1,
            other => return Err(format!("a forged deletion request was answered {other:?}")),
        }
    }
    Ok(sent)
}

/// One request in ten the app makes fails on the server it talks to.
fn step_fails(dice: &mut Dice) -> bool {
    dice.chance(0.1)
}

/// The real HTTP uploader, counting the bytes of every stored batch against the same events
/// as JSON + gzip (opened with the collector's key, as the server does).
struct Counting {
    http: HttpUploader,
    keys: KeyRing,
    sealed: AtomicU64,
    json_gzip: AtomicU64,
    /// The last batch stored, as sent: what an eavesdropper could replay.
    last_stored: std::sync::Mutex<Option<UploadRequest>>,
}

impl Counting {
    fn new(pair: KeyPair) -> Counting {
        Counting {
            http: HttpUploader::new(Duration::from_secs(10)),
            keys: KeyRing::new([pair]),
            sealed: AtomicU64::new(0),
            json_gzip: AtomicU64::new(0),
            last_stored: std::sync::Mutex::new(None),
        }
    }
}

impl Uploader for Counting {
    fn upload(&self, request: &UploadRequest) -> UploadOutcome {
        let outcome = self.http.upload(request);
        let stored = matches!(outcome, UploadOutcome::Response { status: 200, .. });
        if stored && request.url.ends_with(modicum_core::upload::BATCHES_PATH) {
            if let Ok(opened) = open_batch(&self.keys, &request.body, Limits::default()) {
                self.sealed
                    .fetch_add(request.body.len() as u64, Ordering::Relaxed);
                let rows = sample::as_json_rows(&opened.batch);
                let mut gz =
                    flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
                let _ = gz.write_all(&rows);
                let size = gz.finish().map_or(0, |v| v.len() as u64);
                self.json_gzip.fetch_add(size, Ordering::Relaxed);
                if let Ok(mut last) = self.last_stored.lock() {
                    *last = Some(request.clone());
                }
            }
        }
        outcome
    }
}
