//! Time as an attack: bodies trickled a byte at a time, sockets opened and left idle, and a
//! request whose work outlasts its answer. Valid uploads keep going through all of them.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use modicum_server::open::Opened;
use modicum_server::store::{Deletion, Inserted, Retention, SqliteStore, Store, StoreError, Swept};
use support::{good_body, post, send, start, still_serves};

/// Opens a socket and sends a request head for a body of `length` bytes, and none of it.
fn begin_upload(addr: SocketAddr, length: usize) -> TcpStream {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST /v1/batches HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Content-Type: application/octet-stream\r\nContent-Length: {length}\r\n\r\n"
    )
    .unwrap();
    stream
}

/// What the server sent before closing (or until `wait` passed): the status line's code, or
/// `None` if it closed without a word or said nothing in time.
fn status_of(stream: &mut TcpStream, wait: Duration) -> Option<u16> {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0u8; 1024];
    while let Ok(n) = stream.read(&mut buffer) {
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buffer[..n]);
        if answer.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let text = String::from_utf8_lossy(&answer);
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

/// Whether the server closed `stream` within `wait`.
fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => return true,
            Ok(_) => continue, // an answer first (a 503, a 408), then the close
            Err(e) => {
                return !matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                )
            }
        }
    }
}

#[test]
fn trickled_bodies_hold_no_slot_and_are_cut_off() {
    let (server, store) = start(|c| {
        c.max_in_flight = 4;
        c.body_grace = Duration::from_secs(2);
    });
    let addr = server.addr();
    // 64 sockets, each promising 600 bytes and sending one every 200 ms: far below the
    // minimum rate, and 16 for every in-flight slot.
    let trickles: Vec<_> = (0..64)
        .map(|_| {
            thread::spawn(move || {
                let mut stream = begin_upload(addr, 600);
                let started = Instant::now();
                // A byte, then 200 ms listening for the answer: nothing is written after it.
                while started.elapsed() < Duration::from_secs(8) {
                    if stream.write_all(b"x").is_err() {
                        break;
                    }
                    if let Some(status) = status_of(&mut stream, Duration::from_millis(200)) {
                        return (Some(status), started.elapsed());
                    }
                }
                (None, started.elapsed())
            })
        })
        .collect();
    thread::sleep(Duration::from_millis(300));
    // Meanwhile every valid upload goes through at once.
    let started = Instant::now();
    for n in 0..20 {
        let answer = post(&server, "/v1/batches", &good_body(n));
        assert_eq!(answer.status, 200, "upload {n}: {}", answer.body);
    }
    let took = started.elapsed();
    for trickle in trickles {
        let (status, after) = trickle.join().unwrap();
        assert_eq!(
            status,
            Some(408),
            "a trickle was answered {status:?} after {after:?}"
        );
    }
    eprintln!("20 uploads beside 64 trickling sockets took {took:?}");
    assert_eq!(store.batch_count().unwrap(), 20);
    assert_eq!(server.stats().rejected.get("timeout"), Some(&64));
}

#[test]
fn idle_sockets_are_capped_and_closed_and_health_is_answered_throughout() {
    raise_descriptor_limit(4_096);
    let (server, _) = start(|c| {
        c.max_connections = 64;
        c.header_timeout = Duration::from_secs(1);
    });
    let addr = server.addr();
    let mut idle: Vec<TcpStream> = (0..1_100)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    thread::sleep(Duration::from_millis(300));
    // Answered, not left hanging: 503 while every connection is taken, or 200.
    let started = Instant::now();
    let health = send(&server.url(), "GET", "/v1/health", b"");
    assert!(matches!(health.status, 200 | 503), "{}", health.status);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The server lets go of every idle socket: the ones over the cap at once, the rest at
    // the header timeout.
    let deadline = Duration::from_secs(4);
    for (n, stream) in idle.iter_mut().enumerate() {
        assert!(closed_within(stream, deadline), "socket {n} still open");
    }
    drop(idle);
    // Beyond the 64 the cap lets in, the sockets were turned away as they came (each counted),
    // not held: well over a thousand of them, however fast this machine connects.
    let turned_away = server.stats().overloaded;
    assert!(turned_away >= 500, "{turned_away} turned away");
    let health = send(&server.url(), "GET", "/v1/health", b"");
    assert_eq!(health.status, 200);
    still_serves(&server, 1, "1 100 idle sockets");
}

#[test]
fn a_kept_alive_connection_is_closed_once_idle() {
    let (server, _) = start(|c| c.header_timeout = Duration::from_secs(1));
    let mut stream = TcpStream::connect(server.addr()).unwrap();
    write!(
        stream,
        "GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
    )
    .unwrap();
    assert_eq!(status_of(&mut stream, Duration::from_secs(2)), Some(200));
    let started = Instant::now();
    assert!(closed_within(&mut stream, Duration::from_secs(3)));
    let idle = started.elapsed();
    assert!(idle >= Duration::from_millis(800), "closed after {idle:?}");
}

/// A store whose inserts take `delay`: work that outlasts the request timeout.
struct Slow {
    inner: SqliteStore,
    delay: Duration,
    running: Mutex<u32>,
    most_at_once: Mutex<u32>,
}

impl Store for Slow {
    fn insert(&self, opened: &Opened, at: u64) -> Result<Inserted, StoreError> {
        let now = {
            let mut running = self.running.lock().unwrap();
            *running += 1;
            *running
        };
        let mut most = self.most_at_once.lock().unwrap();
        *most = (*most).max(now);
        drop(most);
        thread::sleep(self.delay);
        let inserted = self.inner.insert(opened, at);
        *self.running.lock().unwrap() -= 1;
        inserted
    }
    fn contains_batch(&self, id: &str) -> Result<bool, StoreError> {
        self.inner.contains_batch(id)
    }
    fn delete_installs(&self, i: &[String], r: u64, at: u64) -> Result<Deletion, StoreError> {
        self.inner.delete_installs(i, r, at)
    }
    fn events_by_category(&self) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        self.inner.events_by_category()
    }
    fn batch_count(&self) -> Result<u64, StoreError> {
        self.inner.batch_count()
    }
    fn contains_text(&self, needle: &str) -> Result<bool, StoreError> {
        self.inner.contains_text(needle)
    }
    fn events(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        self.inner.events()
    }
    fn tombstone_count(&self) -> Result<u64, StoreError> {
        self.inner.tombstone_count()
    }
    fn health_reports(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        self.inner.health_reports()
    }
    fn deletion_log(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        self.inner.deletion_log()
    }
    fn ping(&self) -> Result<(), StoreError> {
        self.inner.ping()
    }
    fn sweep(&self, now: u64, retention: &Retention) -> Result<Swept, StoreError> {
        self.inner.sweep(now, retention)
    }
}

#[test]
fn a_request_answered_408_keeps_its_slot_until_its_work_ends() {
    let slow = Arc::new(Slow {
        inner: SqliteStore::in_memory().unwrap(),
        delay: Duration::from_millis(1_500),
        running: Mutex::new(0),
        most_at_once: Mutex::new(0),
    });
    let (server, _) = start(|c| {
        c.store = Arc::<Slow>::clone(&slow);
        c.max_in_flight = 1;
        c.request_timeout = Duration::from_millis(300);
    });
    let first = good_body(1);
    let answer = post(&server, "/v1/batches", &first);
    assert_eq!(
        (answer.status, answer.body["error"].as_str()),
        (408, Some("timeout"))
    );
    // Its insert is still running: the one slot is still taken.
    let answer = post(&server, "/v1/batches", &good_body(2));
    assert_eq!(answer.status, 503, "{}", answer.body);
    thread::sleep(Duration::from_millis(1_500));
    // The work finished: the batch the client heard 408 for was stored, and its retry is a
    // duplicate.
    assert_eq!(post(&server, "/v1/batches", &first).status, 409);
    assert_eq!(*slow.most_at_once.lock().unwrap(), 1, "never two at once");
    assert_eq!(slow.batch_count().unwrap(), 1);
}

/// Lets this process open `wanted` descriptors if its hard limit allows (a test opening a
/// thousand sockets must not fail on a machine whose soft limit is 1 024).
fn raise_descriptor_limit(wanted: u64) {
    // SAFETY: getrlimit and setrlimit only read and write the struct passed.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}
