//! The one Markdown table, and the lines under it that say how to read it.

use std::time::Duration;

use crate::sdk::Kind;
use crate::workload::Session;
use crate::Row;

pub fn print(
    session: &Session,
    rows: &[Row],
    compress: u64,
    scaled_timers: bool,
    strace: bool,
    took: Duration,
) {
    let n = session.steps.len() as f64;
    let per = crate::pii::PER_FAMILY;
    println!(
        "| SDK | batch | events delivered | record p50 / p99 (µs) | build + record p50 / p99 (µs) \
         | CPU µs/event, net (with harness sleeps) | wire B/event | written B/event (write calls / to disk) | fsyncs \
         | peak RSS (MiB) | planted PII on the wire: phones · IDs · emails (of {per} each) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|---|");
    for row in rows {
        let r = &row.report;
        let none = row.kind == Kind::None;
        let dash = || "—".to_owned();
        let pii = if none {
            dash()
        } else if row.pii_found.iter().all(|&f| f == 0) {
            "none: 0 · 0 · 0".to_owned()
        } else {
            let [p, i, e] = row.pii_found;
            format!("**{p} · {i} · {e}**")
        };
        println!(
            "| {} | {} | {} | {} | {} | {} ({}) | {} | {:.0} / {:.0} | {} | {:.1} | {} |",
            row.kind.title(),
            row.label,
            if none {
                dash()
            } else {
                format!("{} / {} in {} bodies", row.delivered, r.events, row.bodies)
            },
            pair(r.call_p50_ns, r.call_p99_ns),
            pair(r.build_p50_ns, r.build_p99_ns),
            cpu(r.cpu_ns.saturating_sub(r.pacing_cpu_ns), n),
            cpu(r.cpu_ns, n),
            if none {
                dash()
            } else {
                format!("{:.1}", row.wire_bytes as f64 / n)
            },
            r.wchar as f64 / n,
            r.disk_bytes as f64 / n,
            row.syncs.map_or("n/a".to_owned(), |s| s.to_string()),
            r.max_rss_kib as f64 / 1024.0,
            pii,
        );
    }
    println!();
    println!(
        "Workload: {}; seed-fixed, 30 simulated minutes run {compress}× faster than real time \
         ({:.0} s per run). Whole run: {:.0} s.",
        session.summary(),
        1800.0 / compress as f64,
        took.as_secs_f64()
    );
    println!(
        "{}",
        if scaled_timers {
            "Timers scaled: Modicum's group commit and batch age and OpenTelemetry's export delay \
             run on the session's clock (Sentry's 5 s log flush is a constant: real time)."
        } else {
            "SDK timers run in real time: per event they fire 1/compress as often as in a real \
             session (see README: --scale-timers)."
        }
    );
    for row in rows {
        if let Some(gz) = row.wire_bytes_if_gzipped {
            println!(
                "{} batch {}: envelopes are sent uncompressed; gzipped they would be {:.1} B/event.",
                row.kind.title(),
                row.label,
                gz as f64 / n
            );
        }
    }
    if !strace {
        println!("fsyncs: n/a (strace was not usable).");
    }
}

/// CPU nanoseconds per event, as microseconds.
fn cpu(ns: u64, events: f64) -> String {
    format!("{:.1}", ns as f64 / 1_000.0 / events)
}

/// Nanoseconds as microseconds, two significant places below 10 µs.
fn pair(p50: u64, p99: u64) -> String {
    let us = |ns: u64| {
        let v = ns as f64 / 1_000.0;
        if v < 10.0 {
            format!("{v:.2}")
        } else {
            format!("{v:.0}")
        }
    };
    format!("{} / {}", us(p50), us(p99))
}
