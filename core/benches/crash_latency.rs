//! Time from a fatal signal to its durable record. A harness, not a criterion benchmark: each
//! sample is a child process (this binary again) that starts Modicum with its crash handlers,
//! notes the monotonic clock, and writes through a bad pointer; the record it leaves says when
//! the handler was entered and when `fsync` returned.
//!
//! Run: `cargo bench -p modicum-core --bench crash_latency`

use std::process::Command;

use modicum_core::{Config, Modicum};

const RUNS: usize = 30;

fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    let seconds = u64::try_from(ts.tv_sec).expect("a monotonic clock is not negative");
    let nanos = u64::try_from(ts.tv_nsec).expect("nanoseconds are not negative");
    seconds * 1_000_000_000 + nanos
}

fn child(dir: &str) {
    let mut config = Config::new(dir, "dev.modicum.crashbench");
    config.crash_handlers = true;
    let _modicum = Modicum::start(config).expect("starts");
    println!("before_ns={}", monotonic_ns());
    // SAFETY: none; a real invalid write for the kernel to answer with SIGSEGV.
    unsafe { std::ptr::without_provenance_mut::<u8>(8).write_volatile(1) };
}

fn field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('='))?
        .parse()
        .ok()
}

fn main() {
    if let Ok(dir) = std::env::var("MODICUM_CRASH_BENCH_DIR") {
        return child(&dir);
    }
    let exe = std::env::current_exe().expect("bench binary");
    let (mut to_handler, mut to_durable) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = tmp.path().join(format!("store-{run}"));
        let out = Command::new(&exe)
            .env("MODICUM_CRASH_BENCH_DIR", &dir)
            .output()
            .expect("child runs");
        let before = field(&String::from_utf8_lossy(&out.stdout), "before_ns").expect("before");
        let crashes = dir.join("crashes");
        let record = std::fs::read_dir(&crashes)
            .expect("crash dir")
            .flatten()
            .map(|e| std::fs::read_to_string(e.path()).unwrap_or_default())
            .find(|t| !t.is_empty())
            .expect("a record");
        let entered = field(&record, "entered_ns").expect("entered");
        let synced = field(&record, "synced_ns").expect("synced");
        to_handler.push(entered.saturating_sub(before));
        to_durable.push(synced.saturating_sub(before));
    }
    to_handler.sort_unstable();
    to_durable.sort_unstable();
    let pct = |v: &[u64], per_mille: usize| v[(v.len() - 1) * per_mille / 1000] as f64 / 1000.0;
    println!("fatal signal -> durable record, {RUNS} crashing child processes:");
    println!(
        "  fault -> handler entered   p50 {:>8.1} µs   p90 {:>8.1} µs   max {:>8.1} µs",
        pct(&to_handler, 500),
        pct(&to_handler, 900),
        pct(&to_handler, 1000)
    );
    println!(
        "  fault -> record durable    p50 {:>8.1} µs   p90 {:>8.1} µs   max {:>8.1} µs",
        pct(&to_durable, 500),
        pct(&to_durable, 900),
        pct(&to_durable, 1000)
    );
}
