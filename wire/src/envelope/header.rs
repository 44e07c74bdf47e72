//! The sealed batch's header: fixed layout per format version, big-endian, and authenticated
//! as the AEAD's associated data, so changing any byte of it makes the batch fail to open.
//!
//! ```text
//! format 2 (sealed now)                 format 1 (still opened)
//! offset size field                     offset size field
//!      0    4 magic "MDCM"                   0    4 magic "MDCM"
//!      4    1 format version (2)             4    1 format version (1)
//!      5    1 AEAD id                        5    2 AEAD id
//!      6    8 key id                         7    8 key id
//!     14   32 enc                           15   16 batch id
//!     46    4 event count                   31   32 enc
//!     50    6 created at, ms                63    4 event count
//!     56      ciphertext, to the end        67    8 created at, ms
//!                                           75    4 ciphertext length
//!                                           79      ciphertext
//! ```
//!
//! Format 2 drops what the rest of the body already says: the batch id is a digest of `enc`
//! (itself fresh for every batch), and the ciphertext runs to the end of the body. It also
//! names a new preset dictionary (see [`crate::dictionary`]).

use ring::digest;

use super::{Aead, BatchId, EnvelopeError, KeyId};

pub const MAGIC: [u8; 4] = *b"MDCM";
/// The longest header of any format: what a body must at least hold to be looked at.
pub const MAX_HEADER_LEN: usize = 79;

/// An envelope format version: the header's layout and the payload's preset dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// The 79-byte header with a random batch id, and the first dictionary.
    V1,
    /// The 56-byte header, and the dictionary with MessagePack-framed strings.
    V2,
}

impl Format {
    /// What devices seal now.
    pub const CURRENT: Format = Format::V2;

    pub fn version(self) -> u8 {
        match self {
            Format::V1 => 1,
            Format::V2 => 2,
        }
    }

    pub fn from_version(version: u8) -> Result<Format, EnvelopeError> {
        match version {
            1 => Ok(Format::V1),
            2 => Ok(Format::V2),
            other => Err(EnvelopeError::UnknownVersion(other)),
        }
    }

    /// The header's length in bytes.
    pub fn header_len(self) -> usize {
        match self {
            Format::V1 => 79,
            Format::V2 => 56,
        }
    }

    /// The payload's preset deflate dictionary.
    pub fn dictionary(self) -> &'static [u8] {
        crate::dictionary::for_format(self)
    }
}

/// The AEAD tag that ends every ciphertext.
const TAG_LEN: usize = 16;

/// The largest creation time format 2's six bytes hold (the year 10889).
const MAX_CREATED_AT_V2: u64 = (1 << 48) - 1;

/// What the header says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub format: Format,
    pub aead: Aead,
    pub key_id: KeyId,
    /// Format 1: random, in the header. Format 2: [`derived_batch_id`] of `enc`.
    pub batch_id: BatchId,
    pub enc: [u8; 32],
    pub event_count: u32,
    pub created_at_ms: u64,
    pub ciphertext_len: u32,
}

/// Format 2's batch id: the first 16 bytes of SHA-256(`"modicum/batch-id/v2"` ‖ enc). A retry
/// sends the same bytes and so the same id; another batch has another ephemeral key.
pub fn derived_batch_id(enc: &[u8; 32]) -> BatchId {
    let mut context = digest::Context::new(&digest::SHA256);
    context.update(b"modicum/batch-id/v2");
    context.update(enc);
    let mut id = [0u8; 16];
    id.copy_from_slice(&context.finish().as_ref()[..16]);
    BatchId(id)
}

impl Header {
    /// The header's bytes, in its format's layout.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EnvelopeError> {
        let mut out = Vec::with_capacity(self.format.header_len());
        out.extend_from_slice(&MAGIC);
        out.push(self.format.version());
        match self.format {
            Format::V1 => {
                out.extend_from_slice(&self.aead.id().to_be_bytes());
                out.extend_from_slice(&self.key_id.0);
                out.extend_from_slice(&self.batch_id.0);
                out.extend_from_slice(&self.enc);
                out.extend_from_slice(&self.event_count.to_be_bytes());
                out.extend_from_slice(&self.created_at_ms.to_be_bytes());
                out.extend_from_slice(&self.ciphertext_len.to_be_bytes());
            }
            Format::V2 => {
                if self.created_at_ms > MAX_CREATED_AT_V2 {
                    return Err(EnvelopeError::Unrepresentable("created at"));
                }
                out.push(self.aead.id().to_be_bytes()[1]);
                out.extend_from_slice(&self.key_id.0);
                out.extend_from_slice(&self.enc);
                out.extend_from_slice(&self.event_count.to_be_bytes());
                out.extend_from_slice(&self.created_at_ms.to_be_bytes()[2..]);
            }
        }
        Ok(out)
    }

    /// The header's length in bytes: the associated data the AEAD authenticates.
    pub fn encoded_len(&self) -> usize {
        self.format.header_len()
    }

    /// Reads the header of a sealed batch of either format and returns it with the ciphertext
    /// that follows. Truncated input, a wrong magic, an unknown version or AEAD, and (format
    /// 1) a length that does not match the bytes are each their own error.
    pub fn parse(bytes: &[u8]) -> Result<(Header, &[u8]), EnvelopeError> {
        let truncated = || EnvelopeError::Truncated { len: bytes.len() };
        if bytes.len() < 5 {
            return Err(truncated());
        }
        if bytes[0..4] != MAGIC {
            return Err(EnvelopeError::BadMagic);
        }
        let format = Format::from_version(bytes[4])?;
        let (head, ciphertext) = bytes
            .split_at_checked(format.header_len())
            .ok_or_else(truncated)?;
        let mut field = Fields(&head[5..]);
        let header = match format {
            Format::V1 => {
                let aead = Aead::from_id(u16::from_be_bytes(field.take()?))?;
                let key_id = KeyId(field.take()?);
                let batch_id = BatchId(field.take()?);
                let enc = field.take()?;
                let event_count = u32::from_be_bytes(field.take()?);
                let created_at_ms = u64::from_be_bytes(field.take()?);
                let ciphertext_len = u32::from_be_bytes(field.take()?);
                if ciphertext.len() != ciphertext_len as usize {
                    return Err(EnvelopeError::LengthMismatch {
                        declared: ciphertext_len as usize,
                        actual: ciphertext.len(),
                    });
                }
                Header {
                    format,
                    aead,
                    key_id,
                    batch_id,
                    enc,
                    event_count,
                    created_at_ms,
                    ciphertext_len,
                }
            }
            Format::V2 => {
                let [aead] = field.take()?;
                let aead = Aead::from_id(u16::from(aead))?;
                let key_id = KeyId(field.take()?);
                let enc = field.take()?;
                let event_count = u32::from_be_bytes(field.take()?);
                let created: [u8; 6] = field.take()?;
                let mut wide = [0u8; 8];
                wide[2..].copy_from_slice(&created);
                if ciphertext.len() < TAG_LEN {
                    return Err(truncated());
                }
                let ciphertext_len = u32::try_from(ciphertext.len())
                    .map_err(|_| EnvelopeError::TooLarge { len: bytes.len() })?;
                Header {
                    format,
                    aead,
                    key_id,
                    batch_id: derived_batch_id(&enc),
                    enc,
                    event_count,
                    created_at_ms: u64::from_be_bytes(wide),
                    ciphertext_len,
                }
            }
        };
        Ok((header, ciphertext))
    }
}

/// The header's fields, read in order.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    fn take<const N: usize>(&mut self) -> Result<[u8; N], EnvelopeError> {
        let (field, rest) = self
            .0
            .split_first_chunk::<N>()
            .ok_or(EnvelopeError::Truncated { len: 0 })?;
        self.0 = rest;
        Ok(*field)
    }
}
