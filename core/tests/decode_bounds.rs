//! Decoding builds at most what its limits allow, whatever the payload: the bombs an attacker
//! can seal with the collector's public key (which every app carries), checked with a counting
//! allocator, and a fuzz target over both the deflate layer and the MessagePack layer under
//! it (`cargo test` runs it with random inputs; `cargo bolero test decode_bounds` runs it
//! coverage-guided with libFuzzer on nightly).

#[path = "support/fuzzing.rs"]
mod fuzzing;

use flate2::{Compress, Compression, FlushCompress};
use fuzzing::peak_of;
use modicum_core::wire::{self, dictionary, Limits, WireError, WireValue};
use serde::Serialize;

/// The payload layout of docs/wire-format.md section 5 (schema 1, written by hand from the
/// document), so a test can write what the device never would.
#[derive(Serialize)]
struct Payload<'a> {
    schema: u16,
    meta: (u32, Option<u32>, u32, u64, Vec<(u32, Cell)>),
    strings: Vec<&'a str>,
    groups: Vec<Group>,
}

/// name, category, basis, first_ms, deltas, columns.
type Group = (u32, u8, u8, u64, Vec<u64>, Vec<(u32, Cells)>);

#[derive(Serialize)]
enum Cells {
    Text(Vec<Option<u32>>),
    Int(Vec<Option<i64>>),
}

#[derive(Serialize)]
enum Cell {
    Int(i64),
}

fn deflate(packed: &[u8]) -> Vec<u8> {
    let mut compress = Compress::new(Compression::best(), false);
    compress.set_dictionary(&dictionary::FORMAT_2).unwrap();
    let mut out = Vec::with_capacity(packed.len() + 64);
    loop {
        let consumed = usize::try_from(compress.total_in()).unwrap();
        out.reserve(4096);
        let status = compress
            .compress_vec(&packed[consumed..], &mut out, FlushCompress::Finish)
            .unwrap();
        if status == flate2::Status::StreamEnd {
            return out;
        }
    }
}

fn sealed_bytes(payload: &Payload<'_>) -> Vec<u8> {
    deflate(&rmp_serde::to_vec(payload).unwrap())
}

fn group(events: usize, column: Cells) -> Group {
    (
        0,
        2,
        0,
        1_795_000_000_000,
        vec![0; events],
        vec![(1, column)],
    )
}

/// What a decode may hold at once: the inflated payload, what it builds, and a little for the
/// decoder's own bookkeeping.
fn bound(limits: Limits) -> usize {
    limits.max_inflated + limits.max_built + (256 << 10)
}

/// 100 000 events referring to one long string: the copy per reference asked for gigabytes
/// from a payload of a few hundred bytes.
#[test]
fn one_string_referred_to_by_every_event_is_built_once() {
    let long = "a".repeat(60_000);
    let events = 100_000;
    let payload = Payload {
        schema: 1,
        meta: (2, None, 2, 1_795_000_000_000, vec![]),
        strings: vec![&long, "note", "app"],
        groups: vec![group(events, Cells::Text(vec![Some(0); events]))],
    };
    let bytes = sealed_bytes(&payload);
    assert!(bytes.len() < 1_000, "{} bytes", bytes.len());
    let limits = Limits::for_inflated(4 << 20, events);
    let (decoded, peak) = peak_of(|| wire::decode(&bytes, limits));
    assert!(peak <= bound(limits), "{peak} bytes");
    assert_eq!(
        decoded,
        Err(WireError::TooMuchBuilt {
            limit: limits.max_built
        })
    );
    // A thousand of them fit, and share the one string.
    let payload = Payload {
        groups: vec![group(1_000, Cells::Text(vec![Some(0); 1_000]))],
        ..payload
    };
    let (decoded, peak) = peak_of(|| wire::decode(&sealed_bytes(&payload), limits));
    let batch = decoded.unwrap();
    assert!(peak <= bound(limits) && peak < 2 << 20, "{peak} bytes");
    let texts: Vec<&WireValue> = batch.events.iter().map(|e| &e.properties["note"]).collect();
    match (texts[0], texts[999]) {
        (WireValue::Text(a), WireValue::Text(b)) => assert!(std::sync::Arc::ptr_eq(a, b)),
        other => panic!("{other:?}"),
    }
}

/// A column stating sixteen million cells from a few kilobytes: refused before it is built.
#[test]
fn a_column_of_millions_of_empty_cells_is_refused_before_it_is_built() {
    let cells = 16_000_000;
    let payload = Payload {
        schema: 1,
        meta: (0, None, 0, 1_795_000_000_000, vec![]),
        strings: vec!["x", "k"],
        groups: vec![group(2, Cells::Int(vec![None; cells]))],
    };
    let bytes = sealed_bytes(&payload);
    assert!(bytes.len() < 20_000, "{} bytes", bytes.len());
    let limits = Limits::for_inflated(16 << 20, 10_000);
    let (decoded, peak) = peak_of(|| wire::decode(&bytes, limits));
    assert!(
        matches!(decoded, Err(WireError::TooMuchBuilt { .. })),
        "{decoded:?}"
    );
    assert!(peak <= bound(limits), "{peak} bytes");
}

/// Counts that disagree are refused before events are built: with the header's count, with a
/// column's length, and keys that appear twice.
#[test]
fn counts_and_keys_are_checked_before_anything_is_built() {
    let base = |columns: Vec<(u32, Cells)>, device: Vec<(u32, Cell)>| Payload {
        schema: 1,
        meta: (0, None, 0, 1_795_000_000_000, device),
        strings: vec!["e", "k"],
        groups: vec![(0, 2, 0, 1_795_000_000_000, vec![0, 1, 1], columns)],
    };
    let limits = Limits::default();
    let ok = sealed_bytes(&base(vec![(1, Cells::Int(vec![Some(1); 3]))], vec![]));
    assert!(wire::decode_expecting(&ok, limits, Some(3)).is_ok());
    let malformed = |bytes: &[u8], expected| {
        matches!(
            wire::decode_expecting(bytes, limits, expected),
            Err(WireError::Malformed(_))
        )
    };
    assert!(malformed(&ok, Some(4)), "the header's count");
    let short = sealed_bytes(&base(vec![(1, Cells::Int(vec![Some(1); 2]))], vec![]));
    assert!(malformed(&short, None), "a column shorter than its group");
    let twice = sealed_bytes(&base(
        vec![
            (1, Cells::Int(vec![Some(1); 3])),
            (1, Cells::Int(vec![Some(2); 3])),
        ],
        vec![],
    ));
    assert!(malformed(&twice, None), "a column key twice");
    let device = sealed_bytes(&base(vec![], vec![(1, Cell::Int(1)), (1, Cell::Int(2))]));
    assert!(malformed(&device, None), "a device key twice");
}

/// Any bytes, as a sealed payload and as the MessagePack under the compression: a typed
/// error or a batch, never a panic, and never more memory than the limits allow.
#[test]
fn decoding_anything_stays_within_its_limits() {
    let limits = Limits::for_inflated(1 << 20, 10_000);
    bolero::check!()
        .with_iterations(fuzzing::iterations())
        .with_max_len(1 << 16)
        .for_each(|input: &[u8]| {
            let (_, peak) = peak_of(|| wire::decode(input, limits));
            assert!(
                peak <= bound(limits),
                "{peak} bytes for {} raw bytes",
                input.len()
            );
            let packed = deflate(input);
            let (_, peak) = peak_of(|| wire::decode(&packed, limits));
            assert!(
                peak <= bound(limits),
                "{peak} bytes for {} packed bytes",
                input.len()
            );
        });
}
