//! A storage seam for tests: any write can fail once with an errno, writes under a path can
//! fail until told otherwise, and from a chosen write on every write fails, as in a process
//! that was killed (the dying write optionally cut short). Syncs are checked but not performed:
//! a killed process keeps what it handed to the OS.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use modicum_core::secret_store::SecretStore;
use modicum_core::storage::{Filesystem, Storage, WriteFile};

/// Shared by the storage and the key store of one process life.
#[derive(Default)]
pub struct Faults {
    /// Writes (anything that changes the disk or the key store) so far.
    pub writes: AtomicU64,
    /// One write that fails, with this errno, and nothing else.
    pub fail_at: Mutex<Option<(u64, i32)>>,
    /// Every write to a path containing this fails with this errno.
    pub fail_paths: Mutex<Option<(String, i32)>>,
    /// From this write on every write fails: the process is dead.
    pub die_at: AtomicU64,
    /// The write that dies writes half its bytes first.
    pub torn: AtomicBool,
}

impl Faults {
    pub fn new() -> Arc<Faults> {
        let faults = Faults::default();
        faults.die_at.store(u64::MAX, Ordering::SeqCst);
        Arc::new(faults)
    }

    /// Counts a write to `path`: `Err` if it must fail, with whether it is the torn one.
    fn write(&self, path: &Path) -> Result<(), (io::Error, bool)> {
        let n = self.writes.fetch_add(1, Ordering::SeqCst);
        let die_at = self.die_at.load(Ordering::SeqCst);
        if n >= die_at {
            let torn = n == die_at && self.torn.load(Ordering::SeqCst);
            return Err((io::Error::from_raw_os_error(libc::EIO), torn));
        }
        if let Some((part, errno)) = &*self.fail_paths.lock().unwrap() {
            if path.to_string_lossy().contains(part.as_str()) {
                return Err((io::Error::from_raw_os_error(*errno), false));
            }
        }
        let mut fail_at = self.fail_at.lock().unwrap();
        if let Some((at, errno)) = *fail_at {
            if at == n {
                *fail_at = None;
                return Err((io::Error::from_raw_os_error(errno), false));
            }
        }
        Ok(())
    }

    pub fn check(&self, path: &Path) -> io::Result<()> {
        self.write(path).map_err(|(e, _)| e)
    }

    pub fn dead(&self) -> bool {
        self.writes.load(Ordering::SeqCst) > self.die_at.load(Ordering::SeqCst)
    }

    /// Kills the process: every write fails from now on.
    pub fn kill(&self) {
        self.die_at.store(0, Ordering::SeqCst);
    }
}

/// The real filesystem behind [`Faults`].
pub struct FaultyStorage(pub Arc<Faults>);

struct FaultyFile {
    faults: Arc<Faults>,
    path: PathBuf,
    file: Box<dyn WriteFile>,
}

impl WriteFile for FaultyFile {
    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        match self.faults.write(&self.path) {
            Ok(()) => self.file.write_all(bytes),
            Err((e, torn)) => {
                if torn {
                    let _ = self.file.write_all(&bytes[..bytes.len() / 2]);
                }
                Err(e)
            }
        }
    }
    fn sync_data(&mut self) -> io::Result<()> {
        self.faults.check(&self.path)
    }
    fn sync_all(&mut self) -> io::Result<()> {
        self.faults.check(&self.path)
    }
}

impl FaultyStorage {
    fn file(&self, path: &Path, file: Box<dyn WriteFile>) -> Box<dyn WriteFile> {
        Box::new(FaultyFile {
            faults: Arc::clone(&self.0),
            path: path.to_path_buf(),
            file,
        })
    }
}

impl Storage for FaultyStorage {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        if dir.is_dir() {
            return Ok(());
        }
        self.0.check(dir)?;
        Filesystem.create_dir_all(dir)
    }
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        Filesystem.read(path)
    }
    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        Filesystem.list(dir)
    }
    fn len(&self, path: &Path) -> io::Result<u64> {
        Filesystem.len(path)
    }
    fn create(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        self.0.check(path)?;
        Ok(self.file(path, Filesystem.create(path)?))
    }
    fn append(&self, path: &Path) -> io::Result<Box<dyn WriteFile>> {
        self.0.check(path)?;
        Ok(self.file(path, Filesystem.append(path)?))
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.0.check(to)?;
        Filesystem.rename(from, to)
    }
    fn remove(&self, path: &Path) -> io::Result<()> {
        self.0.check(path)?;
        Filesystem.remove(path)
    }
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        self.0.check(dir)
    }
}

/// The platform's key store: it outlives the process, and a dead process cannot change it.
#[derive(Default)]
pub struct KeyStore {
    secrets: Mutex<std::collections::HashMap<String, Vec<u8>>>,
    pub faults: Mutex<Option<Arc<Faults>>>,
}

impl KeyStore {
    fn check(&self) -> io::Result<()> {
        match &*self.faults.lock().unwrap() {
            Some(faults) => faults.check(Path::new("keystore")),
            None => Ok(()),
        }
    }
}

/// One process life's view of a [`KeyStore`].
pub struct LifeKeys(pub Arc<KeyStore>);

impl SecretStore for LifeKeys {
    fn load(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.0.secrets.lock().unwrap().get(name).cloned())
    }
    fn save(&self, name: &str, secret: &[u8]) -> io::Result<()> {
        self.0.check()?;
        self.0
            .secrets
            .lock()
            .unwrap()
            .insert(name.to_owned(), secret.to_vec());
        Ok(())
    }
    fn delete(&self, name: &str) -> io::Result<()> {
        self.0.check()?;
        self.0.secrets.lock().unwrap().remove(name);
        Ok(())
    }
}
