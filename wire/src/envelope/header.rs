//! The sealed batch's header: fixed layout, big-endian, and authenticated as the AEAD's
//! associated data, so changing any byte of it makes the batch fail to open.
//!
//! ```text
//! offset size field
//!      0    4 magic "MDCM"
//!      4    1 format version (1)
//!      5    2 AEAD id (0x0001 AES-128-GCM, 0x0003 ChaCha20-Poly1305)
//!      7    8 key id
//!     15   16 batch id
//!     31   32 enc (the HPKE encapsulated key)
//!     63    4 event count
//!     67    8 created at, ms since the Unix epoch
//!     75    4 ciphertext length (payload + 16-byte tag)
//!     79      ciphertext
//! ```

use super::{Aead, BatchId, EnvelopeError, KeyId};

pub const MAGIC: [u8; 4] = *b"MDCM";
pub const VERSION: u8 = 1;
pub const HEADER_LEN: usize = 79;

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub aead: Aead,
    pub key_id: KeyId,
    pub batch_id: BatchId,
    pub enc: [u8; 32],
    pub event_count: u32,
    pub created_at_ms: u64,
    pub ciphertext_len: u32,
}

impl Header {
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut out = [0u8; HEADER_LEN];
        out[0..4].copy_from_slice(&MAGIC);
        out[4] = VERSION;
        out[5..7].copy_from_slice(&self.aead.id().to_be_bytes());
        out[7..15].copy_from_slice(&self.key_id.0);
        out[15..31].copy_from_slice(&self.batch_id.0);
        out[31..63].copy_from_slice(&self.enc);
        out[63..67].copy_from_slice(&self.event_count.to_be_bytes());
        out[67..75].copy_from_slice(&self.created_at_ms.to_be_bytes());
        out[75..79].copy_from_slice(&self.ciphertext_len.to_be_bytes());
        out
    }

    /// Reads the header of a sealed batch and returns it with the ciphertext that follows.
    /// Truncated input, a wrong magic, an unknown version or AEAD, and a length that does not
    /// match the bytes are each their own error.
    pub fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), EnvelopeError> {
        let head: &[u8; HEADER_LEN] = bytes
            .get(..HEADER_LEN)
            .and_then(|h| h.try_into().ok())
            .ok_or(EnvelopeError::Truncated { len: bytes.len() })?;
        if head[0..4] != MAGIC {
            return Err(EnvelopeError::BadMagic);
        }
        if head[4] != VERSION {
            return Err(EnvelopeError::UnknownVersion(head[4]));
        }
        let aead = Aead::from_id(u16::from_be_bytes([head[5], head[6]]))?;
        let field = |range: std::ops::Range<usize>| &head[range];
        let header = Header {
            aead,
            key_id: KeyId(
                field(7..15)
                    .try_into()
                    .map_err(|_| EnvelopeError::BadMagic)?,
            ),
            batch_id: BatchId(
                field(15..31)
                    .try_into()
                    .map_err(|_| EnvelopeError::BadMagic)?,
            ),
            enc: field(31..63)
                .try_into()
                .map_err(|_| EnvelopeError::BadMagic)?,
            event_count: u32::from_be_bytes([head[63], head[64], head[65], head[66]]),
            created_at_ms: u64::from_be_bytes(
                field(67..75)
                    .try_into()
                    .map_err(|_| EnvelopeError::BadMagic)?,
            ),
            ciphertext_len: u32::from_be_bytes([head[75], head[76], head[77], head[78]]),
        };
        let ciphertext = &bytes[HEADER_LEN..];
        if ciphertext.len() != header.ciphertext_len as usize {
            return Err(EnvelopeError::LengthMismatch {
                declared: header.ciphertext_len as usize,
                actual: ciphertext.len(),
            });
        }
        Ok((header, ciphertext))
    }
}
