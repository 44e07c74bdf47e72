//! HPKE (RFC 9180) base mode, sender side, for DHKEM(X25519, HKDF-SHA256) with HKDF-SHA256 and
//! AES-128-GCM or ChaCha20-Poly1305, built on ring.
//!
//! ring's X25519 keys are ephemeral-only, which is all a sender needs: each batch encapsulates
//! to the collector's static public key with a fresh ephemeral key. Opening needs the static
//! private key and belongs to the collector.

use ring::aead::{self, Aad, LessSafeKey, Nonce, UnboundKey};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf::{KeyType, Prk, Salt, HKDF_SHA256};
use ring::rand::SecureRandom;

use super::{Aead, EnvelopeError};

const KEM_ID: u16 = 0x0020;
const KDF_ID: u16 = 0x0001;
const MODE_BASE: u8 = 0x00;
/// Nsecret for DHKEM(X25519, HKDF-SHA256).
const SHARED_SECRET_LEN: usize = 32;
pub(crate) const NONCE_LEN: usize = 12;

/// The output of `Encap`: the encapsulated key to send and the shared secret to keep.
pub(crate) struct Encapsulated {
    pub enc: [u8; 32],
    pub shared_secret: [u8; SHARED_SECRET_LEN],
}

/// The sender's context after the key schedule: one AEAD key and its base nonce.
pub(crate) struct SenderContext {
    key: LessSafeKey,
    /// Kept so the sender can open its own batch again (see `OpeningKey`), and for the
    /// known-answer tests, which check the derived key itself.
    pub(crate) key_bytes: Vec<u8>,
    pub(crate) base_nonce: [u8; NONCE_LEN],
}

/// `Encap(pkR)` with an ephemeral key drawn from `rng`. Only the system's random source is used
/// in production; the known-answer tests pass ring's fixed test source to replay RFC 9180.
pub(crate) fn encap(
    rng: &dyn SecureRandom,
    public_key: &[u8; 32],
) -> Result<Encapsulated, EnvelopeError> {
    let ephemeral =
        EphemeralPrivateKey::generate(&X25519, rng).map_err(|_| EnvelopeError::Random)?;
    let ephemeral_public = ephemeral
        .compute_public_key()
        .map_err(|_| EnvelopeError::Random)?;
    let enc: [u8; 32] = ephemeral_public
        .as_ref()
        .try_into()
        .map_err(|_| EnvelopeError::Crypto)?;
    let peer = UnparsedPublicKey::new(&X25519, public_key);
    let shared_secret = agreement::agree_ephemeral(ephemeral, &peer, |dh| {
        let kem_context = [&enc[..], &public_key[..]].concat();
        let eae_prk = labeled_extract(&kem_suite_id(), b"", b"eae_prk", dh);
        let mut secret = [0u8; SHARED_SECRET_LEN];
        labeled_expand(
            &eae_prk,
            &kem_suite_id(),
            b"shared_secret",
            &kem_context,
            &mut secret,
        )
        .map(|()| secret)
    })
    .map_err(|_| EnvelopeError::Crypto)??;
    Ok(Encapsulated { enc, shared_secret })
}

/// `KeyScheduleS(mode_base, shared_secret, info, "", "")`.
pub(crate) fn key_schedule(
    aead: Aead,
    shared_secret: &[u8],
    info: &[u8],
) -> Result<SenderContext, EnvelopeError> {
    let suite = hpke_suite_id(aead);
    let psk_id_hash = extract_bytes(&suite, b"", b"psk_id_hash", b"");
    let info_hash = extract_bytes(&suite, b"", b"info_hash", info);
    let context = [&[MODE_BASE][..], &psk_id_hash, &info_hash].concat();
    let secret = labeled_extract(&suite, shared_secret, b"secret", b"");
    let mut key_bytes = vec![0u8; aead.key_len()];
    labeled_expand(&secret, &suite, b"key", &context, &mut key_bytes)?;
    let mut base_nonce = [0u8; NONCE_LEN];
    labeled_expand(&secret, &suite, b"base_nonce", &context, &mut base_nonce)?;
    let unbound =
        UnboundKey::new(aead.algorithm(), &key_bytes).map_err(|_| EnvelopeError::Crypto)?;
    Ok(SenderContext {
        key: LessSafeKey::new(unbound),
        key_bytes,
        base_nonce,
    })
}

/// A context rebuilt from its key and base nonce, to open what it sealed.
pub(crate) fn context_from_parts(
    aead: Aead,
    key_bytes: &[u8],
    base_nonce: [u8; NONCE_LEN],
) -> Result<SenderContext, EnvelopeError> {
    let unbound =
        UnboundKey::new(aead.algorithm(), key_bytes).map_err(|_| EnvelopeError::Crypto)?;
    Ok(SenderContext {
        key: LessSafeKey::new(unbound),
        key_bytes: key_bytes.to_vec(),
        base_nonce,
    })
}

impl SenderContext {
    /// Opens what [`SenderContext::seal`] sealed as message `seq`.
    pub(crate) fn open(
        &self,
        seq: u64,
        aad: &[u8],
        ciphertext: &[u8],
    ) -> Result<Vec<u8>, EnvelopeError> {
        let mut out = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(
                Nonce::assume_unique_for_key(self.nonce(seq)),
                Aad::from(aad),
                &mut out,
            )
            .map_err(|_| EnvelopeError::Crypto)?;
        let len = plain.len();
        out.truncate(len);
        Ok(out)
    }

    fn nonce(&self, seq: u64) -> [u8; NONCE_LEN] {
        let mut nonce = self.base_nonce;
        for (n, s) in nonce[NONCE_LEN - 8..].iter_mut().zip(seq.to_be_bytes()) {
            *n ^= s;
        }
        nonce
    }

    /// `ContextS.Seal(aad, pt)` for message number `seq`: ciphertext followed by the tag.
    /// Batches seal exactly one message (seq 0) per context.
    pub(crate) fn seal(
        &self,
        seq: u64,
        aad: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, EnvelopeError> {
        let mut out = plaintext.to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(self.nonce(seq)),
                Aad::from(aad),
                &mut out,
            )
            .map_err(|_| EnvelopeError::Crypto)?;
        Ok(out)
    }
}

impl Aead {
    fn algorithm(self) -> &'static aead::Algorithm {
        match self {
            Aead::Aes128Gcm => &aead::AES_128_GCM,
            Aead::ChaCha20Poly1305 => &aead::CHACHA20_POLY1305,
        }
    }

    fn key_len(self) -> usize {
        self.algorithm().key_len()
    }
}

fn kem_suite_id() -> Vec<u8> {
    [&b"KEM"[..], &KEM_ID.to_be_bytes()].concat()
}

fn hpke_suite_id(aead: Aead) -> Vec<u8> {
    [
        &b"HPKE"[..],
        &KEM_ID.to_be_bytes(),
        &KDF_ID.to_be_bytes(),
        &aead.id().to_be_bytes(),
    ]
    .concat()
}

/// `LabeledExtract(salt, label, ikm)`. An empty salt is HMAC's all-zero key, as RFC 5869 says.
fn labeled_extract(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> Prk {
    let labeled_ikm = [&b"HPKE-v1"[..], suite_id, label, ikm].concat();
    Salt::new(HKDF_SHA256, salt).extract(&labeled_ikm)
}

/// `LabeledExtract` whose output is needed as bytes (the hashes in the key schedule context).
/// HKDF-Extract is HMAC(salt, ikm); it is computed directly because ring keeps a PRK opaque.
fn extract_bytes(suite_id: &[u8], salt: &[u8], label: &[u8], ikm: &[u8]) -> [u8; 32] {
    let labeled_ikm = [&b"HPKE-v1"[..], suite_id, label, ikm].concat();
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, salt);
    let tag = ring::hmac::sign(&key, &labeled_ikm);
    let mut out = [0u8; 32];
    out.copy_from_slice(tag.as_ref());
    out
}

/// `LabeledExpand(prk, label, info, L)` into `out` (L = `out.len()`).
fn labeled_expand(
    prk: &Prk,
    suite_id: &[u8],
    label: &[u8],
    info: &[u8],
    out: &mut [u8],
) -> Result<(), EnvelopeError> {
    let length = u16::try_from(out.len())
        .map_err(|_| EnvelopeError::Crypto)?
        .to_be_bytes();
    let info_parts: [&[u8]; 5] = [&length, b"HPKE-v1", suite_id, label, info];
    prk.expand(&info_parts, Len(out.len()))
        .and_then(|okm| okm.fill(out))
        .map_err(|_| EnvelopeError::Crypto)
}

/// An HKDF output length for ring's `expand`.
struct Len(usize);

impl KeyType for Len {
    fn len(&self) -> usize {
        self.0
    }
}
