//! The envelope: a batch payload sealed with HPKE (RFC 9180) to the collector's public key,
//! behind a header the AEAD authenticates. See `docs/wire-format.md`.

mod header;
mod hpke;
mod key;

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};

pub use header::{derived_batch_id, Format, Header, MAX_HEADER_LEN};
pub use key::{key_id, CollectorKey, KeyId};

/// The AEADs a batch may be sealed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Aead {
    /// HPKE AEAD id 0x0001.
    Aes128Gcm,
    /// HPKE AEAD id 0x0003.
    ChaCha20Poly1305,
}

impl Aead {
    /// The RFC 9180 AEAD id.
    pub fn id(self) -> u16 {
        match self {
            Aead::Aes128Gcm => 0x0001,
            Aead::ChaCha20Poly1305 => 0x0003,
        }
    }

    pub fn from_id(id: u16) -> Result<Aead, EnvelopeError> {
        match id {
            0x0001 => Ok(Aead::Aes128Gcm),
            0x0003 => Ok(Aead::ChaCha20Poly1305),
            other => Err(EnvelopeError::UnknownAead(other)),
        }
    }
}

/// A batch's 128-bit id, unique to the batch (see [`Header::batch_id`]): the collector
/// deduplicates retries by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BatchId(pub [u8; 16]);

impl fmt::Display for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for BatchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchId({self})")
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnvelopeError {
    #[error("a collector public key is 32 bytes")]
    InvalidKey,
    #[error("the system's random source failed")]
    Random,
    #[error("a cryptographic operation failed")]
    Crypto,
    #[error("the batch is too large to seal ({len} bytes)")]
    TooLarge { len: usize },
    #[error("a sealed batch is longer than its header; this one has {len} bytes")]
    Truncated { len: usize },
    #[error("not a sealed batch: the magic bytes are wrong")]
    BadMagic,
    #[error("unknown batch format version {0}")]
    UnknownVersion(u8),
    #[error("unknown AEAD id {0:#06x}")]
    UnknownAead(u16),
    #[error("the header declares {declared} bytes of ciphertext, but {actual} follow")]
    LengthMismatch { declared: usize, actual: usize },
    #[error("the {0} does not fit the header")]
    Unrepresentable(&'static str),
}

/// A sealed batch: the bytes to upload, its id, and what lets this device open it again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedBatch {
    pub id: BatchId,
    pub bytes: Vec<u8>,
    pub opening: OpeningKey,
}

/// The AEAD key and base nonce of a batch's HPKE context: with it, the device that sealed a
/// batch can open it again, to split it when the collector refuses it as too large. Nobody
/// else has it; the device keeps it only wrapped under its at-rest data key, so deleting that
/// key (crypto-shredding) takes it too. It cannot be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct OpeningKey {
    aead: Aead,
    key: Vec<u8>,
    base_nonce: [u8; hpke::NONCE_LEN],
}

impl fmt::Debug for OpeningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OpeningKey(..)")
    }
}

impl OpeningKey {
    /// `aead id (2 bytes, big-endian) | base nonce (12) | key`: for wrapping, never for sending.
    pub fn to_bytes(&self) -> Vec<u8> {
        [
            &self.aead.id().to_be_bytes()[..],
            &self.base_nonce,
            &self.key,
        ]
        .concat()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<OpeningKey, EnvelopeError> {
        if bytes.len() < 2 + hpke::NONCE_LEN {
            return Err(EnvelopeError::InvalidKey);
        }
        let aead = Aead::from_id(u16::from_be_bytes([bytes[0], bytes[1]]))?;
        let mut base_nonce = [0u8; hpke::NONCE_LEN];
        base_nonce.copy_from_slice(&bytes[2..2 + hpke::NONCE_LEN]);
        let key = bytes[2 + hpke::NONCE_LEN..].to_vec();
        hpke::context_from_parts(aead, &key, base_nonce)?;
        Ok(OpeningKey {
            aead,
            key,
            base_nonce,
        })
    }
}

/// Opens a batch this device sealed, with the batch's [`OpeningKey`]: the compressed payload.
pub fn reopen(opening: &OpeningKey, sealed: &[u8]) -> Result<Vec<u8>, EnvelopeError> {
    let (header, ciphertext) = Header::parse(sealed)?;
    if header.aead != opening.aead {
        return Err(EnvelopeError::Crypto);
    }
    hpke::context_from_parts(opening.aead, &opening.key, opening.base_nonce)?.open(
        0,
        &sealed[..header.encoded_len()],
        ciphertext,
    )
}

/// What a sealed envelope carries: its HPKE `info` names it, so one kind can never be opened
/// as the other (a deletion request replayed as a batch, say).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A batch of events (`/v1/batches`).
    Batch,
    /// A deletion request with its proofs of ownership (`/v1/deletions`).
    Deletion,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::Batch => b"modicum/batch/v1",
            Purpose::Deletion => b"modicum/deletion/v1",
        }
    }
}

/// The HPKE `info` for a batch: binds the key schedule to the key and the batch.
pub fn info(key_id: KeyId, batch_id: BatchId) -> Vec<u8> {
    info_for(Purpose::Batch, key_id, batch_id)
}

/// The HPKE `info` for an envelope of `purpose`.
pub fn info_for(purpose: Purpose, key_id: KeyId, id: BatchId) -> Vec<u8> {
    [purpose.label(), &key_id.0, &id.0].concat()
}

/// Seals `payload` (the compressed batch) to `key` with a fresh ephemeral key and batch id.
pub fn seal(
    key: &CollectorKey,
    aead: Aead,
    payload: &[u8],
    event_count: u32,
    created_at_ms: u64,
) -> Result<SealedBatch, EnvelopeError> {
    seal_for(
        Purpose::Batch,
        key,
        aead,
        payload,
        event_count,
        created_at_ms,
    )
}

/// [`seal`] for an envelope of `purpose`; `count` is what the header declares it holds (a
/// batch's events, a deletion request's proofs).
pub fn seal_for(
    purpose: Purpose,
    key: &CollectorKey,
    aead: Aead,
    payload: &[u8],
    count: u32,
    created_at_ms: u64,
) -> Result<SealedBatch, EnvelopeError> {
    seal_as(
        Format::CURRENT,
        purpose,
        key,
        aead,
        payload,
        count,
        created_at_ms,
    )
}

/// [`seal_for`] in an older `format`: what devices of an earlier release still upload, for
/// testing the collectors that must open it. `payload` must be compressed with that format's
/// dictionary.
pub fn seal_as(
    format: Format,
    purpose: Purpose,
    key: &CollectorKey,
    aead: Aead,
    payload: &[u8],
    count: u32,
    created_at_ms: u64,
) -> Result<SealedBatch, EnvelopeError> {
    let rng = SystemRandom::new();
    let ciphertext_len = u32::try_from(payload.len() + 16)
        .map_err(|_| EnvelopeError::TooLarge { len: payload.len() })?;
    let encapsulated = hpke::encap(&rng, key.public_bytes())?;
    let batch_id = match format {
        Format::V1 => {
            let mut id = [0u8; 16];
            rng.fill(&mut id).map_err(|_| EnvelopeError::Random)?;
            BatchId(id)
        }
        Format::V2 => derived_batch_id(&encapsulated.enc),
    };
    let header = Header {
        format,
        aead,
        key_id: key.id(),
        batch_id,
        enc: encapsulated.enc,
        event_count: count,
        created_at_ms,
        ciphertext_len,
    };
    let head = header.to_bytes()?;
    let context = hpke::key_schedule(
        aead,
        &encapsulated.shared_secret,
        &info_for(purpose, key.id(), batch_id),
    )?;
    let ciphertext = context.seal(0, &head, payload)?;
    let mut bytes = Vec::with_capacity(head.len() + ciphertext.len());
    bytes.extend_from_slice(&head);
    bytes.extend_from_slice(&ciphertext);
    Ok(SealedBatch {
        id: batch_id,
        bytes,
        opening: OpeningKey {
            aead,
            key: context.key_bytes.clone(),
            base_nonce: context.base_nonce,
        },
    })
}

#[cfg(test)]
mod tests;
