//! `Modicum::start` with 10 000 minimized events waiting in the journal (and a sealed outbox):
//! how long the caller's thread waits. A harness printing the median of repeated starts.
//!
//! Run: `cargo bench -p modicum-core --bench startup`

use std::time::{Duration, Instant};

use modicum_core::{Category, Config, Event, Modicum, Value};

const PENDING: usize = 10_000;
const STARTS: usize = 30;

fn config(dir: &std::path::Path) -> Config {
    let mut config = Config::new(dir.join("store"), "dev.modicum.startup");
    config.queue_capacity = PENDING * 2;
    config
}

fn main() {
    let tmp = tempfile::tempdir().expect("tempdir");
    {
        let m = Modicum::start(config(tmp.path())).expect("starts");
        m.set_consent(Category::Analytics, true).expect("consent");
        for i in 0..PENDING {
            m.record(
                Event::new("screen_view")
                    .with("screen", Value::Text(format!("step-{}", i % 7)))
                    .with(
                        "load_ms",
                        Value::Int(i64::try_from(i % 300).expect("below 300")),
                    ),
            )
            .expect("valid");
        }
        m.shutdown(Duration::from_secs(60)).expect("shutdown");
    }
    let mut to_return = Vec::new();
    let mut to_ready = Vec::new();
    for _ in 0..STARTS {
        let t = Instant::now();
        let m = Modicum::start(config(tmp.path())).expect("starts");
        to_return.push(t.elapsed());
        // The first read waits for the worker: when the pending events are in memory.
        let held = m.held().expect("held");
        to_ready.push(t.elapsed());
        assert_eq!(held.len(), PENDING);
        m.shutdown(Duration::from_secs(60)).expect("shutdown");
    }
    to_return.sort();
    to_ready.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!("start() with {PENDING} pending events, {STARTS} starts:");
    println!(
        "  returns to the caller   median {:>6.2} ms   max {:>6.2} ms",
        ms(to_return[STARTS / 2]),
        ms(to_return[STARTS - 1])
    );
    println!(
        "  worker ready (first read answered)   median {:>6.2} ms   max {:>6.2} ms",
        ms(to_ready[STARTS / 2]),
        ms(to_ready[STARTS - 1])
    );
}
