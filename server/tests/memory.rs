//! An inflate bomb (a validly sealed batch whose payload inflates to a GiB) is refused with
//! 413 while the process's peak memory stays near `max_inflated`. Alone in its binary so no
//! other test moves the peak.

mod support;

use std::time::Duration;

use modicum_server::store::Store;
use support::{current, post, seal_payload, start, still_serves, zeros_bomb};

/// The process's peak resident memory so far, in KiB (Linux).
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[test]
fn a_gigabyte_bomb_is_refused_in_bounded_memory() {
    const MAX_INFLATED: usize = 8 << 20;
    let (server, store) = start(|c| {
        c.max_body = 2 << 20;
        c.max_inflated = MAX_INFLATED;
        c.request_timeout = Duration::from_secs(120);
    });
    let bomb = seal_payload(&current(), &zeros_bomb(1024), 1);
    assert!(bomb.len() < 2 << 20, "{} bytes", bomb.len());
    // Warm up every path once, so the peak below is the bomb's alone.
    still_serves(&server, 1, "warming up");
    let before = peak_kib();

    let answer = post(&server, "/v1/batches", &bomb);
    assert_eq!(answer.status, 413, "{}", answer.body);
    assert_eq!(answer.body["error"], "too_large");
    assert!(answer.body["reason"].as_str().unwrap().contains("inflates"));

    if let (Some(before), Some(after)) = (before, peak_kib()) {
        let grown_mib = (after.saturating_sub(before)) / 1024;
        eprintln!("peak resident memory grew by {grown_mib} MiB");
        // The inflation buffer (8 MiB), the body and its copies: far from the GiB it claims.
        assert!(grown_mib < 64, "the peak grew by {grown_mib} MiB");
    }
    still_serves(&server, 2, "the bomb");
    assert_eq!(store.batch_count().unwrap(), 2);
}
