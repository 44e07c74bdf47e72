//! Opening an envelope: the header, then HPKE base mode, single shot, with the private key the
//! header's key id names, under the envelope's purpose.

use hpke::aead::{AesGcm128, ChaCha20Poly1305};
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR};

use super::{KeyPair, KeyRing};
use crate::envelope::{info_for, Aead, EnvelopeError, Header, KeyId, Purpose};

/// Why an envelope did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// The bytes are not an envelope this version reads (truncated, wrong magic, unknown
    /// version or AEAD, a length that disagrees).
    #[error("not a sealed envelope: {0}")]
    Malformed(#[from] EnvelopeError),
    /// Sealed to a key this collector does not hold (or no longer holds).
    #[error("sealed to unknown key {0}")]
    UnknownKey(KeyId),
    /// Authentication failed: a changed byte anywhere, the wrong key, or the wrong purpose.
    #[error("the envelope does not authenticate")]
    Tampered,
}

/// The header and the decrypted payload of `body`, an envelope sealed for `purpose` to one of
/// `keys`. The whole header is the associated data, so changing any header byte fails here
/// too, and an envelope sealed for another purpose does not open.
pub fn open_envelope(
    keys: &KeyRing,
    body: &[u8],
    purpose: Purpose,
) -> Result<(Header, Vec<u8>), OpenError> {
    let (header, ciphertext) = Header::parse(body)?;
    let pair = keys
        .get(header.key_id)
        .ok_or(OpenError::UnknownKey(header.key_id))?;
    let info = info_for(purpose, header.key_id, header.batch_id);
    let payload = decrypt(
        pair,
        &header,
        &info,
        &body[..header.encoded_len()],
        ciphertext,
    )?;
    Ok((header, payload))
}

fn decrypt(
    pair: &KeyPair,
    header: &Header,
    info: &[u8],
    aad: &[u8],
    ciphertext: &[u8],
) -> Result<Vec<u8>, OpenError> {
    let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&header.enc)
        .map_err(|_| OpenError::Tampered)?;
    let mode = OpModeR::Base;
    let private = pair.private();
    match header.aead {
        Aead::Aes128Gcm => hpke::single_shot_open::<AesGcm128, HkdfSha256, X25519HkdfSha256>(
            &mode, private, &enc, info, ciphertext, aad,
        ),
        Aead::ChaCha20Poly1305 => {
            hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
                &mode, private, &enc, info, ciphertext, aad,
            )
        }
    }
    .map_err(|_| OpenError::Tampered)
}
