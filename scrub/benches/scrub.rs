//! Scrubbing throughput on clean crash/log text (ASCII and other scripts) and on text dense
//! with personal data.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const CLEAN_LINES: &[&str] = &[
    "java.lang.IllegalStateException: Fragment not attached to a context",
    "\tat com.example.app.ui.ProfileFragment.onViewCreated(ProfileFragment.kt:87)",
    "#01 pc 0000000000012345  /system/lib64/libart.so (art::Thread::Run()+0x1c4)",
    "0   CoreFoundation  0x00000001a1b2c3d4 __exceptionPreprocess + 164",
    "2026-11-22T15:04:05.123Z INFO request GET /v1/items done status=200 in 123 ms",
    "thread 'worker' panicked at src/journal.rs:42:7: index out of bounds",
    "app version 2.4.1-beta+7 (build 1042) on Android 14 (API 34)",
    "GET https://api.example.com/v1/items/list 200 in 87 ms",
];

/// Crash and log text in other scripts: the fast engine gives up at `\b` next to non-ASCII
/// bytes, so this measures the fallback.
const NON_ASCII_LINES: &[&str] = &[
    "java.lang.IllegalStateException: Фрагмент не прикреплён к контексту",
    "\tat com.example.app.ui.ProfilFragment.onViewCreated(ProfilFragment.kt:87) — Größe überschritten",
    "2026-11-22T15:04:05.123Z INFO リクエスト GET /v1/items 完了 status=200 in 123 ms",
    "thread 'worker' panicked at src/journal.rs:42:7: índice fuera de rango (café ≠ naïve)",
    "app version 2.4.1-beta+7 (build 1042) 在 Android 14 (API 34) 上运行",
];

const DENSE_LINES: &[&str] = &[
    "user ann@example.org from 203.0.113.9 phone +44 20 7946 0958",
    "Authorization: Bearer abcdef0123456789abcdef idfa 6D92078A-8246-4BA4-AE5B-76104861E7DC",
    "open /Users/alice/Library/app.db imei 490154203237518 mac 3c:22:fb:12:34:56",
    "GET https://admin:hunter2@api.example.com/search?q=x&token=abc password=hunter2",
    "card 4111 1111 1111 1111 jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk",
];

/// About 64 KiB of lines, newline-joined, cycling through `lines`.
fn corpus(lines: &[&str]) -> String {
    let mut text = String::new();
    for line in lines.iter().cycle() {
        if text.len() >= 64 * 1024 {
            break;
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// About `size` bytes of one line built to make a scrubber work hardest: dotted quads (many
/// of them versions glued into longer tokens), long digit runs that fail every check,
/// almost-emails, spelled-out almost-emails, hex tokens, percent escapes and full-width
/// digits, with no newline anywhere.
fn adversarial(size: usize) -> String {
    const PIECES: &[&str] = &[
        "10.0.0.1.2 ",
        "999.1.2.3 ",
        "1.2.3.4.",
        "12345678901234567890123 ",
        "4111-1111-1111-1112-",
        "a@b a@ x@y. ",
        "ann at example dot ",
        "0xdeadbeef12345678 ",
        "%41%42%4",
        "１２３４５６７８９０ ",
        "2024-11-30-15-04-05 ",
        "+86 159 0000 111 ",
        "::1:: ",
        "eyJ.eyJ. ",
    ];
    let mut text = String::with_capacity(size + 64);
    for piece in PIECES.iter().cycle() {
        if text.len() >= size {
            break;
        }
        text.push_str(piece);
    }
    text
}

/// Clean log text of about `size` bytes, on one line like the adversarial one.
fn clean_line(size: usize) -> String {
    let mut text = String::with_capacity(size + 128);
    for line in CLEAN_LINES.iter().cycle() {
        if text.len() >= size {
            break;
        }
        text.push_str(line.trim());
        text.push(' ');
    }
    text
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("scrub");
    for (name, text) in [
        ("clean_64k", corpus(CLEAN_LINES)),
        ("pii_dense_64k", corpus(DENSE_LINES)),
        ("non_ascii_64k", corpus(NON_ASCII_LINES)),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| modicum_scrub::scrub(black_box(&text)).len())
        });
    }
    group.finish();
    // Linear time: 4 MiB of hostile text against 4 MiB of clean text, one line each.
    let mut group = c.benchmark_group("scrub_4m");
    group.sample_size(10);
    for (name, text) in [
        ("clean_line_4m", clean_line(4 << 20)),
        ("adversarial_line_4m", adversarial(4 << 20)),
    ] {
        group.throughput(Throughput::Bytes(text.len() as u64));
        group.bench_function(name, |b| {
            b.iter(|| modicum_scrub::scrub(black_box(&text)).len())
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
