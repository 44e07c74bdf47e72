//! Crash records left by an earlier process, read at start and turned into reports.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use super::signal::{MAGIC, SIGNALS};
use super::CrashReport;

/// Reports found, and the files they came from (removed once the reports are durable).
#[derive(Debug, Default)]
pub struct Pending {
    pub reports: Vec<CrashReport>,
    /// Files that were not records (torn, foreign): removed and counted.
    pub unreadable: u64,
    /// The processes that left a record of a crash, readable or torn: release health counts
    /// the session each left open as crashed.
    pub pids: BTreeSet<u32>,
    files: Vec<PathBuf>,
}

impl Pending {
    /// Deletes the records these reports came from.
    pub fn remove(self) -> std::io::Result<()> {
        for file in self.files {
            match fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        Ok(())
    }
}

/// Reads every record in `dir` but this process's own (which its handler may still write).
pub fn take_pending(dir: &Path) -> Pending {
    let own = super::signal::record_path(dir);
    let mut pending = Pending::default();
    let Ok(entries) = fs::read_dir(dir) else {
        return pending;
    };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    for path in paths {
        if path == own {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let report = if name.starts_with("panic-") && name.ends_with(".json") {
            Some(
                fs::read(&path)
                    .ok()
                    .and_then(|b| serde_json::from_slice::<CrashReport>(&b).ok()),
            )
        } else if name.starts_with("native-") && name.ends_with(".crash") {
            match fs::read_to_string(&path) {
                // The process ended without a fatal signal.
                Ok(text) if text.is_empty() => None,
                Ok(text) => Some(parse_native(&text)),
                Err(_) => Some(None),
            }
        } else if name.ends_with(".tmp") {
            // A panic record that was never renamed into place: torn.
            Some(None)
        } else {
            continue;
        };
        if report.is_some() {
            pending.pids.extend(pid_of(name));
        }
        match report {
            Some(Some(report)) => pending.reports.push(report),
            Some(None) => pending.unreadable += 1,
            None => {}
        }
        pending.files.push(path);
    }
    pending
}

/// The process a record's name says wrote it: `native-<pid>[-<ms>].crash` or
/// `panic-<ms>-<pid>-<n>.json` (a torn panic record adds `.tmp`).
fn pid_of(name: &str) -> Option<u32> {
    let mut parts = name.split(['-', '.']);
    match parts.next()? {
        "native" => parts.next()?.parse().ok(),
        "panic" => parts.nth(1)?.parse().ok(),
        _ => None,
    }
}

/// A native record as a report: the signal by name, and the frames as addresses.
fn parse_native(text: &str) -> Option<CrashReport> {
    let mut lines = text.lines();
    if lines.next()? != MAGIC {
        return None;
    }
    let mut fields = std::collections::HashMap::new();
    let mut frames = Vec::new();
    for line in lines {
        let (key, value) = line.split_once('=')?;
        if key == "frame" {
            frames.push(format!("#{} {value}", frames.len()));
        } else {
            fields.insert(key, value);
        }
    }
    let signal: i32 = fields.get("signal")?.parse().ok()?;
    let name = SIGNALS
        .iter()
        .find(|(s, _)| *s == signal)
        .map_or("signal", |(_, n)| n);
    let pc = fields.get("pc").copied().unwrap_or("0x0");
    if frames.is_empty() {
        frames.push(format!("#0 {pc}"));
    }
    Some(CrashReport {
        kind: "signal".into(),
        message: format!(
            "{name} (signal {signal}, code {}) at address {}, pc {pc}",
            fields.get("code").copied().unwrap_or("?"),
            fields.get("addr").copied().unwrap_or("?"),
        ),
        frames,
        thread: None,
        at_ms: fields
            .get("time_ms")
            .and_then(|t| t.parse().ok())
            .unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_parse_and_damage_is_counted() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        fs::write(
            dir.join("native-1.crash"),
            format!("{MAGIC}\nsignal=11\ncode=1\naddr=0x8\npc=0x5555\ntime_ms=42\nentered_ns=1\nframe=0x5555\nframe=0x6666\nsynced_ns=2\n"),
        )
        .unwrap();
        fs::write(dir.join("native-2.crash"), "").unwrap();
        fs::write(dir.join("native-3.crash"), "garbage").unwrap();
        fs::write(dir.join("panic-1-1-0.json"), "{not json").unwrap();
        fs::write(dir.join("unrelated.txt"), "x").unwrap();
        let pending = take_pending(dir);
        assert_eq!(pending.reports.len(), 1);
        let report = &pending.reports[0];
        assert_eq!(report.kind, "signal");
        assert!(report
            .message
            .starts_with("SIGSEGV (signal 11, code 1) at address 0x8"));
        assert_eq!(report.frames, vec!["#0 0x5555", "#1 0x6666"]);
        assert_eq!(report.at_ms, 42);
        assert_eq!(pending.unreadable, 2);
        // The empty record is a process that ended without a signal: not a crash.
        assert_eq!(pending.pids, BTreeSet::from([1, 3]));
        assert_eq!(pid_of("panic-1700000000000-4242-0.json"), Some(4242));
        assert_eq!(pid_of("native-77-1700000000000.crash"), Some(77));
        pending.remove().unwrap();
        let left: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(left, vec!["unrelated.txt"]);
    }
}
