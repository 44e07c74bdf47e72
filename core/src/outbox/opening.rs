//! The opening keys of sealed batches, kept wrapped under the data key: with one, the device
//! that sealed a batch can open it again to split it (413); without the data key, nobody can.
//! Deleting the data key (crypto-shredding) takes every opening key with it.

use std::io;
use std::sync::Arc;

use crate::at_rest::{DataKey, Nonces};
use crate::envelope::{BatchId, OpeningKey};

/// Wraps and unwraps opening keys, each bound to its batch's id so it unwraps only as that
/// batch's. Its nonces are its own, never shared with the journal's records.
#[derive(Debug)]
pub struct OpeningKeys {
    key: Arc<DataKey>,
    nonces: Nonces,
}

impl OpeningKeys {
    pub fn new(key: Arc<DataKey>) -> io::Result<OpeningKeys> {
        let nonces = key.nonces()?;
        Ok(OpeningKeys { key, nonces })
    }

    /// `opening`, encrypted under the data key and bound to batch `id`.
    pub fn wrap(&mut self, id: &BatchId, opening: &OpeningKey) -> io::Result<Vec<u8>> {
        self.key
            .seal(&mut self.nonces, &context(id), &opening.to_bytes())
    }

    /// The opening key of batch `id`; `None` if `wrapped` was made under another data key or
    /// for another batch, or is damaged.
    pub fn unwrap(&self, id: &BatchId, wrapped: &[u8]) -> Option<OpeningKey> {
        let bytes = self.key.open(&context(id), wrapped)?;
        OpeningKey::from_bytes(&bytes).ok()
    }
}

/// What a batch's wrapped opening key is bound to.
fn context(id: &BatchId) -> Vec<u8> {
    [&b"modicum/outbox/opening/v1"[..], &id.0].concat()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::envelope::{seal, Aead, CollectorKey};
    use crate::secret_store::FileSecretStore;

    #[test]
    fn an_opening_key_unwraps_only_as_its_batchs_and_only_under_its_data_key() {
        let tmp = tempfile::tempdir().unwrap();
        let key = Arc::new(DataKey::load_or_create(&FileSecretStore::new(tmp.path())).unwrap());
        let mut keys = OpeningKeys::new(Arc::clone(&key)).unwrap();
        let collector = CollectorKey::from_public_bytes(&[9; 32]).unwrap();
        let batch = seal(&collector, Aead::Aes128Gcm, b"payload", 1, 0).unwrap();
        let other = seal(&collector, Aead::Aes128Gcm, b"payload", 1, 0).unwrap();
        let wrapped = keys.wrap(&batch.id, &batch.opening).unwrap();
        assert_eq!(
            keys.unwrap(&batch.id, &wrapped),
            Some(batch.opening.clone())
        );
        assert_eq!(keys.unwrap(&other.id, &wrapped), None, "another batch's id");
        let mut damaged = wrapped.clone();
        damaged[20] ^= 1;
        assert_eq!(keys.unwrap(&batch.id, &damaged), None);
        let elsewhere = tempfile::tempdir().unwrap();
        let fresh = DataKey::load_or_create(&FileSecretStore::new(elsewhere.path())).unwrap();
        let shredded = OpeningKeys::new(Arc::new(fresh)).unwrap();
        assert_eq!(
            shredded.unwrap(&batch.id, &wrapped),
            None,
            "another data key"
        );
    }
}
