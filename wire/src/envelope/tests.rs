use super::*;

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn vector() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/hpke-rfc9180-a1.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// RFC 9180 A.1.1, replayed by injecting the vector's ephemeral key through ring's fixed
/// test random source.
#[test]
#[allow(deprecated)]
fn matches_rfc9180_a1_1() {
    let v = vector();
    let field = |name: &str| hex(v[name].as_str().unwrap());
    let sk_em = field("skEm");
    let rng = ring::test::rand::FixedSliceRandom { bytes: &sk_em };
    let pk_rm: [u8; 32] = field("pkRm").try_into().unwrap();

    let encapsulated = hpke::encap(&rng, &pk_rm).unwrap();
    assert_eq!(encapsulated.enc.to_vec(), field("enc"));
    assert_eq!(encapsulated.shared_secret.to_vec(), field("shared_secret"));

    let context =
        hpke::key_schedule(Aead::Aes128Gcm, &encapsulated.shared_secret, &field("info")).unwrap();
    assert_eq!(context.key_bytes, field("key"));
    assert_eq!(context.base_nonce.to_vec(), field("base_nonce"));
    for encryption in v["encryptions"].as_array().unwrap() {
        let part = |name: &str| hex(encryption[name].as_str().unwrap());
        let seq = encryption["seq"].as_u64().unwrap();
        assert_eq!(
            context.seal(seq, &part("aad"), &part("pt")).unwrap(),
            part("ct"),
            "seq {seq}"
        );
    }
}

fn collector() -> CollectorKey {
    CollectorKey::from_public_bytes(&hex(
        "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d",
    ))
    .unwrap()
}

#[test]
fn the_header_round_trips_and_is_checked() {
    let sealed = seal(
        &collector(),
        Aead::ChaCha20Poly1305,
        b"payload",
        3,
        1_795_000_000_000,
    )
    .unwrap();
    let (header, ciphertext) = Header::parse(&sealed.bytes).unwrap();
    assert_eq!(header.format, Format::V2);
    assert_eq!(header.encoded_len(), 56);
    assert_eq!(header.aead, Aead::ChaCha20Poly1305);
    assert_eq!(header.key_id, collector().id());
    assert_eq!(header.batch_id, sealed.id);
    assert_eq!(header.batch_id, derived_batch_id(&header.enc));
    assert_eq!(
        (header.event_count, header.created_at_ms),
        (3, 1_795_000_000_000)
    );
    assert_eq!(ciphertext.len(), b"payload".len() + 16);
    assert_eq!(sealed.bytes.len(), 56 + ciphertext.len());
    // The documented offsets (docs/wire-format.md, section 1).
    assert_eq!(&sealed.bytes[0..6], b"MDCM\x02\x03");
    assert_eq!(&sealed.bytes[6..14], &collector().id().0);
    assert_eq!(&sealed.bytes[14..46], &header.enc);
    assert_eq!(&sealed.bytes[46..50], &3u32.to_be_bytes());
    assert_eq!(
        &sealed.bytes[50..56],
        &1_795_000_000_000u64.to_be_bytes()[2..]
    );

    assert_eq!(
        Header::parse(&sealed.bytes[..10]),
        Err(EnvelopeError::Truncated { len: 10 })
    );
    // Shorter than the tag: nothing to open.
    assert_eq!(
        Header::parse(&sealed.bytes[..56 + 15]),
        Err(EnvelopeError::Truncated { len: 71 })
    );
    let mut bad = sealed.bytes.clone();
    bad[0] = b'X';
    assert_eq!(Header::parse(&bad), Err(EnvelopeError::BadMagic));
    let mut bad = sealed.bytes.clone();
    bad[4] = 9;
    assert_eq!(Header::parse(&bad), Err(EnvelopeError::UnknownVersion(9)));
    let mut bad = sealed.bytes;
    bad[5] = 7;
    assert_eq!(Header::parse(&bad), Err(EnvelopeError::UnknownAead(7)));
}

/// Devices of an earlier release still send format 1: its header reads as it always did.
#[test]
fn a_format_1_header_still_reads() {
    let sealed = seal_as(
        Format::V1,
        Purpose::Batch,
        &collector(),
        Aead::Aes128Gcm,
        b"payload",
        3,
        1_795_000_000_000,
    )
    .unwrap();
    let (header, ciphertext) = Header::parse(&sealed.bytes).unwrap();
    assert_eq!((header.format, header.encoded_len()), (Format::V1, 79));
    assert_eq!(
        &sealed.bytes[15..31],
        &sealed.id.0,
        "the batch id is in the header"
    );
    assert_ne!(header.batch_id, derived_batch_id(&header.enc));
    assert_eq!(header.to_bytes().unwrap(), sealed.bytes[..79].to_vec());
    assert_eq!(ciphertext.len(), b"payload".len() + 16);
    assert_eq!(
        Header::parse(&sealed.bytes[..sealed.bytes.len() - 1]),
        Err(EnvelopeError::LengthMismatch {
            declared: 23,
            actual: 22
        })
    );
    let mut bad = sealed.bytes;
    bad[6] = 7;
    assert_eq!(Header::parse(&bad), Err(EnvelopeError::UnknownAead(7)));
}

#[test]
fn every_batch_gets_its_own_id_and_ephemeral_key() {
    let a = seal(&collector(), Aead::Aes128Gcm, b"same", 1, 0).unwrap();
    let b = seal(&collector(), Aead::Aes128Gcm, b"same", 1, 0).unwrap();
    assert_ne!(a.id, b.id);
    assert_ne!(
        Header::parse(&a.bytes).unwrap().0.enc,
        Header::parse(&b.bytes).unwrap().0.enc
    );
    let body = Format::CURRENT.header_len();
    assert_ne!(a.bytes[body..], b.bytes[body..]);
}

#[test]
fn key_ids_are_stable_and_keys_do_not_print() {
    let key = collector();
    assert_eq!(key.id(), key_id(key.public_bytes()));
    assert_eq!(format!("{key:?}"), format!("CollectorKey({})", key.id()));
    assert_eq!(
        CollectorKey::from_public_bytes(&[0; 31]),
        Err(EnvelopeError::InvalidKey)
    );
}

#[test]
fn the_sealing_device_can_reopen_its_batch_and_nobody_else_can_with_a_wrong_key() {
    let key = CollectorKey::from_public_bytes(&[9u8; 32]).unwrap();
    for aead in [Aead::Aes128Gcm, Aead::ChaCha20Poly1305] {
        let sealed = seal(&key, aead, b"compressed payload", 3, 1).unwrap();
        let opening = OpeningKey::from_bytes(&sealed.opening.to_bytes()).unwrap();
        assert_eq!(opening, sealed.opening);
        assert_eq!(format!("{opening:?}"), "OpeningKey(..)");
        assert_eq!(
            reopen(&opening, &sealed.bytes).unwrap(),
            b"compressed payload"
        );
        let mut flipped = sealed.bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(reopen(&opening, &flipped), Err(EnvelopeError::Crypto));
        let other = seal(&key, aead, b"other", 1, 1).unwrap();
        assert_eq!(
            reopen(&other.opening, &sealed.bytes),
            Err(EnvelopeError::Crypto)
        );
    }
    assert!(OpeningKey::from_bytes(&[0, 1, 2]).is_err());
}
