//! Bytes on the wire per event, against the same events as JSON + gzip (one object per event
//! with its own timestamp and the device context, as row-oriented SDKs send them). A size
//! measurement, printed as a table: `cargo bench -p modicum-core --bench wire_size`.

use std::io::Write;
use std::time::Instant;

use modicum_core::envelope::Format;
use modicum_core::wire::{encode, sample};

/// The AEAD tag the envelope adds after the payload.
const TAG_LEN: usize = 16;

fn gzip_len(data: &[u8]) -> usize {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(data).expect("in memory");
    gz.finish().expect("in memory").len()
}

fn main() {
    println!(
        "{:>7} {:>14} {:>16} {:>14} {:>7}",
        "events", "sealed bytes", "JSON+gzip bytes", "per event", "ratio"
    );
    for events in [20, 100, 500] {
        let batch = sample::session(11, events);
        let sealed =
            encode(&batch).expect("encodes").len() + Format::CURRENT.header_len() + TAG_LEN;
        let json_gzip = gzip_len(&sample::as_json_rows(&batch));
        println!(
            "{events:>7} {sealed:>14} {json_gzip:>16} {:>6.1} / {:<5.1} {:>7.3}",
            sealed as f64 / events as f64,
            json_gzip as f64 / events as f64,
            sealed as f64 / json_gzip as f64
        );
    }
    let batch = sample::session(11, 500);
    let rounds = 200;
    let started = Instant::now();
    for _ in 0..rounds {
        std::hint::black_box(encode(std::hint::black_box(&batch)).expect("encodes"));
    }
    let per_batch = started.elapsed() / rounds;
    println!(
        "encode + compress a 500-event batch: {per_batch:?} ({:.0} events/s)",
        500.0 / per_batch.as_secs_f64()
    );
}
