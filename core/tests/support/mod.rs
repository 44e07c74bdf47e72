//! What the integration tests share: a collector that opens sealed batches with an independent
//! HPKE implementation (the `hpke` crate), as a real collector would.

#![allow(dead_code)] // each test binary uses a different part

pub mod faults;

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, Serializable};
use modicum_core::envelope::{self, Aead, CollectorKey, Header};
use modicum_core::wire::{self, Batch, Limits};

pub type PrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;

/// A collector key pair derived from `seed`.
pub fn collector(seed: &[u8]) -> (PrivateKey, CollectorKey) {
    let (private, public) = X25519HkdfSha256::derive_keypair(seed);
    (
        private,
        CollectorKey::from_public_bytes(&public.to_bytes()).expect("32 bytes"),
    )
}

/// Opens a sealed batch: the payload, or why it did not open.
pub fn open(private: &PrivateKey, sealed: &[u8]) -> Result<Vec<u8>, String> {
    let (header, ciphertext) = Header::parse(sealed).map_err(|e| e.to_string())?;
    let aad = &sealed[..header.encoded_len()];
    let info = envelope::info(header.key_id, header.batch_id);
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&header.enc)
        .map_err(|e| e.to_string())?;
    let mode = OpModeR::Base;
    match header.aead {
        Aead::Aes128Gcm => hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &mode, private, &enc, &info, ciphertext, aad,
        ),
        Aead::ChaCha20Poly1305 => {
            hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
                &mode, private, &enc, &info, ciphertext, aad,
            )
        }
    }
    .map_err(|e| e.to_string())
}

/// Opens and decodes a sealed batch, checking the header's event count.
pub fn open_batch(private: &PrivateKey, sealed: &[u8]) -> Batch {
    let payload = open(private, sealed).expect("the batch opens");
    let (header, _) = Header::parse(sealed).expect("header");
    let batch = wire::decode_as(header.format, &payload, Limits::default(), None)
        .expect("the batch decodes");
    assert_eq!(
        u32::try_from(batch.events.len()).unwrap(),
        header.event_count
    );
    batch
}
