//! The data key: what encrypts everything the core keeps at rest (journal records, and the
//! opening keys of sealed batches). Destroying it in the secret store shreds both at once.

use std::io;

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use crate::secret_store::{load_unless_damaged, SecretStore};

/// The name the data key is kept under in the [`SecretStore`].
pub const DATA_KEY_NAME: &str = "journal-data-key";

/// AES-256: a stored key of any other length is damaged.
const KEY_BYTES: usize = 32;

/// The key that encrypts the journal at rest (AES-256-GCM). Destroying it in the secret store
/// makes every journal file unreadable at once: that is how `delete_all` shreds.
pub struct DataKey {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

/// Nonces for one segment: each value is used once, then the counter moves on.
#[derive(Debug)]
pub struct Nonces {
    base: [u8; NONCE_LEN],
    counter: u64,
}

impl Nonces {
    fn next(&mut self) -> io::Result<Nonce> {
        let mut nonce = self.base;
        for (n, c) in nonce[NONCE_LEN - 8..]
            .iter_mut()
            .zip(self.counter.to_be_bytes())
        {
            *n ^= c;
        }
        self.counter = self
            .counter
            .checked_add(1)
            .ok_or_else(|| io::Error::other("nonce counter exhausted"))?;
        Ok(Nonce::assume_unique_for_key(nonce))
    }
}

impl DataKey {
    /// The key saved in `store`, or a new one saved there first. A stored key damaged for good
    /// (the store says so, or it is not 32 bytes) is replaced: what it encrypted is unreadable
    /// either way, and the journal counts those records as unreadable. Any other failure to
    /// load is an error, so a key store that is only unavailable costs nothing.
    pub fn load_or_create(store: &dyn SecretStore) -> io::Result<DataKey> {
        let stored = load_unless_damaged(store, DATA_KEY_NAME)?;
        let bytes = match stored.filter(|bytes| bytes.len() == KEY_BYTES) {
            Some(bytes) => bytes,
            None => {
                let mut bytes = vec![0u8; KEY_BYTES];
                SystemRandom::new()
                    .fill(&mut bytes)
                    .map_err(|_| io::Error::other("random source failed"))?;
                store.save(DATA_KEY_NAME, &bytes)?;
                bytes
            }
        };
        let unbound = UnboundKey::new(&AES_256_GCM, &bytes)
            .map_err(|_| io::Error::other("ring refused a 32-byte AES-256 key"))?;
        Ok(DataKey {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    /// A fresh source of nonces: a random 96-bit base drawn once, with a counter folded in
    /// per record. Bases are random rather than derived from segment numbers because numbers
    /// can restart (app data cleared while a keychain keeps the key), and a repeated nonce
    /// under AES-GCM would be fatal; one draw per segment also keeps the system's random
    /// source off the per-record path.
    pub fn nonces(&self) -> io::Result<Nonces> {
        let mut base = [0u8; NONCE_LEN];
        self.rng
            .fill(&mut base)
            .map_err(|_| io::Error::other("random source failed"))?;
        Ok(Nonces { base, counter: 0 })
    }

    /// Encrypts `plaintext` under the next nonce from `nonces`, bound to `context` (the
    /// segment it is written to, so a record cannot be moved to another segment unnoticed).
    /// The output is the nonce followed by the ciphertext and tag.
    pub fn seal(
        &self,
        nonces: &mut Nonces,
        context: &[u8],
        plaintext: &[u8],
    ) -> io::Result<Vec<u8>> {
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + AES_256_GCM.tag_len());
        self.seal_appending(nonces, context, &mut out, |out| {
            out.extend_from_slice(plaintext);
            Ok(())
        })?;
        Ok(out)
    }

    /// [`DataKey::seal`] appending to `out` in place: the nonce, then what `write` appends
    /// (the plaintext), encrypted where it lies, then the tag. Saves the copies a record would
    /// otherwise take on the journal's hot path. On error `out` is left as it was.
    pub fn seal_appending(
        &self,
        nonces: &mut Nonces,
        context: &[u8],
        out: &mut Vec<u8>,
        write: impl FnOnce(&mut Vec<u8>) -> io::Result<()>,
    ) -> io::Result<()> {
        let start = out.len();
        let result = (|| {
            let nonce = nonces.next()?;
            out.extend_from_slice(nonce.as_ref());
            let plain = out.len();
            write(out)?;
            let tag = self
                .key
                .seal_in_place_separate_tag(nonce, Aad::from(context), &mut out[plain..])
                .map_err(|_| io::Error::other("encryption failed"))?;
            out.extend_from_slice(tag.as_ref());
            Ok(())
        })();
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// Decrypts what [`DataKey::seal`] made; `None` if it was not made with this key and context.
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_assume_unique_for_key(nonce).ok()?;
        let mut buf = ciphertext.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(context), &mut buf)
            .ok()?;
        Some(plain.to_vec())
    }
}
