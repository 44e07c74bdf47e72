//! Opening a sealed batch or deletion request: the header, HPKE with the private key its id
//! names under the envelope's purpose, bounded inflation, and decoding against the schema.
//! Every failure is a [`Rejection`], never a panic, and memory stays bounded by the body,
//! `limits.max_inflated` and `limits.max_built`.

use crate::Rejection;
use modicum_wire::collector::{self, KeyRing, OpenError};
use modicum_wire::envelope::{Header, Purpose};
use modicum_wire::{self as wire, Batch, DeletionPayload, Limits, WireError};

/// A batch opened and decoded; ids in lowercase hex.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub batch_id: String,
    pub key_id: String,
    pub batch: Batch,
}

/// A deletion request opened and decoded: its proofs are not yet checked against the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedDeletion {
    pub request_id: String,
    pub payload: DeletionPayload,
}

/// Opens `body` (one sealed batch) with whichever live key its header names.
pub fn open_batch(keys: &KeyRing, body: &[u8], limits: Limits) -> Result<Opened, Rejection> {
    let (header, payload) = open_envelope(keys, body, Purpose::Batch)?;
    // The count is authenticated with the header: decoding checks the payload against it
    // before it builds any event (a payload disagreeing with it was built wrong, and storing
    // it would make the device's delivered counts lie).
    let batch = wire::decode_sealed(&header, &payload, limits).map_err(|e| match e {
        WireError::TooLarge { .. }
        | WireError::TooManyEvents { .. }
        | WireError::TooMuchBuilt { .. } => Rejection::too_large(e.to_string()),
        e => Rejection::malformed(e.to_string()),
    })?;
    Ok(Opened {
        batch_id: header.batch_id.to_string(),
        key_id: header.key_id.to_string(),
        batch,
    })
}

/// Opens `body` (one sealed deletion request): the same envelope as a batch, under the
/// deletion purpose, so neither opens as the other.
pub fn open_deletion(keys: &KeyRing, body: &[u8]) -> Result<OpenedDeletion, Rejection> {
    let (header, payload) = open_envelope(keys, body, Purpose::Deletion)?;
    let payload = wire::decode_deletion(&payload, header.event_count).map_err(|e| match e {
        WireError::TooManyEvents { .. } => Rejection::too_large(e.to_string()),
        e => Rejection::malformed(e.to_string()),
    })?;
    Ok(OpenedDeletion {
        request_id: header.batch_id.to_string(),
        payload,
    })
}

/// The header and the decrypted payload of an envelope sealed for `purpose`.
fn open_envelope(
    keys: &KeyRing,
    body: &[u8],
    purpose: Purpose,
) -> Result<(Header, Vec<u8>), Rejection> {
    collector::open_envelope(keys, body, purpose).map_err(|e| match e {
        // Truncated, wrong magic, unknown version or AEAD, length mismatch: the bytes are not
        // an envelope this server can read.
        OpenError::Malformed(e) => Rejection::malformed(e.to_string()),
        OpenError::UnknownKey(key_id) => Rejection::UnknownKey {
            key_id: key_id.to_string(),
        },
        OpenError::Tampered => Rejection::Tampered,
    })
}

#[cfg(test)]
mod tests {
    use modicum_wire::collector::KeyPair;
    use modicum_wire::envelope::{seal, seal_as, Aead, CollectorKey, Format};
    use modicum_wire::sample;

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

    /// Devices of an earlier release send format 1 (another header, another dictionary): it
    /// opens to the same batch, and is checked as it always was.
    #[test]
    fn a_format_1_batch_opens_too() {
        let pair = KeyPair::derive(b"open test");
        let ring = KeyRing::new([KeyPair::derive(b"open test")]);
        let batch = sample::session(5, 25);
        let key = CollectorKey::from_public_bytes(pair.public_bytes()).unwrap();
        let events: Vec<_> = batch.events.iter().collect();
        let payload = wire::encode_events_as(Format::V1, &batch.meta, &events).unwrap();
        let body = seal_as(
            Format::V1,
            Purpose::Batch,
            &key,
            Aead::Aes128Gcm,
            &payload,
            25,
            7,
        )
        .unwrap();
        let opened = open_batch(&ring, &body.bytes, Limits::default()).unwrap();
        assert_eq!(opened.batch, batch);
        assert_eq!(opened.batch_id, body.id.to_string());
        assert_ne!(
            payload,
            wire::encode(&batch).unwrap(),
            "the formats' dictionaries differ"
        );
        // The batch id is a header field of its own in format 1.
        let mut tampered = body.bytes.clone();
        tampered[20] ^= 1;
        assert_eq!(
            open_batch(&ring, &tampered, Limits::default()),
            Err(Rejection::Tampered)
        );
        let cut = &body.bytes[..body.bytes.len() - 1];
        assert_eq!(
            open_batch(&ring, cut, Limits::default())
                .unwrap_err()
                .kind(),
            "malformed"
        );
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
        // A ciphertext byte, the last tag byte, the event count, the creation time, `enc`
        // (and with it the batch id derived from it).
        for at in [56 + 3, body.len() - 1, 47, 52, 20] {
            let mut tampered = body.clone();
            tampered[at] ^= 1;
            assert_eq!(open(&tampered), Rejection::Tampered, "byte {at}");
        }
        // Format 2 declares no length: a body cut short fails to authenticate.
        assert_eq!(open(&body[..body.len() - 1]), Rejection::Tampered);
        assert_eq!(open(&body[..40]).kind(), "malformed");
        assert_eq!(open(b"").kind(), "malformed");
        let miscounted = sealed(&pair, Aead::Aes128Gcm, &batch, 11);
        assert!(matches!(
            open(&miscounted),
            Rejection::Malformed { reason } if reason.contains("declares 11 events")
        ));
        let tight = Limits::for_inflated(64, 100);
        assert_eq!(
            open_batch(&ring, &body, tight).unwrap_err().kind(),
            "too_large"
        );
        let few = Limits::for_inflated(1 << 20, 9);
        assert_eq!(
            open_batch(&ring, &body, few).unwrap_err().kind(),
            "too_large"
        );
    }

    #[test]
    fn a_deletion_request_opens_only_as_one_and_a_batch_only_as_a_batch() {
        use modicum_wire::envelope::seal_for;
        use modicum_wire::DeletionToken;
        use modicum_wire::{encode_deletion, Proof};
        use ring::hmac;

        let pair = KeyPair::derive(b"open test");
        let ring = KeyRing::new([KeyPair::derive(b"open test")]);
        let key = CollectorKey::from_public_bytes(pair.public_bytes()).unwrap();
        let token = DeletionToken::derive(&hmac::Key::new(hmac::HMAC_SHA256, &[3; 32]), 0);
        let payload = DeletionPayload {
            requested_at_ms: 5,
            proofs: vec![Proof {
                install_pseudonym: token.pseudonym(),
                token,
            }],
        };
        let bytes = encode_deletion(&payload).unwrap();
        let request = seal_for(Purpose::Deletion, &key, Aead::Aes128Gcm, &bytes, 1, 5)
            .unwrap()
            .bytes;
        assert_eq!(open_deletion(&ring, &request).unwrap().payload, payload);
        assert_eq!(
            open_batch(&ring, &request, Limits::default()).unwrap_err(),
            Rejection::Tampered
        );
        let batch = sealed(&pair, Aead::Aes128Gcm, &sample::session(1, 3), 3);
        assert_eq!(
            open_deletion(&ring, &batch).unwrap_err(),
            Rejection::Tampered
        );
        let miscounted = seal_for(Purpose::Deletion, &key, Aead::Aes128Gcm, &bytes, 2, 5)
            .unwrap()
            .bytes;
        assert_eq!(
            open_deletion(&ring, &miscounted).unwrap_err().kind(),
            "malformed"
        );
    }
}
