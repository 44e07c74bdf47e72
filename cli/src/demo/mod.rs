//! The demo: a fleet of simulated devices records over a simulated day under mixed consent,
//! age bands and network conditions, and uploads through the real HTTP path to the embedded
//! ingest server on 127.0.0.1 (which fails now and then, on purpose). It ends with what the
//! devices kept and minimized, what arrived, the bytes on the wire against JSON + gzip of the
//! same events, a check on the server that no planted raw identifier arrived, and release
//! health per app version (each user opens the app four times; some releases crash more
//! often than others), computed by the collector and checked against the simulator's own
//! count. Some users
//! ask for their data to be deleted: the server deletes what their proofs cover, refuses a
//! replay of their batches, and a forged request naming others' pseudonyms deletes nothing.

use std::io::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use modicum_core::clock::ManualClock;
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
use modicum_server::health::ReleaseDay;
use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::open::open_batch;
use modicum_server::service::{self, ServerConfig};
use modicum_server::store;

use crate::uploader::HttpUploader;

mod collector;
mod device;

use collector::*;
use device::*;

const PERIODS: [&str; 4] = ["morning", "midday", "evening", "night"];

pub fn run(devices: u32, seed: u64, db: Option<&str>) -> Result<(), String> {
    let root = std::env::temp_dir().join(format!("modicum-demo-{}", std::process::id()));
    let result = run_in(&root, devices, seed, db);
    let _ = std::fs::remove_dir_all(&root);
    result
}

fn run_in(root: &Path, devices: u32, seed: u64, db: Option<&str>) -> Result<(), String> {
    let started = Instant::now();
    std::fs::create_dir_all(root).map_err(|e| e.to_string())?;
    let ikm = format!("modicum demo collector {seed}");
    let temporary = root.join("ingest.sqlite3");
    let db = db.map_or_else(|| temporary.display().to_string(), str::to_owned);
    let store = store::open(&db).map_err(|e| e.to_string())?;
    // A database used before (PostgreSQL, say) holds earlier runs: only this run's are counted.
    let before = store.events_by_category().map_err(|e| e.to_string())?;
    let health_before = release_health(store.as_ref())?;
    let mut config = ServerConfig::new(
        KeyRing::new([KeyPair::derive(ikm.as_bytes())]),
        Arc::clone(&store),
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
    let mut by_category = store.events_by_category().map_err(|e| e.to_string())?;
    for (category, earlier) in before {
        if let Some(count) = by_category.get_mut(&category) {
            *count = count.saturating_sub(earlier);
        }
    }
    by_category.retain(|_, count| *count > 0);
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
    let health = since(release_health(store.as_ref())?, &health_before);
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
    println!(
        "\nRelease health (computed by the collector from daily reports that name no install)"
    );
    for line in modicum_server::health::table(&health).lines() {
        println!("  {line}");
    }
    let truth = fleet.health.rows();
    let matches = same_counts(&health, &truth);
    println!(
        "  the fleet's own count: {}{}",
        if matches {
            "the same, for every release"
        } else {
            "DIFFERENT"
        },
        if fleet.health.waiting > 0 {
            format!(
                "; {} devices' reports still wait on the device (cross-border consent)",
                fleet.health.waiting
            )
        } else {
            String::new()
        }
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
    if !matches {
        return Err(format!(
            "release health differs from the fleet's truth: collector {health:?}, fleet {truth:?}"
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
    /// Every device's sessions as the simulator ran them.
    health: HealthTruth,
}

impl Fleet {
    fn ledger(&self, category: Category, entry: LedgerEntry) -> u64 {
        self.ledger.get(&(category, entry)).copied().unwrap_or(0)
    }
}

/// The simulator's truth about release health: per version, over the devices whose report
/// reached the collector.
#[derive(Default)]
struct HealthTruth {
    by_version: std::collections::BTreeMap<&'static str, ReleaseDay>,
    /// Devices with sessions whose report is still on the device.
    waiting: u32,
}

impl HealthTruth {
    fn add(&mut self, device: DeviceHealth) {
        if device.sessions == 0 {
            return;
        }
        if !device.delivered {
            self.waiting += 1;
            return;
        }
        let row = self.by_version.entry(device.version).or_default();
        row.version = device.version.to_owned();
        row.installs += 1;
        row.crashed_installs += u64::from(device.crashed > 0);
        row.sessions += device.sessions;
        row.crashed_sessions += device.crashed;
        row.abnormal_sessions += device.abnormal;
    }

    fn rows(&self) -> Vec<ReleaseDay> {
        self.by_version.values().cloned().collect()
    }
}

fn release_health(store: &dyn store::Store) -> Result<Vec<ReleaseDay>, String> {
    modicum_server::health::release_health(store)
        .map(|(rows, _)| rows)
        .map_err(|e| e.to_string())
}

/// What this run added: `after` less the rows a reused database held before.
fn since(after: Vec<ReleaseDay>, before: &[ReleaseDay]) -> Vec<ReleaseDay> {
    after
        .into_iter()
        .map(|mut row| {
            if let Some(old) = before
                .iter()
                .find(|b| b.day == row.day && b.version == row.version)
            {
                row.installs -= old.installs;
                row.crashed_installs -= old.crashed_installs;
                row.sessions -= old.sessions;
                row.crashed_sessions -= old.crashed_sessions;
                row.abnormal_sessions -= old.abnormal_sessions;
            }
            row
        })
        .filter(|row| row.installs > 0)
        .collect()
}

/// Whether the collector's rows (one simulated day) count what the fleet did, release by
/// release.
fn same_counts(collector: &[ReleaseDay], truth: &[ReleaseDay]) -> bool {
    let key = |r: &ReleaseDay| {
        (
            r.version.clone(),
            r.installs,
            r.crashed_installs,
            r.sessions,
            r.crashed_sessions,
            r.abnormal_sessions,
        )
    };
    collector.len() == truth.len() && collector.iter().map(key).eq(truth.iter().map(key))
}
