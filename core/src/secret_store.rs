//! Where secrets live: the journal's data key and the install secret. The platform supplies
//! a [`SecretStore`] backed by its key store (Android Keystore, iOS Keychain); hosts, the demo
//! and tests use [`FileSecretStore`].

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::storage::{write_atomic, Filesystem};

/// Keeps named secrets. Implementations must be safe to call from any thread.
pub trait SecretStore: Send + Sync {
    /// The secret saved under `name`, if any. An error of kind [`io::ErrorKind::InvalidData`]
    /// says the stored secret is damaged for good (its wrapping key is gone, its bytes were
    /// altered): the core then replaces it. Any other error is taken as passing (a key store
    /// still locked after boot): the core fails for now and tries again later, so data under
    /// a secret that is only unavailable is never given up.
    fn load(&self, name: &str) -> io::Result<Option<Vec<u8>>>;
    /// Saves `secret` under `name`, replacing what was there.
    fn save(&self, name: &str, secret: &[u8]) -> io::Result<()>;
    /// Forgets `name`; forgetting a missing name is not an error.
    fn delete(&self, name: &str) -> io::Result<()>;
}

/// The secret under `name`, with one damaged for good read as absent, so the caller makes a
/// new one. See [`SecretStore::load`].
pub(crate) fn load_unless_damaged(
    store: &dyn SecretStore,
    name: &str,
) -> io::Result<Option<Vec<u8>>> {
    match store.load(name) {
        Err(e) if e.kind() == io::ErrorKind::InvalidData => Ok(None),
        loaded => loaded,
    }
}

/// Secrets as 0600 files in a folder. Weaker than a platform key store: anyone who can read the
/// app's files can read them, so encryption at rest then protects only against reading the
/// journal alone (a copied file, a backup that excludes this folder).
#[derive(Debug, Clone)]
pub struct FileSecretStore {
    dir: PathBuf,
}

impl FileSecretStore {
    pub fn new(dir: impl Into<PathBuf>) -> FileSecretStore {
        FileSecretStore { dir: dir.into() }
    }

    fn path(&self, name: &str) -> io::Result<PathBuf> {
        let valid = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid secret name `{name}`"),
            ));
        }
        Ok(self.dir.join(format!("{name}.secret")))
    }
}

impl SecretStore for FileSecretStore {
    fn load(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        match fs::read(self.path(name)?) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn save(&self, name: &str, secret: &[u8]) -> io::Result<()> {
        let path = self.path(name)?;
        fs::create_dir_all(&self.dir)?;
        write_atomic(&Filesystem, &path, secret)
    }

    fn delete(&self, name: &str) -> io::Result<()> {
        match fs::remove_file(self.path(name)?) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => sync_dir(&self.dir),
        }
    }
}

/// Makes a rename or removal in `dir` durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_loads_and_deletes() {
        let tmp = tempfile::tempdir().unwrap();
        let store = FileSecretStore::new(tmp.path().join("keys"));
        assert_eq!(store.load("data-key").unwrap(), None);
        store.save("data-key", &[1, 2, 3]).unwrap();
        assert_eq!(store.load("data-key").unwrap(), Some(vec![1, 2, 3]));
        store.delete("data-key").unwrap();
        store.delete("data-key").unwrap();
        assert_eq!(store.load("data-key").unwrap(), None);
        assert!(store.save("../escape", &[1]).is_err());
    }
}
