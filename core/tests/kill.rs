//! Process-level durability: a child process records and flushes events, sealing batches into
//! the outbox as it goes, and is killed with SIGKILL at random moments, 100 times. After each
//! kill the journal is reopened and every outbox batch opened (with an independent HPKE
//! implementation): every event whose `flush` returned must be there exactly once, across
//! journal and outbox, and no event may ever appear twice or in a batch that does not open.
//!
//! The child is this same test binary, run with `--ignored --exact kill_child` and the
//! `MODICUM_KILL_DIR` variable; it prints `flushed <seq>` after each flush returns.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod support;

use modicum_core::envelope::CollectorKey;
use modicum_core::wire::WireValue;
use modicum_core::{Category, Config, Event, Modicum, Value};

const KILLS: u32 = 100;
const EVENTS_PER_CHILD: i64 = 400;
const FLUSH_EVERY: i64 = 10;
const BATCH_EVENTS: i64 = 50;

fn flushed_seq(line: &str) -> Option<i64> {
    line.strip_prefix("flushed ")?.parse().ok()
}

fn collector() -> (support::PrivateKey, CollectorKey) {
    support::collector(b"kill test collector")
}

fn start(dir: &str) -> Modicum {
    let mut config = Config::new(dir, "dev.modicum.killtest");
    // A long window, so only `flush` makes events durable and the test sees what it promises.
    config.durability_window = Duration::from_secs(60);
    // Small batches, so kills land in the middle of batching rounds too.
    config.collector = Some(collector().1);
    config.batch_max_events = usize::try_from(BATCH_EVENTS).unwrap();
    Modicum::start(config).expect("starts")
}

/// The `seq` of every event held, in the journal and in outbox batches.
fn all_seqs(modicum: &Modicum) -> Vec<i64> {
    let seq = |v: Option<&WireValue>| match v {
        Some(WireValue::Int(i)) => *i,
        other => panic!("no seq: {other:?}"),
    };
    let mut seqs: Vec<i64> = modicum
        .held()
        .expect("readable")
        .iter()
        .map(|e| {
            serde_json::to_value(e).expect("serializes")["properties"]["seq"]
                .as_i64()
                .expect("seq")
        })
        .collect();
    let private = collector().0;
    for entry in modicum.outbox() {
        let batch = support::open_batch(
            &private,
            &modicum.outbox_batch(&entry).expect("batch readable"),
        );
        seqs.extend(batch.events.iter().map(|e| seq(e.properties.get("seq"))));
    }
    seqs
}

#[test]
#[ignore = "run by sigkill_at_random_moments_never_loses_a_flushed_event as its child process"]
fn kill_child() {
    let Ok(dir) = std::env::var("MODICUM_KILL_DIR") else {
        return;
    };
    let first: i64 = std::env::var("MODICUM_KILL_FIRST")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let modicum = start(&dir);
    modicum
        .set_consent(Category::Analytics, true)
        .expect("consent");
    let mut out = std::io::stdout().lock();
    writeln!(out, "ready").ok();
    out.flush().ok();
    for seq in first..first + EVENTS_PER_CHILD {
        modicum
            .record(Event::new("tick").with("seq", Value::Int(seq)))
            .expect("valid event");
        if (seq - first + 1) % FLUSH_EVERY == 0 {
            modicum.flush(Duration::from_secs(10)).expect("flush");
            writeln!(out, "flushed {seq}").ok();
            out.flush().ok();
        }
    }
    // Finishing is fine too: the parent then checks the same promise.
    std::mem::forget(modicum);
}

/// A small xorshift: the test needs varied kill moments, not cryptographic randomness.
struct Moments(u64);

impl Moments {
    fn next_micros(&mut self, max: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % max
    }
}

#[test]
fn sigkill_at_random_moments_never_loses_a_flushed_event() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("store");
    let dir = dir.to_str().expect("utf-8 path").to_owned();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
        | 1;
    eprintln!("kill moments seed: {seed}");
    let mut moments = Moments(seed);
    let exe = std::env::current_exe().expect("test binary");
    let mut next_seq = 0i64;
    let mut acknowledged: Option<i64> = None;
    let started = Instant::now();

    for round in 0..KILLS {
        let mut child = Command::new(&exe)
            .args([
                "--ignored",
                "--exact",
                "kill_child",
                "--nocapture",
                "--test-threads",
                "1",
            ])
            .env("MODICUM_KILL_DIR", &dir)
            .env("MODICUM_KILL_FIRST", next_seq.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("child starts");
        let stdout = child.stdout.take().expect("piped");
        let (lines, received) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines.send(line);
            }
        });
        if round % 10 == 0 {
            // Every tenth child runs until two batches' worth is flushed, so batching rounds
            // are always among what gets killed, whatever the random moments.
            let target = next_seq + 2 * BATCH_EVENTS - 1;
            while let Ok(line) = received.recv_timeout(Duration::from_secs(20)) {
                if flushed_seq(&line).is_some_and(|seq| seq >= target) {
                    acknowledged = Some(acknowledged.map_or(target, |a| a.max(target)));
                    break;
                }
            }
        } else {
            // A random moment (up to ~30 ms: most children are killed mid-stream).
            std::thread::sleep(Duration::from_micros(moments.next_micros(30_000)));
        }
        child.kill().ok();
        child.wait().expect("child reaped");
        reader.join().expect("reader");
        for line in received.try_iter() {
            if let Some(seq) = flushed_seq(&line) {
                acknowledged = Some(acknowledged.map_or(seq, |a| a.max(seq)));
            }
        }

        let modicum = start(&dir);
        let recovered = modicum.recovered().unwrap();
        assert_eq!(
            recovered.unreadable_records, 0,
            "round {round}: a record did not decrypt"
        );
        let seqs = all_seqs(&modicum);
        let unique: HashSet<i64> = seqs.iter().copied().collect();
        assert_eq!(
            unique.len(),
            seqs.len(),
            "round {round}: an event appears twice"
        );
        if let Some(ack) = acknowledged {
            for seq in 0..=ack {
                assert!(
                    unique.contains(&seq),
                    "round {round}: event {seq} was flushed (up to {ack}) but is missing"
                );
            }
        }
        next_seq = seqs
            .iter()
            .max()
            .map_or(0, |m| m + 1)
            .max(acknowledged.map_or(0, |a| a + 1));
        modicum.shutdown(Duration::from_secs(10)).expect("shutdown");
    }
    let sealed: u64 = start(&dir)
        .outbox()
        .iter()
        .map(|e| u64::from(e.events))
        .sum();
    let flushed = acknowledged.map_or(0, |a| a + 1);
    eprintln!(
        "{KILLS} kills in {:?}, {flushed} events flushed, {sealed} of them in sealed batches",
        started.elapsed()
    );
    assert!(
        sealed > 0,
        "no batch was ever sealed: the test did not exercise the outbox"
    );
    assert!(
        acknowledged.is_some(),
        "no child ever flushed: the kill moments are too early to test anything"
    );
}
