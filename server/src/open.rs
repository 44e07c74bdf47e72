//! Opening a sealed batch: the header, HPKE with the private key its id names, bounded
//! inflation, and decoding against the schema. Every failure is a [`Rejection`], never a
//! panic, and memory stays bounded by the body and `limits.max_inflated`.

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR};
use modicum_core::envelope::{self, Aead, Header, HEADER_LEN};
use modicum_core::wire::{self, Batch, Limits, WireError};

use crate::keys::{KeyPair, KeyRing};
use crate::Rejection;

/// A batch opened and decoded; ids in lowercase hex.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub batch_id: String,
    pub key_id: String,
    pub batch: Batch,
}

/// Opens `body` (one sealed batch) with whichever live key its header names.
pub fn open_batch(keys: &KeyRing, body: &[u8], limits: Limits) -> Result<Opened, Rejection> {
    // Parse errors (truncated, wrong magic, unknown version or AEAD, length mismatch) all mean
    // the bytes are not a batch this server can read.
    let (header, ciphertext) =
        Header::parse(body).map_err(|e| Rejection::malformed(e.to_string()))?;
    let key_id = header.key_id.to_string();
    let pair = keys
        .get(header.key_id)
        .ok_or_else(|| Rejection::UnknownKey {
            key_id: key_id.clone(),
        })?;
    let payload = decrypt(pair, &header, &body[..HEADER_LEN], ciphertext)?;
    let batch = wire::decode(&payload, limits).map_err(|e| match e {
        WireError::TooLarge { .. } | WireError::TooManyEvents { .. } => {
            Rejection::too_large(e.to_string())
        }
        e => Rejection::malformed(e.to_string()),
    })?;
    // The count is authenticated with the header; a payload disagreeing with it was built
    // wrong, and storing it would make the device's delivered counts lie.
    if batch.events.len() != header.event_count as usize {
        return Err(Rejection::malformed(format!(
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

/// HPKE base mode, single shot: the whole header is the associated data, so changing any
/// header byte fails here too.
fn decrypt(
    pair: &KeyPair,
    header: &Header,
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, Rejection> {
    let info = envelope::info(header.key_id, header.batch_id);
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&header.enc)
        .map_err(|_| Rejection::Tampered)?;
    let mode = OpModeR::Base;
    let private = pair.private();
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
    .map_err(|_| Rejection::Tampered)
}

#[cfg(test)]
mod tests {
    use modicum_core::envelope::{seal, CollectorKey};
    use modicum_core::wire::sample;

    use super::*;

    fn sealed(pair: &KeyPair, aead: Aead, batch: &Batch, count: u32) -> Vec<u8> {
        let key = CollectorKey::from_public_bytes(pair.public_bytes()).unwrap();
        seal(&key, aead, &wire::encode(batch).unwrap(), count, 7)
            .unwrap()
            .bytes
    }

    #[test]
    fn opens_under_each_aead_and_reports_ids() {
        let pair = KeyPair::derive(b"open test");
        let ring = KeyRing::new([KeyPair::derive(b"open test")]);
        let batch = sample::session(3, 25);
        for aead in [Aead::Aes128Gcm, Aead::ChaCha20Poly1305] {
            let body = sealed(&pair, aead, &batch, 25);
            let opened = open_batch(&ring, &body, Limits::default()).unwrap();
            assert_eq!(opened.batch, batch);
            assert_eq!(opened.key_id, pair.key_id().to_string());
            let (header, _) = Header::parse(&body).unwrap();
            assert_eq!(opened.batch_id, hex::encode(header.batch_id.0));
        }
    }

    #[test]
    fn each_failure_has_its_own_rejection() {
        let pair = KeyPair::derive(b"open test");
        let ring = KeyRing::new([KeyPair::derive(b"open test")]);
        let batch = sample::session(4, 10);
        let body = sealed(&pair, Aead::Aes128Gcm, &batch, 10);
        let open = |bytes: &[u8]| open_batch(&ring, bytes, Limits::default()).unwrap_err();

        let stranger = sealed(&KeyPair::derive(b"stranger"), Aead::Aes128Gcm, &batch, 10);
        assert_eq!(
            open(&stranger),
            Rejection::UnknownKey {
                key_id: KeyPair::derive(b"stranger").key_id().to_string()
            }
        );
        // A ciphertext byte, the last tag byte, the event count, the batch id.
        for at in [HEADER_LEN + 3, body.len() - 1, 63, 20] {
            let mut tampered = body.clone();
            tampered[at] ^= 1;
            assert_eq!(open(&tampered), Rejection::Tampered, "byte {at}");
        }
        assert_eq!(open(&body[..body.len() - 1]).kind(), "malformed");
        assert_eq!(open(&body[..40]).kind(), "malformed");
        assert_eq!(open(b"").kind(), "malformed");
        let miscounted = sealed(&pair, Aead::Aes128Gcm, &batch, 11);
        assert!(matches!(
            open(&miscounted),
            Rejection::Malformed { reason } if reason.contains("declares 11 events")
        ));
        let tight = Limits {
            max_inflated: 64,
            max_events: 100,
        };
        assert_eq!(
            open_batch(&ring, &body, tight).unwrap_err().kind(),
            "too_large"
        );
        let few = Limits {
            max_inflated: 1 << 20,
            max_events: 9,
        };
        assert_eq!(
            open_batch(&ring, &body, few).unwrap_err().kind(),
            "too_large"
        );
    }
}
