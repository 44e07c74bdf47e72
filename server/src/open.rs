//! Opening a sealed batch: the header, HPKE with the key its id names, bounded inflation and
//! decoding against the schema. Every failure is a [`Rejection`], never a panic.

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR};
use modicum_core::envelope::{self, Aead, EnvelopeError, Header, HEADER_LEN};
use modicum_core::wire::{self, Batch, Limits, WireError};

use crate::keys::KeyRing;
use crate::Rejection;

/// A batch opened and decoded.
#[derive(Debug, Clone)]
pub struct Opened {
    pub batch_id: String,
    pub key_id: String,
    pub batch: Batch,
}

pub fn open_batch(keys: &KeyRing, body: &[u8], limits: Limits) -> Result<Opened, Rejection> {
    let (header, ciphertext) = Header::parse(body).map_err(|e| match e {
        EnvelopeError::TooLarge { .. } => Rejection::TooLarge(e.to_string()),
        e => Rejection::Malformed(e.to_string()),
    })?;
    let key_id = hex::encode(header.key_id.0);
    let pair = keys
        .get(header.key_id)
        .ok_or_else(|| Rejection::UnknownKey(key_id.clone()))?;
    let aad = &body[..HEADER_LEN];
    let info = envelope::info(header.key_id, header.batch_id);
    let tampered =
        |_| Rejection::Malformed("the batch does not open (tampered or truncated)".into());
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&header.enc).map_err(tampered)?;
    let mode = OpModeR::Base;
    let payload = match header.aead {
        Aead::Aes128Gcm => hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &mode,
            pair.private(),
            &enc,
            &info,
            ciphertext,
            aad,
        ),
        Aead::ChaCha20Poly1305 => hpke::single_shot_open::<
            ChaCha20Poly1305,
            HkdfSha256,
            X25519HkdfSha256,
        >(&mode, pair.private(), &enc, &info, ciphertext, aad),
    }
    .map_err(tampered)?;
    let batch = wire::decode(&payload, limits).map_err(|e| match e {
        WireError::TooLarge { .. } | WireError::TooManyEvents { .. } => {
            Rejection::TooLarge(e.to_string())
        }
        e => Rejection::Malformed(e.to_string()),
    })?;
    if batch.events.len() != header.event_count as usize {
        return Err(Rejection::Malformed(format!(
            "the header declares {} events, the payload holds {}",
            header.event_count,
            batch.events.len()
        )));
    }
    Ok(Opened {
        batch_id: header.batch_id.to_string(),
        key_id,
        batch,
    })
}
