//! Our sealing, opened by an independent HPKE implementation (the `hpke` crate, RustCrypto
//! primitives): the client's envelope is not only tested against itself.

mod support;

use hpke::kem::X25519HkdfSha256;
use hpke::Kem;
use modicum_core::envelope::{self, Aead};
use support::{collector, open};

#[test]
fn sealed_batches_open_with_an_independent_implementation() {
    let (private, key) = collector(b"modicum interop test collector key material");
    for aead in [Aead::Aes128Gcm, Aead::ChaCha20Poly1305] {
        for len in [0usize, 1, 1000, 100_000] {
            let payload: Vec<u8> = (0..len)
                .map(|i| u8::try_from(i * 31 % 251).unwrap())
                .collect();
            let sealed = envelope::seal(&key, aead, &payload, 7, 1_795_000_000_000).expect("seals");
            assert_eq!(
                open(&private, &sealed.bytes).expect("opens"),
                payload,
                "{aead:?}, {len} bytes"
            );
        }
    }
}

#[test]
fn any_flipped_byte_in_header_or_ciphertext_fails_to_open() {
    let (private, key) = collector(b"modicum interop test collector key material");
    let sealed = envelope::seal(&key, Aead::ChaCha20Poly1305, b"a small batch payload", 1, 0)
        .expect("seals");
    for i in 0..sealed.bytes.len() {
        let mut tampered = sealed.bytes.clone();
        tampered[i] ^= 0x01;
        assert!(
            open(&private, &tampered).is_err(),
            "flipping byte {i} went unnoticed"
        );
    }
}

#[test]
fn another_collector_cannot_open() {
    let (_, key) = collector(b"modicum interop test collector key material");
    let (other, _) = X25519HkdfSha256::derive_keypair(b"some other collector");
    let sealed = envelope::seal(&key, Aead::Aes128Gcm, b"payload", 1, 0).expect("seals");
    assert!(open(&other, &sealed.bytes).is_err());
}
