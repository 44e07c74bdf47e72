use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::Error;

/// What an app passes to [`crate::Modicum::start`].
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// A directory private to the app; created if missing. Modicum writes nothing elsewhere.
    pub storage_dir: PathBuf,
    /// The app's identifier (package name or bundle id), reported with every batch.
    pub app_id: String,
}

const MAX_APP_ID_BYTES: usize = 255;

impl Config {
    /// Checks the config and proves the storage directory can be written, so a bad path fails
    /// at start rather than silently losing events later.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        validate_app_id(&self.app_id)?;
        prepare_storage_dir(&self.storage_dir)
    }
}

fn validate_app_id(app_id: &str) -> Result<(), Error> {
    let invalid = |reason: &str| Err(Error::InvalidConfig { reason: format!("app_id {reason}") });
    if app_id.is_empty() {
        return invalid("is empty");
    }
    if app_id.len() > MAX_APP_ID_BYTES {
        return invalid(&format!("is longer than {MAX_APP_ID_BYTES} bytes"));
    }
    // Package names and bundle ids use this alphabet; anything else is a mistake, not an id.
    if !app_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
        return invalid("may hold only ASCII letters, digits, '.', '_' and '-'");
    }
    Ok(())
}

fn prepare_storage_dir(dir: &Path) -> Result<(), Error> {
    let unusable = |reason: String| Error::StorageUnusable { path: dir.to_path_buf(), reason };
    if dir.as_os_str().is_empty() {
        return Err(unusable("the path is empty".into()));
    }
    fs::create_dir_all(dir).map_err(|e| unusable(format!("cannot create it: {e}")))?;
    if !dir.is_dir() {
        return Err(unusable("it is not a directory".into()));
    }
    // Permission bits do not tell the whole story (read-only mounts, sandboxes): write a probe.
    let probe = dir.join(".modicum-probe");
    let written = fs::File::create(&probe).and_then(|mut f| f.write_all(b"ok").and_then(|()| f.sync_all()));
    let _ = fs::remove_file(&probe);
    written.map_err(|e| unusable(format!("cannot write to it: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path, app_id: &str) -> Config {
        Config { storage_dir: dir.to_path_buf(), app_id: app_id.into() }
    }

    #[test]
    fn creates_a_missing_storage_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        config(&dir, "com.example.app").validate().unwrap();
        assert!(dir.is_dir());
        assert!(!dir.join(".modicum-probe").exists());
    }

    #[test]
    fn a_file_is_not_a_storage_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"x").unwrap();
        let err = config(&file, "com.example.app").validate().unwrap_err();
        assert!(matches!(err, Error::StorageUnusable { .. }), "{err:?}");
    }

    #[test]
    fn a_storage_dir_under_a_file_is_unusable() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"x").unwrap();
        let err = config(&file.join("sub"), "com.example.app").validate().unwrap_err();
        assert!(matches!(err, Error::StorageUnusable { .. }), "{err:?}");
    }

    #[test]
    fn app_ids_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in ["", "has space", "ümlaut", &"a".repeat(256)] {
            let err = config(tmp.path(), bad).validate().unwrap_err();
            assert!(matches!(err, Error::InvalidConfig { .. }), "{bad:?}: {err:?}");
        }
        config(tmp.path(), "org.example.App_2-beta").validate().unwrap();
    }
}
