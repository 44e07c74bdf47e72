//! Modicum beside Glean, OpenTelemetry and Sentry on one mobile session, in one run.
//!
//! The parent runs each SDK and batch setting in a child process (this binary again, with
//! `child ...`), so CPU time, peak memory and I/O counters belong to that SDK alone; under
//! `strace` when it is available, to count sync calls. Then it opens every upload body the
//! child kept, counts the events in them, looks for the planted personal data, and prints one
//! Markdown table. See README.md.

mod measure;
mod pii;
mod report;
mod sdk;
mod workload;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use measure::{quantile, Io, Pacer, Usage};

use sdk::{Kind, Result};
use workload::Session;

/// Simulated session time per real second, unless `--compress` says otherwise.
const DEFAULT_COMPRESS: u64 = 120;
const DEFAULT_SEED: u64 = 42;

/// The sync calls counted, and the marker calls that bracket the measured window.
const SYNC_CALLS: [&str; 6] = [
    "fsync",
    "fdatasync",
    "sync_file_range",
    "syncfs",
    "sync",
    "msync",
];
const MARKER_CALL: &str = "getsid";

/// What a child reports about its run (on stdout, as JSON).
#[derive(Debug, Serialize, Deserialize)]
pub struct ChildReport {
    pub events: usize,
    pub call_p50_ns: u64,
    pub call_p99_ns: u64,
    pub build_p50_ns: u64,
    pub build_p99_ns: u64,
    pub cpu_ns: u64,
    /// Of `cpu_ns`, what the harness's thread spent sleeping until each event's moment.
    pub pacing_cpu_ns: u64,
    pub wchar: u64,
    pub disk_bytes: u64,
    pub max_rss_kib: u64,
    pub wall_ms: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("child") => child(&args[1..]),
        _ => parent(&args),
    };
    if let Err(e) = result {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

struct Options {
    compress: u64,
    seed: u64,
    only: Option<Vec<Kind>>,
    strace: bool,
    scale_timers: bool,
}

fn options(args: &[String]) -> Result<Options> {
    let mut o = Options {
        compress: DEFAULT_COMPRESS,
        seed: DEFAULT_SEED,
        only: None,
        strace: true,
        scale_timers: false,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--compress" => o.compress = value()?.parse()?,
            "--seed" => o.seed = value()?.parse()?,
            "--only" => {
                let kinds = value()?
                    .split(',')
                    .map(|id| Kind::parse(id).ok_or(format!("unknown SDK {id}")))
                    .collect::<std::result::Result<_, _>>()?;
                o.only = Some(kinds);
            }
            "--no-strace" => o.strace = false,
            "--scale-timers" => o.scale_timers = true,
            _ => {
                return Err(format!(
                    "usage: modicum-peers [--compress N] [--seed N] [--only none,modicum,glean,otel,sentry] [--no-strace] [--scale-timers] (unknown {arg})"
                )
                .into())
            }
        }
    }
    Ok(o)
}

fn parent(args: &[String]) -> Result<()> {
    let mut o = options(args)?;
    let started = Instant::now();
    let session = Session::generate(o.seed);
    let runs_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/peers-runs");
    if o.strace && !strace_works() {
        eprintln!("strace is not usable here: the fsync column will read n/a");
        o.strace = false;
    }
    let kinds: Vec<Kind> = Kind::ALL
        .into_iter()
        .filter(|k| o.only.as_ref().is_none_or(|only| only.contains(k)))
        .collect();
    let total: usize = kinds.iter().map(|k| k.batches().len()).sum();
    eprintln!(
        "{}; 30 simulated minutes in {:.1} s per run, {total} runs",
        session.summary(),
        1800.0 / o.compress as f64
    );
    let mut rows = Vec::new();
    for kind in kinds {
        for (batch, label) in kind.batches() {
            let dir = runs_dir.join(format!("{}-{}", kind.id(), batch.unwrap_or(0)));
            let _ = std::fs::remove_dir_all(&dir);
            std::fs::create_dir_all(&dir)?;
            eprint!("{} batch {label} ... ", kind.title());
            let row = run_one(kind, batch, &label, &dir, &o, &session)?;
            eprintln!("done in {:.1} s", row.report.wall_ms as f64 / 1000.0);
            rows.push(row);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    report::print(
        &session,
        &rows,
        o.compress,
        o.scale_timers,
        o.strace,
        started.elapsed(),
    );
    Ok(())
}

/// One run's figures, for the table.
pub struct Row {
    pub kind: Kind,
    pub label: String,
    pub report: ChildReport,
    pub bodies: usize,
    pub wire_bytes: u64,
    /// The same bodies gzipped, where the SDK sends them uncompressed.
    pub wire_bytes_if_gzipped: Option<u64>,
    pub delivered: usize,
    pub syncs: Option<u64>,
    pub pii_found: [usize; 3],
}

/// Runs `kind` with `batch` in a child process under `dir`, then opens what it sent.
fn run_one(
    kind: Kind,
    batch: Option<usize>,
    label: &str,
    dir: &Path,
    o: &Options,
    session: &Session,
) -> Result<Row> {
    let exe = std::env::current_exe()?;
    let trace = dir.join("strace.txt");
    let mut cmd = if o.strace {
        let mut c = Command::new("strace");
        c.args(["-f", "--seccomp-bpf", "-qq", "-o"])
            .arg(&trace)
            .arg("-e")
            .arg(format!("trace={},{MARKER_CALL}", SYNC_CALLS.join(",")))
            .arg(&exe);
        c
    } else {
        Command::new(&exe)
    };
    let batch_arg = batch.map_or("default".to_owned(), |n| n.to_string());
    cmd.arg("child")
        .args([kind.id(), &batch_arg])
        .arg(dir)
        .args([o.compress.to_string(), o.seed.to_string()])
        .arg(if o.scale_timers { "scaled" } else { "real" })
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let output = cmd.output()?;
    if !output.status.success() {
        return Err(format!(
            "{} batch {label}: child failed ({})",
            kind.id(),
            output.status
        )
        .into());
    }
    let report: ChildReport = serde_json::from_slice(&output.stdout)?;
    let bodies = sdk::read_bodies(&dir.join("bodies.bin"))?;
    let opened = sdk::open(kind, &bodies)?;
    Ok(Row {
        kind,
        label: label.to_owned(),
        bodies: bodies.len(),
        wire_bytes: bodies.iter().map(|b| b.bytes.len() as u64).sum(),
        wire_bytes_if_gzipped: (!kind.compresses()).then(|| {
            bodies
                .iter()
                .map(|b| sdk::gzip(&b.bytes).len() as u64)
                .sum()
        }),
        delivered: opened.events,
        syncs: o
            .strace
            .then(|| std::fs::read_to_string(&trace).ok())
            .flatten()
            .map(|t| syncs_in_window(&t)),
        pii_found: pii::found(&session.planted, &opened.plaintexts),
        report,
    })
}

/// Whether `strace -f --seccomp-bpf` runs here (it needs ptrace and a recent strace).
fn strace_works() -> bool {
    Command::new("strace")
        .args([
            "-f",
            "--seccomp-bpf",
            "-qq",
            "-o",
            "/dev/null",
            "-e",
            "trace=fsync",
            "true",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Sync calls between the child's two marker calls, from strace's per-call lines
/// (`PID name(args) = ret`; a call cut by another thread's line shows as `<unfinished ...>`
/// and later `<... name resumed>`, counted once at its start).
fn syncs_in_window(trace: &str) -> u64 {
    let call_of = |line: &str| -> Option<String> {
        let rest = line.split_once(' ').map_or(line, |(_, r)| r).trim_start();
        if rest.starts_with("<...") {
            return None;
        }
        rest.split_once('(').map(|(name, _)| name.to_owned())
    };
    let mut inside = false;
    let mut count = 0;
    for line in trace.lines() {
        match call_of(line).as_deref() {
            Some(MARKER_CALL) => {
                if inside {
                    break;
                }
                inside = true;
            }
            Some(name) if inside && SYNC_CALLS.contains(&name) => count += 1,
            _ => {}
        }
    }
    count
}

/// `child SDK BATCH DIR COMPRESS SEED TIMERS`: runs one SDK through the session and prints
/// its report; the bodies go to `DIR/bodies.bin`. TIMERS is `real` or `scaled`.
fn child(args: &[String]) -> Result<()> {
    let [kind, batch, dir, compress, seed, timers] = args else {
        return Err("child needs SDK BATCH DIR COMPRESS SEED TIMERS".into());
    };
    let kind = Kind::parse(kind).ok_or("unknown SDK")?;
    let batch = match batch.as_str() {
        "default" => None,
        n => Some(n.parse()?),
    };
    let dir = PathBuf::from(dir);
    let session = Session::generate(seed.parse()?);
    let pacer = Arc::new(Pacer::new(compress.parse()?, timers == "scaled"));
    let mut sdk = sdk::start(kind, batch, &dir, &pacer, &session)?;

    // The measured window: from the first record until every body is in hand.
    mark_window();
    let (io0, usage0, wall0) = (Io::now(), Usage::now(), Instant::now());
    pacer.begin();
    let mut samples = Vec::with_capacity(session.steps.len());
    let mut pacing_cpu_ns = 0;
    for step in &session.steps {
        // Sleeping and waking costs this thread CPU on every event; it is the harness's.
        let before = measure::thread_cpu_ns();
        pacer.wait_until(step.at_ms);
        pacing_cpu_ns += measure::thread_cpu_ns() - before;
        samples.push(sdk.record(step));
        sdk.tick();
    }
    let bodies = sdk.finish()?;
    let (usage1, io1, wall) = (Usage::now(), Io::now().since(io0), wall0.elapsed());
    mark_window();

    sdk::write_bodies(&dir.join("bodies.bin"), &bodies)?;
    let mut calls: Vec<u64> = samples.iter().map(|s| s.call_ns).collect();
    let mut builds: Vec<u64> = samples.iter().map(|s| s.build_and_call_ns).collect();
    let report = ChildReport {
        events: samples.len(),
        call_p50_ns: quantile(&mut calls, 0.50),
        call_p99_ns: quantile(&mut calls, 0.99),
        build_p50_ns: quantile(&mut builds, 0.50),
        build_p99_ns: quantile(&mut builds, 0.99),
        cpu_ns: usage1.cpu_ns - usage0.cpu_ns,
        pacing_cpu_ns,
        wchar: io1.wchar,
        disk_bytes: io1.write_bytes.saturating_sub(io1.cancelled_write_bytes),
        max_rss_kib: usage1.max_rss_kib,
        wall_ms: measure::nanos(wall) / 1_000_000,
    };
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}

/// A system call no SDK makes, so strace's log shows where the measured window starts and
/// ends.
fn mark_window() {
    // SAFETY: getsid only reads the process's session id.
    unsafe { libc::getsid(0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syncs_are_counted_between_the_markers_only() {
        let trace = "\
101 fsync(3) = 0
101 getsid(0) = 100
102 fdatasync(5 <unfinished ...>
101 fsync(4) = 0
102 <... fdatasync resumed>) = 0
103 msync(0x7f, 4096, MS_SYNC) = 0
101 getsid(0) = 100
101 fsync(3) = 0
";
        assert_eq!(syncs_in_window(trace), 3);
    }
}
