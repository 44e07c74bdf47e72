//! A fuzz target for everything a body goes through before it is stored: the envelope, HPKE,
//! inflation, decoding and verification. Any bytes give a batch or a typed rejection, never a
//! panic, and never hold more memory than the limits allow.
//!
//! `cargo test` runs it with random inputs (MODICUM_FUZZ_ITERATIONS of them, 2 000 by
//! default); `cargo bolero test --package modicum-server --test fuzz_open` runs it
//! coverage-guided with libFuzzer on nightly.

use std::io::Write;

use modicum_server::keys::{KeyPair, KeyRing};
use modicum_server::open::{open_batch, open_deletion};
use modicum_server::verify::{verify, Rules};
use modicum_wire::envelope::{self, Aead, CollectorKey};
use modicum_wire::{self as wire, sample, Limits};

/// The core's counting allocator (the memory limit the target holds to) and iteration count.
#[path = "../../core/tests/support/fuzzing.rs"]
mod fuzzing;

use fuzzing::peak_of;

fn deflate(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// `honest` with bytes overwritten as `input` says: each three bytes are a position (two
/// bytes) and the value to put there.
fn mutated(honest: &[u8], input: &[u8]) -> Vec<u8> {
    let mut bytes = honest.to_vec();
    for edit in input.chunks_exact(3) {
        let at = usize::from(u16::from_be_bytes([edit[0], edit[1]])) % bytes.len();
        bytes[at] = edit[2];
    }
    bytes
}

#[test]
fn any_body_opens_to_a_batch_or_a_rejection_within_its_limits() {
    let pair = KeyPair::derive(b"fuzz collector");
    let ring = KeyRing::new([KeyPair::derive(b"fuzz collector")]);
    let key = CollectorKey::from_public_bytes(pair.public_bytes()).unwrap();
    let limits = Limits::for_inflated(1 << 20, 10_000);
    // The body, the plaintext, the inflated payload, what decoding builds, and verification's
    // own tables.
    let bound = 2 * (1 << 16) + limits.max_inflated + limits.max_built + (512 << 10);
    // A real batch's MessagePack, for inputs to mutate: random bytes alone seldom get past
    // its first array.
    let honest = wire::pack(&sample::session(1, 40)).unwrap();
    bolero::check!()
        .with_iterations(fuzzing::iterations())
        .with_max_len(1 << 16)
        .for_each(|input: &[u8]| {
            // As a body; as the payload of a valid envelope; as its MessagePack under the
            // compression.
            let sealed = |payload: &[u8], count| {
                envelope::seal(&key, Aead::Aes128Gcm, payload, count, 1)
                    .unwrap()
                    .bytes
            };
            let count = input.first().map_or(0, |&b| u32::from(b));
            let bodies = [
                input.to_vec(),
                sealed(input, count),
                sealed(&deflate(input), count),
                sealed(&deflate(&mutated(&honest, input)), 40),
            ];
            for body in &bodies {
                let ((), peak) = peak_of(|| {
                    if let Ok(opened) = open_batch(&ring, body, limits) {
                        let _ = verify(&opened.batch, &Rules::at(opened.batch.meta.created_at_ms));
                    }
                    let _ = open_deletion(&ring, body);
                });
                assert!(peak <= bound, "{peak} bytes for a body of {}", body.len());
            }
        });
}
