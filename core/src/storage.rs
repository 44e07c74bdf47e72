//! Where every file the core writes goes through: the journal, the outbox, consent, the ledger,
//! deletion requests and the record of regions that received data.
//!
//! One small interface so a test can make any write fail (`ENOSPC`, `EIO`) or stop all writes
//! from a chosen point on, as a killed process would (see `core/tests/model.rs`), while
//! production code runs on [`Filesystem`]. Reads go through it too, so one implementation
//! sees the whole picture, but the faults that matter are in what changes the disk.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The file operations the core uses. Implementations must be safe to call from any thread.
pub trait Storage: Send + Sync {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The names of the entries in `dir`, in no particular order.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// The length of the file at `path`.
    fn len(&self, path: &Path) -> io::Result<u64>;
    /// Creates (or truncates) the file at `path` for writing.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WriteFile>>;
    /// Opens the existing file at `path` for appending.
    fn append(&self, path: &Path) -> io::Result<Box<dyn WriteFile>>;
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove(&self, path: &Path) -> io::Result<()>;
    /// Makes renames and removals in `dir` durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// A file open for writing.
pub trait WriteFile: Send {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()>;
    /// Makes what was written durable (`fdatasync`): enough for appends to a file whose size
    /// the reader checks record by record.
    fn sync_data(&mut self) -> io::Result<()>;
    /// Makes the file and its metadata durable (`fsync`).
    fn sync_all(&mut self) -> io::Result<()>;
}

/// The real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filesystem;

impl Filesystem {
    /// The filesystem as a shareable [`Storage`].
    pub fn shared() -> Arc<dyn Storage> {
        Arc::new(Filesystem)
    }
}

struct RealFile(fs::File);

impl WriteFile for RealFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.0.write_all(bytes)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.0.sync_data()
    }

    fn sync_all(&mut self) -> io::Result<()> {
        self.0.sync_all()
    }
}

impl Storage for Filesystem {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        fs::read_dir(dir)?
            .map(|entry| Ok(entry?.file_name().to_string_lossy().into_owned()))
            .collect()
    }

    fn len(&self, path: &Path) -> io::Result<u64> {
        Ok(fs::metadata(path)?.len())
    }

    /// Created readable by the app alone (0600 on Unix): everything the core writes is the
    /// user's data or a key to it.
    fn create(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        Ok(Box::new(RealFile(options.open(path)?)))
    }

    fn append(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        let file = fs::OpenOptions::new().append(true).open(path)?;
        Ok(Box::new(RealFile(file)))
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        fs::File::open(dir)?.sync_all()
    }
}

/// Replaces the file at `path` with `bytes` so that a crash leaves the old content or the new,
/// never a mix: a temporary file beside it is written and synced, renamed over it, and the
/// directory synced so the rename itself survives.
pub fn write_atomic(storage: &dyn Storage, path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = temporary(path);
    let mut file = storage.create(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    storage.rename(&tmp, path)?;
    storage.sync_dir(parent(path))
}

/// Removes the file at `path`; a file already gone is not an error. True if it was there.
pub fn remove_if_present(storage: &dyn Storage, path: &Path) -> io::Result<bool> {
    match storage.remove(path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Reads the file at `path`, `None` if there is none.
pub fn read_if_present(storage: &dyn Storage, path: &Path) -> io::Result<Option<Vec<u8>>> {
    match storage.read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// The temporary file [`write_atomic`] writes before renaming it over `path`.
fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_replace_and_leave_no_temporary_file() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("state.json");
        write_atomic(&Filesystem, &path, b"one").unwrap();
        write_atomic(&Filesystem, &path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(Filesystem.list(tmp.path()).unwrap(), vec!["state.json"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600, "readable by the app alone");
        }
        assert!(remove_if_present(&Filesystem, &path).unwrap());
        assert!(!remove_if_present(&Filesystem, &path).unwrap());
        assert_eq!(read_if_present(&Filesystem, &path).unwrap(), None);
    }
}
