//! `record()` as the app sees it: the latency of each call on the caller's thread (the worker
//! minimizes and journals on another thread), and the sustained rate from record to durable
//! journal. A harness that prints figures, not a criterion benchmark: percentiles of single
//! calls need every sample, and criterion reports means.
//!
//! Each burst is sealed into outbox batches (`seal_now`), so the rate covers the whole path to
//! a sealed batch on disk.
//!
//! Run: `cargo bench -p modicum-core --bench record`

use std::time::{Duration, Instant};

use modicum_core::envelope::CollectorKey;
use modicum_core::{Category, Config, Event, Modicum, Value};

/// Any X25519 public key will do for sealing (this one is RFC 9180's test recipient).
const COLLECTOR: [u8; 32] = [
    0x39, 0x48, 0xcf, 0xe0, 0xad, 0x1d, 0xdb, 0x69, 0x5d, 0x78, 0x0e, 0x59, 0x07, 0x71, 0x95, 0xda,
    0x6c, 0x56, 0x50, 0x6b, 0x02, 0x73, 0x29, 0x79, 0x4a, 0xb0, 0x2b, 0xca, 0x80, 0x81, 0x5c, 0x4d,
];

const ROUNDS: usize = 100;
const BURST: usize = 5_000;

fn event(i: usize) -> Event {
    Event::new("screen_view")
        .with("screen", Value::Text(format!("step-{}", i % 7)))
        .with(
            "load_ms",
            Value::Int(i64::try_from(i % 300).expect("below 300")),
        )
        .with("ratio", Value::Double(0.25))
        .with("first", Value::Bool(i % 2 == 0))
}

/// A duration in nanoseconds, saturating (no sample lasts 584 years).
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The value `per_mille` thousandths of the way through `sorted`.
fn percentile(sorted: &[u64], per_mille: usize) -> u64 {
    sorted[(sorted.len() - 1) * per_mille / 1000]
}

/// CPU seconds the worker thread has used (user + system), from /proc: the figure that holds
/// when other work shares the machine, where wall-clock rates do not.
fn worker_cpu_seconds() -> Option<f64> {
    let tasks = std::fs::read_dir("/proc/self/task").ok()?;
    for task in tasks.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() != "modicum-worker" {
            continue;
        }
        let stat = std::fs::read_to_string(task.path().join("stat")).ok()?;
        // Fields after the parenthesized command name; utime and stime are the 12th and 13th.
        let rest = &stat[stat.rfind(')')? + 2..];
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let ticks: f64 =
            fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
        return Some(ticks / per_second);
    }
    None
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let mut config = Config::new(tmp.path().join("store"), "dev.modicum.bench");
    config.queue_capacity = BURST * 2;
    config.collector = Some(CollectorKey::from_public_bytes(&COLLECTOR).expect("32 bytes"));
    let modicum = Modicum::start(config).expect("starts");
    modicum
        .set_consent(Category::Analytics, true)
        .expect("consent");

    // What reading the clock itself costs, to subtract from each sample.
    let mut overhead: Vec<u64> = (0..100_000)
        .map(|_| {
            let t = Instant::now();
            nanos(t.elapsed())
        })
        .collect();
    overhead.sort_unstable();
    let clock = percentile(&overhead, 500);

    let cpu_before = worker_cpu_seconds();
    // The app builds its events; building them is not `record`'s cost, nor the pipeline's,
    // but it is the caller's: each build is timed on its own.
    let mut builds = Vec::with_capacity(ROUNDS * BURST);
    let bursts: Vec<Vec<Event>> = (0..ROUNDS)
        .map(|round| {
            (0..BURST)
                .map(|i| {
                    let t = Instant::now();
                    let e = event(round * BURST + i);
                    builds.push(nanos(t.elapsed()).saturating_sub(clock));
                    e
                })
                .collect()
        })
        .collect();
    builds.sort_unstable();
    println!(
        "building the Event (a literal name and keys, four properties, one formatted text value): p50 {} ns, p99 {} ns",
        percentile(&builds, 500),
        percentile(&builds, 990)
    );
    let mut samples = Vec::with_capacity(ROUNDS * BURST);
    let mut queued = 0usize;
    let started = Instant::now();
    for events in bursts {
        for e in events {
            let t = Instant::now();
            let ok = modicum.record(e).expect("valid");
            samples.push(nanos(t.elapsed()).saturating_sub(clock));
            queued += usize::from(ok);
        }
        modicum.seal_now(Duration::from_secs(30)).expect("seal");
    }
    let elapsed = started.elapsed();
    let worker_cpu = cpu_before.zip(worker_cpu_seconds()).map(|(a, b)| b - a);
    samples.sort_unstable();
    println!("record() at the caller, {} calls in bursts of {BURST} (clock overhead {clock} ns subtracted):", samples.len());
    println!("  p50   {:>6} ns", percentile(&samples, 500));
    println!("  p90   {:>6} ns", percentile(&samples, 900));
    println!("  p99   {:>6} ns", percentile(&samples, 990));
    println!("  p99.9 {:>6} ns", percentile(&samples, 999));
    println!("  max   {:>6} ns", samples.last().copied().unwrap_or(0));
    println!(
        "record -> minimized -> journal -> sealed outbox batches: {queued} events in {:.2} s = {:.0} events/s (worker on one core; {} dropped on a full queue; {} batches)",
        elapsed.as_secs_f64(),
        queued as f64 / elapsed.as_secs_f64(),
        samples.len() - queued,
        modicum.outbox().len()
    );
    if let Some(cpu) = worker_cpu {
        println!(
            "worker CPU time: {cpu:.2} s = {:.0} events per worker CPU-second",
            queued as f64 / cpu
        );
    }
}
