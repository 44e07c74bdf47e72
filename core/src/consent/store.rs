use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::Consent;
use crate::storage::{read_if_present, write_atomic, Storage};

/// Where the consent state lives on disk: one JSON file, replaced atomically on every change,
/// so a crash leaves either the old state or the new one, never a mix.
#[derive(Clone)]
pub struct ConsentStore {
    storage: Arc<dyn Storage>,
    path: PathBuf,
}

impl std::fmt::Debug for ConsentStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// What [`ConsentStore::load`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Loaded {
    /// No state yet: everything is denied.
    Fresh,
    /// The state saved last time.
    Restored,
    /// The file could not be read as consent state. It was moved aside to `kept_at` (never
    /// deleted: it is the user's record) and the state starts over as deny-all.
    Corrupt { kept_at: PathBuf, reason: String },
}

impl ConsentStore {
    pub const FILE_NAME: &'static str = "consent.json";

    pub fn in_dir(storage: Arc<dyn Storage>, dir: &Path) -> ConsentStore {
        ConsentStore {
            storage,
            path: dir.join(Self::FILE_NAME),
        }
    }

    /// Reads the saved state. A missing file is a fresh start; an unreadable one falls back to
    /// deny-all, which is the safe reading of "we do not know what the user said".
    pub fn load(&self) -> io::Result<(Consent, Loaded)> {
        let Some(bytes) = read_if_present(self.storage.as_ref(), &self.path)? else {
            return Ok((Consent::default(), Loaded::Fresh));
        };
        match serde_json::from_slice::<Consent>(&bytes) {
            Ok(consent) => Ok((consent, Loaded::Restored)),
            Err(e) => {
                let kept_at = self.path.with_extension("json.corrupt");
                self.storage.rename(&self.path, &kept_at)?;
                Ok((
                    Consent::default(),
                    Loaded::Corrupt {
                        kept_at,
                        reason: e.to_string(),
                    },
                ))
            }
        }
    }

    /// Replaces the saved state with `consent` atomically (see [`write_atomic`]).
    pub fn save(&self, consent: &Consent) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(consent).map_err(io::Error::other)?;
        write_atomic(self.storage.as_ref(), &self.path, &json)
    }
}
