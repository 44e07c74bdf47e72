//! The Rust panic hook.

use std::backtrace::Backtrace;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, Once};

use super::CrashReport;
use crate::storage::{write_atomic, Filesystem};
use modicum_scrub::scrub;

/// Where the hook writes; the latest `install` wins (one storage directory per process).
static DIR: Mutex<Option<PathBuf>> = Mutex::new(None);
static INSTALL: Once = Once::new();
static SEQ: AtomicU64 = AtomicU64::new(0);

/// Installs the hook once per process, chained to whatever hook was there before; records go
/// to `dir`.
pub fn install(dir: PathBuf) {
    *DIR.lock().unwrap_or_else(|p| p.into_inner()) = Some(dir);
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            write_record(info);
            previous(info);
        }));
    });
}

fn write_record(info: &std::panic::PanicHookInfo<'_>) {
    let Some(dir) = DIR.lock().ok().and_then(|d| d.clone()) else {
        return;
    };
    let payload = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let location = info
        .location()
        .map(|l| format!(" at {}:{}:{}", l.file(), l.line(), l.column()))
        .unwrap_or_default();
    let frames = Backtrace::force_capture()
        .to_string()
        .lines()
        .map(|l| scrub(l.trim()).into_owned())
        .filter(|l| !l.is_empty())
        .collect();
    let report = CrashReport {
        kind: "panic".into(),
        message: scrub(&format!("{payload}{location}")).into_owned(),
        frames,
        thread: std::thread::current().name().map(|n| scrub(n).into_owned()),
        at_ms: crate::clock::now_ms(),
    };
    let _ = write_durably(&dir, &report);
}

/// temp file, sync, rename, sync the directory: the record is there after a crash or not at all.
fn write_durably(dir: &std::path::Path, report: &CrashReport) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let name = format!(
        "panic-{}-{}-{}.json",
        report.at_ms,
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let bytes = serde_json::to_vec(report).map_err(std::io::Error::other)?;
    write_atomic(&Filesystem, &dir.join(name), &bytes)
}
