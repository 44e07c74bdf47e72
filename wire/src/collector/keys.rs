//! Collector key pairs (X25519) and their files.
//!
//! File formats: the private key file holds one line of 64 lowercase hex digits (the X25519
//! private key) and is created with mode 0600; the public key file holds one line of 64 hex
//! digits (the public key, which apps embed). The key id is derived from the public key as in
//! `docs/wire-format.md` §2.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Write};
use std::path::Path;

use crate::envelope::{key_id, KeyId};
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, Serializable};
use ring::rand::{SecureRandom, SystemRandom};

/// Kept inside the crate: callers hold a [`KeyPair`], which never prints its secret.
type PrivateKey = <X25519HkdfSha256 as Kem>::PrivateKey;

/// A collector's key pair. The private key cannot be printed.
pub struct KeyPair {
    private: PrivateKey,
    public: [u8; 32],
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyPair {{ key_id: {} }}", hex::encode(self.key_id().0))
    }
}

impl KeyPair {
    /// A fresh key pair from the system's random source.
    pub fn generate() -> io::Result<KeyPair> {
        let mut ikm = [0u8; 32];
        SystemRandom::new()
            .fill(&mut ikm)
            .map_err(|_| io::Error::other("the system's random source failed"))?;
        Ok(KeyPair::derive(&ikm))
    }

    /// The key pair RFC 9180's `DeriveKeyPair` makes from `ikm` (tests use fixed seeds).
    pub fn derive(ikm: &[u8]) -> KeyPair {
        let (private, public) = X25519HkdfSha256::derive_keypair(ikm);
        KeyPair {
            private,
            public: public.to_bytes().into(),
        }
    }

    pub fn from_private_bytes(bytes: &[u8]) -> io::Result<KeyPair> {
        let private = PrivateKey::from_bytes(bytes)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        let public = X25519HkdfSha256::sk_to_pk(&private).to_bytes().into();
        Ok(KeyPair { private, public })
    }

    pub fn public_bytes(&self) -> &[u8; 32] {
        &self.public
    }

    pub fn key_id(&self) -> KeyId {
        key_id(&self.public)
    }

    pub(crate) fn private(&self) -> &PrivateKey {
        &self.private
    }

    /// Writes the private key file (mode 0600, never replacing an existing file) and the
    /// public key file.
    pub fn write_files(&self, private: &Path, public: &Path) -> io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(private)?;
        writeln!(file, "{}", hex::encode(self.private.to_bytes()))?;
        file.sync_all()?;
        fs::write(public, format!("{}\n", hex::encode(self.public)))
    }

    /// Reads a private key file.
    pub fn read_private(path: &Path) -> io::Result<KeyPair> {
        KeyPair::from_private_bytes(&read_hex_line(path)?)
    }
}

/// Reads a public key file: the 32 bytes apps configure as the collector key.
pub fn read_public(path: &Path) -> io::Result<[u8; 32]> {
    read_hex_line(path)?
        .try_into()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "a key is 32 bytes"))
}

fn read_hex_line(path: &Path) -> io::Result<Vec<u8>> {
    let text = fs::read_to_string(path)?;
    hex::decode(text.trim()).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{}: not a hex key: {e}", path.display()),
        )
    })
}

/// The live keys, by key id: during a rotation old and new are both accepted, so apps still
/// on the old public key keep delivering until they update.
#[derive(Default)]
pub struct KeyRing {
    keys: HashMap<[u8; 8], KeyPair>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.key_ids().iter().map(KeyId::to_string))
            .finish()
    }
}

impl KeyRing {
    pub fn new(keys: impl IntoIterator<Item = KeyPair>) -> KeyRing {
        let mut ring = KeyRing::default();
        keys.into_iter().for_each(|k| ring.insert(k));
        ring
    }

    /// Adds a key (replacing one with the same id, which is the same key).
    pub fn insert(&mut self, pair: KeyPair) {
        self.keys.insert(pair.key_id().0, pair);
    }

    pub fn get(&self, id: KeyId) -> Option<&KeyPair> {
        self.keys.get(&id.0)
    }

    /// The live key ids, sorted.
    pub fn key_ids(&self) -> Vec<KeyId> {
        let mut ids: Vec<_> = self.keys.keys().copied().map(KeyId).collect();
        ids.sort_unstable();
        ids
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_files_round_trip_and_the_private_one_is_owner_only() {
        let tmp = tempfile::tempdir().unwrap();
        let pair = KeyPair::generate().unwrap();
        let (private, public) = (tmp.path().join("c.key"), tmp.path().join("c.pub"));
        pair.write_files(&private, &public).unwrap();
        let read = KeyPair::read_private(&private).unwrap();
        assert_eq!(read.public_bytes(), pair.public_bytes());
        assert_eq!(&read_public(&public).unwrap(), pair.public_bytes());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&private).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(
            pair.write_files(&private, &public).is_err(),
            "never overwrites"
        );
        let printed = format!("{pair:?}");
        assert!(!printed.contains(&hex::encode(pair.private.to_bytes())));
        fs::write(&private, "not hex").unwrap();
        assert!(KeyPair::read_private(&private).is_err());
        fs::write(&private, "abcd\n").unwrap();
        assert!(KeyPair::read_private(&private).is_err(), "too short");
    }

    #[test]
    fn file_contents_are_one_line_of_lowercase_hex() {
        let tmp = tempfile::tempdir().unwrap();
        let pair = KeyPair::derive(b"file format");
        let (private, public) = (tmp.path().join("c.key"), tmp.path().join("c.pub"));
        pair.write_files(&private, &public).unwrap();
        for (path, expected) in [
            (&private, hex::encode(pair.private.to_bytes())),
            (&public, hex::encode(pair.public_bytes())),
        ] {
            let text = fs::read_to_string(path).unwrap();
            assert_eq!(text, format!("{expected}\n"));
            assert_eq!(expected.len(), 64);
            assert!(expected
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase()));
        }
        assert_eq!(pair.key_id(), key_id(pair.public_bytes()));
    }

    #[test]
    fn a_ring_finds_every_live_key_and_no_other() {
        let (old, new) = (KeyPair::derive(b"old"), KeyPair::derive(b"new"));
        let (old_id, new_id) = (old.key_id(), new.key_id());
        let ring = KeyRing::new([old, new, KeyPair::derive(b"new")]);
        assert_eq!(ring.len(), 2, "the same key twice is one key");
        assert_eq!(ring.key_ids().len(), 2);
        assert_eq!(ring.get(old_id).unwrap().key_id(), old_id);
        assert_eq!(ring.get(new_id).unwrap().key_id(), new_id);
        assert!(ring.get(KeyPair::derive(b"other").key_id()).is_none());
        let printed = format!("{ring:?}");
        assert!(printed.contains(&old_id.to_string()));
        let secret = hex::encode(ring.get(old_id).unwrap().private.to_bytes());
        assert!(!printed.contains(&secret));
    }
}
