//! Our sealing, opened by an independent HPKE implementation (the `hpke` crate, RustCrypto
//! primitives): the client's envelope is not only tested against itself.

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, Serializable};
use modicum_core::envelope::{self, Aead, CollectorKey, Header, HEADER_LEN};

type PrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;

fn collector() -> (PrivateKey, CollectorKey) {
    let (private, public) =
        X25519HkdfSha256::derive_keypair(b"modicum interop test collector key material");
    let key = CollectorKey::from_public_bytes(&public.to_bytes()).expect("32 bytes");
    (private, key)
}

fn open(private: &PrivateKey, sealed: &[u8]) -> Result<Vec<u8>, String> {
    let (header, ciphertext) = Header::parse(sealed).map_err(|e| e.to_string())?;
    let aad = &sealed[..HEADER_LEN];
    let info = envelope::info(header.key_id, header.batch_id);
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&header.enc)
        .map_err(|e| e.to_string())?;
    match header.aead {
        Aead::Aes128Gcm => hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            private,
            &enc,
            &info,
            ciphertext,
            aad,
        ),
        Aead::ChaCha20Poly1305 => hpke::single_shot_open::<
            ChaCha20Poly1305,
            HkdfSha256,
            X25519HkdfSha256,
        >(&OpModeR::Base, private, &enc, &info, ciphertext, aad),
    }
    .map_err(|e| e.to_string())
}

#[test]
fn sealed_batches_open_with_an_independent_implementation() {
    let (private, key) = collector();
    for aead in [Aead::Aes128Gcm, Aead::ChaCha20Poly1305] {
        for len in [0usize, 1, 1000, 100_000] {
            let payload: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
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
    let (private, key) = collector();
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
    let (_, key) = collector();
    let (other, _) = X25519HkdfSha256::derive_keypair(b"some other collector");
    let sealed = envelope::seal(&key, Aead::Aes128Gcm, b"payload", 1, 0).expect("seals");
    assert!(open(&other, &sealed.bytes).is_err());
}
