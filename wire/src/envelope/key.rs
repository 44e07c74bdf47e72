use std::fmt;

use ring::digest;

use super::EnvelopeError;

/// Eight bytes naming a collector key: the first bytes of SHA-256 over a label and the public
/// key. A collector with several live keys (rotation) picks the private key from it instead of
/// trying each, and a client can never name a key it does not have.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(pub [u8; 8]);

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

impl fmt::Debug for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "KeyId({self})")
    }
}

/// The collector's X25519 public key, which batches are sealed to.
#[derive(Clone, PartialEq, Eq)]
pub struct CollectorKey {
    public: [u8; 32],
    id: KeyId,
}

impl CollectorKey {
    /// A key from its 32 raw bytes (RFC 7748 encoding).
    pub fn from_public_bytes(bytes: &[u8]) -> Result<CollectorKey, EnvelopeError> {
        let public: [u8; 32] = bytes.try_into().map_err(|_| EnvelopeError::InvalidKey)?;
        Ok(CollectorKey {
            public,
            id: key_id(&public),
        })
    }

    pub fn id(&self) -> KeyId {
        self.id
    }

    pub fn public_bytes(&self) -> &[u8; 32] {
        &self.public
    }
}

impl fmt::Debug for CollectorKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CollectorKey({})", self.id)
    }
}

/// The key id of a public key: `SHA-256("modicum/key-id/v1" || public key)[..8]`.
pub fn key_id(public: &[u8; 32]) -> KeyId {
    let digest = digest::digest(
        &digest::SHA256,
        &[&b"modicum/key-id/v1"[..], public].concat(),
    );
    let mut id = [0u8; 8];
    id.copy_from_slice(&digest.as_ref()[..8]);
    KeyId(id)
}
