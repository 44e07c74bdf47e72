//! The memory bound `docs/server.md` states holds under hostile traffic: the server runs in a
//! child process (this test binary, run again), every attack the reports describe is sent at
//! once from many sockets after honest traffic, and the child's peak resident memory
//! (`VmHWM`) may grow by no more than [`ServerConfig::memory_bound`] past its peak when idle.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::Duration;

use modicum_server::keys::KeyRing;
use modicum_server::service::ServerConfig;
use modicum_server::store::SqliteStore;
use modicum_wire::hostile;
use support::{current, good, seal, seal_payload, send, zeros_bomb};

/// Set in the child's environment: the child serves instead of attacking.
const CHILD: &str = "MODICUM_MEMORY_CHILD";

/// Small limits, so the bound is tight enough to mean something; rates unlimited, so every
/// attack reaches the decoder.
fn limits(config: &mut ServerConfig) {
    config.max_body = 256 << 10;
    config.max_inflated = 1 << 20;
    config.max_events = 100_000;
    config.max_in_flight = 4;
    config.max_buffered = 4 << 20;
    config.max_connections = 64;
    config.peer_events_per_minute = u32::MAX;
    config.peer_event_burst = u32::MAX;
    config.rate_per_minute = u32::MAX;
    config.burst = u32::MAX;
    config.request_timeout = Duration::from_secs(60);
}

#[test]
fn serve_as_the_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    // On disk, as a deployment stores: what is stored is not what requests hold.
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("ingest.sqlite3")).unwrap();
    let mut config = ServerConfig::new(
        KeyRing::new([current(), support::previous()]),
        std::sync::Arc::new(store),
    );
    config.addr = "127.0.0.1:0".parse().unwrap();
    limits(&mut config);
    let server = modicum_server::service::spawn(config).unwrap();
    println!("listening {}", server.addr());
    // Serves until the parent closes stdin.
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
}

/// Peak resident memory of `pid` so far, in bytes.
fn peak(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

struct Served {
    child: Child,
    url: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn serve() -> Served {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "serve_as_the_child",
            "--exact",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(CHILD, "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let addr: SocketAddr = loop {
        let line = lines
            .next()
            .expect("the child said where it listens")
            .unwrap();
        // The harness may print the test's name on the same line first.
        if let Some((_, addr)) = line.split_once("listening ") {
            break addr.trim().parse().unwrap();
        }
    };
    // Keep draining its output so it never blocks on a full pipe.
    thread::spawn(move || lines.for_each(drop));
    Served {
        child,
        url: format!("http://{addr}"),
    }
}

/// Sends each body from a thread of its own, all at once; the statuses.
fn all_at_once(url: &str, bodies: Vec<Vec<u8>>) -> Vec<u16> {
    let threads: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let url = url.to_owned();
            thread::spawn(move || send(&url, "POST", "/v1/batches", &body).status)
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

#[test]
fn hostile_traffic_stays_within_the_documented_memory_bound() {
    if !std::path::Path::new("/proc/self/status").exists() {
        eprintln!("no /proc: the peak cannot be read on this platform");
        return;
    }
    let served = serve();
    let pid = served.child.id();
    assert_eq!(send(&served.url, "GET", "/v1/health", b"").status, 200);
    let baseline = peak(pid);
    // Honest traffic at the in-flight limit (what it holds counts too), then the attacks.
    for round in 0..3 {
        let honest = (0..8)
            .map(|n| seal(&current(), &good(round * 8 + n, 2_000)))
            .collect();
        assert!(all_at_once(&served.url, honest)
            .iter()
            .all(|&s| s == 200 || s == 503));
    }

    let twenty = |body: Vec<u8>| vec![body; 20];
    let attacks: Vec<(&str, Vec<Vec<u8>>)> = vec![
        (
            "100 000 events sharing a 60 KB string",
            twenty(seal_payload(
                &current(),
                &hostile::shared_string(100_000, 60_000).unwrap(),
                100_000,
            )),
        ),
        (
            "5 000 events sharing a 60 KB string",
            twenty(seal_payload(
                &current(),
                &hostile::shared_string(5_000, 60_000).unwrap(),
                5_000,
            )),
        ),
        (
            "a million empty cells",
            twenty(seal_payload(
                &current(),
                &hostile::empty_cells(2, 1_000_000).unwrap(),
                2,
            )),
        ),
        (
            "a GiB of zeros",
            twenty(seal_payload(&current(), &zeros_bomb(1024), 1)),
        ),
        ("bodies at the size limit", twenty(vec![0x4d; 256 << 10])),
    ];
    for (name, bodies) in attacks {
        let statuses = all_at_once(&served.url, bodies);
        assert!(
            statuses.iter().all(|&s| matches!(s, 400 | 413 | 503)),
            "{name}: {statuses:?}"
        );
    }
    let grown = peak(pid).saturating_sub(baseline);
    let mut config = ServerConfig::new(
        KeyRing::new([]),
        std::sync::Arc::new(SqliteStore::in_memory().unwrap()),
    );
    limits(&mut config);
    let bound = config.memory_bound() as u64;
    eprintln!(
        "peak resident memory grew by {} KiB under attack (bound {} KiB)",
        grown / 1024,
        bound / 1024
    );
    assert!(grown <= bound, "grew {grown} bytes, bound {bound}");
    let health = send(&served.url, "GET", "/v1/health", b"");
    assert_eq!(health.status, 200);
}
