//! The worker's side of the user's rights to erasure and unlinkability: `delete_all` and
//! `reset_identifiers`.
//!
//! An erasure is a sequence of durable steps behind a marker file written first and removed
//! last; a process that dies in between leaves the marker, and the next start finishes the
//! sequence before it takes any command. Each step can run twice without harm.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::worker::Worker;
use super::{deletion, DeletionRequest, INSTALL_SECRET_NAME};
use crate::journal::{DataKey, DATA_KEY_NAME};
use crate::outbox::OpeningKeys;
use crate::storage::{read_if_present, remove_if_present, write_atomic};
use crate::transform::{InstallSecret, Pseudonymizer};
use crate::wire::Proof;
use crate::Consent;

/// Says an erasure is under way, and since when; it names nothing else.
const ERASURE_FILE: &str = "erasure.json";

#[derive(Serialize, Deserialize)]
struct Marker {
    requested_at_ms: u64,
}

impl Worker {
    /// Erases everything held and queues the deletion request (see
    /// [`super::Modicum::delete_all`] for the order and why).
    pub(super) fn delete_all(&mut self) -> io::Result<DeletionRequest> {
        let marker = Marker {
            requested_at_ms: self.shared.now_ms(),
        };
        let bytes = serde_json::to_vec(&marker).map_err(io::Error::other)?;
        write_atomic(self.shared.storage.as_ref(), &self.marker_path(), &bytes)?;
        self.erase(marker.requested_at_ms)
    }

    /// Finishes an erasure an earlier process began; true if there was one.
    pub(super) fn resume_erasure(&mut self) -> io::Result<bool> {
        let Some(bytes) = read_if_present(self.shared.storage.as_ref(), &self.marker_path())?
        else {
            return Ok(false);
        };
        // A marker that does not parse was still being written: its rename never happened,
        // so this cannot be one (the rename is atomic); take it as an erasure begun now.
        let requested_at_ms = serde_json::from_slice::<Marker>(&bytes)
            .map_or_else(|_| self.shared.now_ms(), |m| m.requested_at_ms);
        self.erase(requested_at_ms)?;
        Ok(true)
    }

    fn erase(&mut self, requested_at_ms: u64) -> io::Result<DeletionRequest> {
        let shared = Arc::clone(&self.shared);
        let storage = shared.storage.as_ref();
        let dir = &shared.config.storage_dir;
        let queued = deletion::queued(storage, dir)
            .into_iter()
            .find(|q| q.request.requested_at_ms == requested_at_ms);
        // Queued already by the run that died: the pseudonyms in it are the right ones, and
        // the secret that made them may be gone by now.
        let request = match queued {
            Some(queued) => queued.request,
            None => {
                let window =
                    u64::try_from(self.shared.config.retention.as_millis()).unwrap_or(u64::MAX);
                // The proofs need the secret that is replaced below: made and saved first.
                let proofs: Vec<Proof> = self
                    .pseudonymizer
                    .deletion_tokens_since(requested_at_ms, window)
                    .into_iter()
                    .map(|token| Proof {
                        install_pseudonym: token.pseudonym(),
                        token,
                    })
                    .collect();
                let request = DeletionRequest {
                    install_pseudonyms: proofs
                        .iter()
                        .map(|p| p.install_pseudonym.clone())
                        .collect(),
                    requested_at_ms,
                };
                let regions = self.reached.regions();
                if !regions.is_empty() {
                    deletion::queue(storage, dir, &request, &proofs, regions)?;
                }
                request
            }
        };
        // Events not yet synced get their first outcome (kept, or lost to storage) before they
        // are erased, so the ledger still accounts for every one.
        let synced = self.journal.sync();
        self.settle();
        self.note(synced);
        // The key goes first: from here on, whatever of the journal survives is unreadable.
        self.shared.secrets.delete(DATA_KEY_NAME)?;
        let key = Arc::new(DataKey::load_or_create(self.shared.secrets.as_ref())?);
        self.openings = OpeningKeys::new(Arc::clone(&key))?;
        self.journal.wipe(key)?;
        for entry in self.outbox.list() {
            self.outbox.remove(&entry)?;
        }
        self.pending.clear();
        self.backlog.clear();
        self.batch_by = None;
        self.sync_by = None;
        self.settle();
        shared
            .consent
            .change(&shared.config.policy, shared.now_ms(), |consent, _| {
                *consent = Consent::default();
                Ok(())
            })
            .map_err(|e| io::Error::other(e.to_string()))?;
        shared.consent.save()?;
        self.clear_health()?;
        self.replace_secret()?;
        self.reached.clear(storage)?;
        remove_if_present(storage, &self.marker_path())?;
        storage.sync_dir(dir)?;
        Ok(request)
    }

    /// Seals what is held under the old install pseudonym (if a collector key is set), then
    /// replaces the install secret. Should sealing fail, the events stay held and later go
    /// in batches that name no install (see [`crate::Minimized::generation`]).
    pub(super) fn reset_identifiers(&mut self) -> io::Result<()> {
        if self.shared.config.collector.is_some() && !self.pending.is_empty() {
            let sealed = self.seal();
            self.note(sealed);
        }
        self.replace_secret()
    }

    /// A new install secret, saved before it is used: if saving fails, the old one stays.
    fn replace_secret(&mut self) -> io::Result<()> {
        let secret = InstallSecret::generate().map_err(io::Error::other)?;
        self.shared
            .secrets
            .save(INSTALL_SECRET_NAME, &secret.to_bytes_for_storage())?;
        self.pseudonymizer = Pseudonymizer::new(&secret, self.shared.config.pseudonym_rotation)
            .map_err(io::Error::other)?;
        Ok(())
    }

    fn marker_path(&self) -> PathBuf {
        self.shared.config.storage_dir.join(ERASURE_FILE)
    }
}
