use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::Consent;

/// Where the consent state lives on disk: one JSON file, replaced atomically on every change,
/// so a crash leaves either the old state or the new one, never a mix.
#[derive(Debug, Clone)]
pub struct ConsentStore {
    path: PathBuf,
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

    pub fn in_dir(dir: &Path) -> ConsentStore {
        ConsentStore {
            path: dir.join(Self::FILE_NAME),
        }
    }

    /// Reads the saved state. A missing file is a fresh start; an unreadable one falls back to
    /// deny-all, which is the safe reading of "we do not know what the user said".
    pub fn load(&self) -> io::Result<(Consent, Loaded)> {
        let bytes = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok((Consent::default(), Loaded::Fresh))
            }
            Err(e) => return Err(e),
        };
        match serde_json::from_slice::<Consent>(&bytes) {
            Ok(consent) => Ok((consent, Loaded::Restored)),
            Err(e) => {
                let kept_at = self.path.with_extension("json.corrupt");
                fs::rename(&self.path, &kept_at)?;
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

    /// Writes `consent` to a temporary file, syncs it, and renames it over the old state.
    pub fn save(&self, consent: &Consent) -> io::Result<()> {
        let json = serde_json::to_vec_pretty(consent).map_err(io::Error::other)?;
        let tmp = self.path.with_extension("json.tmp");
        let mut file = fs::File::create(&tmp)?;
        file.write_all(&json)?;
        file.sync_all()?;
        fs::rename(&tmp, &self.path)?;
        if let Some(dir) = self.path.parent() {
            // The rename is durable only once the directory entry is.
            fs::File::open(dir).and_then(|d| d.sync_all())?;
        }
        Ok(())
    }
}
