//! The user's rights: a readable copy of everything held (`export`), erasure (`delete_all`)
//! and unlinkability (`reset_identifiers`). The work happens on the worker, in queue order,
//! so each call covers every event recorded before it.

use super::worker::Command;
use super::{deletion, DeletionRequest, Export, Modicum, BLOCKING_TIMEOUT};
use crate::minimize::Minimized;
use crate::Error;

impl Modicum {
    /// The minimized events held in the journal right now, oldest first, including everything
    /// recorded before this call. Events already sealed into batches are not among them: the
    /// device cannot open what it sealed for the collector (see [`Modicum::outbox`]).
    pub fn held(&self) -> Result<Vec<Minimized>, Error> {
        self.request(BLOCKING_TIMEOUT, Command::Held)
    }

    /// [`Modicum::held`] as a JSON array: the events exactly as they will be sealed.
    pub fn held_json(&self) -> Result<String, Error> {
        Ok(serde_json::to_string(&self.held()?).expect("minimized events always serialize"))
    }

    /// A readable copy of everything held on the device: consent and its history, the
    /// pending minimized events, the ledger, recent decisions, pending deletion requests.
    pub fn export(&self) -> Result<Export, Error> {
        Ok(Export {
            app_id: self.shared.config.app_id.clone(),
            exported_at_ms: self.shared.now_ms(),
            consent: self.consent(),
            permitted: self.permitted(),
            pending_events: self.held()?,
            ledger: self.shared.ledger.snapshot(),
            recent_decisions: self.recent_traces(),
            deletion_requests: deletion::pending(
                self.shared.storage.as_ref(),
                &self.shared.config.storage_dir,
            ),
            outbox: self.outbox(),
            session_counts: self.session_counts(),
            recovered: self.recovered()?,
            storage_errors: self.storage_errors(),
        })
    }

    /// [`Modicum::export`] as pretty-printed JSON.
    pub fn export_json(&self) -> Result<String, Error> {
        Ok(serde_json::to_string_pretty(&self.export()?).expect("exports always serialize"))
    }

    /// Erases everything held on the device and asks every collector that received data to
    /// erase what it holds. In this order, each step durable before the next, and resumed at
    /// the next start if the process dies part way:
    /// 1. a deletion request naming only the install's recent pseudonyms is queued for every
    ///    region that received data, to be sent whatever the consent, battery or network;
    /// 2. the journal's data key is destroyed (so nothing written under it can be read again,
    ///    whatever survives on the flash), then the journal and the outbox;
    /// 3. consent and its history are reset, and release health's session counts forgotten;
    /// 4. the install secret is replaced, so new data cannot be linked to old.
    pub fn delete_all(&self) -> Result<DeletionRequest, Error> {
        self.request(BLOCKING_TIMEOUT, Command::DeleteAll)
    }

    /// Replaces the install secret: identifiers in events recorded after this call cannot be
    /// linked to those recorded before. What is held from before is sealed first, under the
    /// old install pseudonym; if that cannot happen now, those events travel without one.
    pub fn reset_identifiers(&self) -> Result<(), Error> {
        self.ask(BLOCKING_TIMEOUT, Command::ResetIdentifiers)
    }

    /// The current install pseudonym (see [`crate::transform::Pseudonymizer::install_pseudonym`]).
    pub fn install_pseudonym(&self) -> Result<String, Error> {
        self.request(BLOCKING_TIMEOUT, Command::InstallPseudonym)
    }
}
