//! Starting: what `start` does on the caller's thread (validate the config, read the consent
//! file, spawn the worker) and what the worker does before its first command (load the install
//! secret and the data key, open the outbox and the journal, finish an interrupted erasure,
//! reconcile what is held with the consent in force).

use std::collections::VecDeque;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use crossbeam_channel::{bounded, Receiver};

use super::consent::ConsentState;
use super::ledger::Entry;
use super::regions::Reached;
use super::worker::{self, Command, Holdings as WorkerStorage};
use super::{Ledger, Modicum, Runtime, INSTALL_SECRET_NAME, LEDGER_FILE, LEGACY_LEDGER_FILE};
use crate::collect::providers::{Clock, DeviceInfoProvider, NetworkProvider, SystemClock};
use crate::consent::{ConsentStore, Loaded};
use crate::health::{Book, HealthStore};
use crate::journal::{self, Contents, DataKey, Journal};
use crate::outbox::{OpeningKeys, Outbox, OutboxRecovery};
use crate::secret_store::{load_unless_damaged, FileSecretStore, SecretStore};
use crate::storage::{read_if_present, remove_if_present, Filesystem, Storage};
use crate::transform::{InstallSecret, Pseudonymizer};
use crate::{Config, Error};

/// What start found on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recovered {
    pub consent: Loaded,
    pub outbox: OutboxRecovery,
    /// Events found in the journal.
    pub events: usize,
    pub corrupt_records: u64,
    pub torn_tails: u64,
    pub unreadable_records: u64,
    /// An erasure (`delete_all`) the previous process did not finish, finished now.
    pub finished_erasure: bool,
}

/// The platform's providers: what only the OS can supply. [`Providers::new`] uses the system
/// clock, the real filesystem and no device or network provider (set device context with
/// `set_device_info`).
#[derive(Clone)]
pub struct Providers {
    pub secrets: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub device: Option<Arc<dyn DeviceInfoProvider>>,
    pub network: Option<Arc<dyn NetworkProvider>>,
    /// Where the journal, the outbox, consent and the ledger are written.
    pub storage: Arc<dyn Storage>,
}

impl Providers {
    pub fn new(secrets: Arc<dyn SecretStore>) -> Providers {
        Providers {
            secrets,
            clock: Arc::new(SystemClock),
            device: None,
            network: None,
            storage: Filesystem::shared(),
        }
    }

    /// Secrets in files under the config's storage directory (the weaker fallback, see
    /// [`FileSecretStore`]), the system clock, no device or network readings.
    pub fn files_for(config: &Config) -> Providers {
        Providers::new(Arc::new(FileSecretStore::new(
            config.storage_dir.join("keys"),
        )))
    }
}

impl Modicum {
    /// Starts with secrets kept in files under the storage directory (see [`FileSecretStore`]).
    pub fn start(config: Config) -> Result<Modicum, Error> {
        let providers = Providers::files_for(&config);
        Modicum::start_with(config, providers)
    }

    /// Validates `config`, restores consent and starts the worker, with the platform's
    /// providers. On the caller's thread this creates the storage directory, proves it
    /// writable (a file created and removed, not synced) and reads the consent file and
    /// release health's book (two small files), so `record` and the lifecycle calls are
    /// right from their first call; the worker does everything slower (secrets, the
    /// journal, the outbox), and calls that need it wait for it.
    pub fn start_with(config: Config, providers: Providers) -> Result<Modicum, Error> {
        let Providers {
            secrets,
            clock,
            device,
            network,
            storage,
        } = providers;
        config.validate()?;
        let unusable = |e: io::Error| Error::StorageUnusable {
            path: config.storage_dir.clone(),
            reason: e.to_string(),
        };
        let consent_store = ConsentStore::in_dir(Arc::clone(&storage), &config.storage_dir);
        let (consent, consent_loaded) = consent_store.load().map_err(unusable)?;
        let consent = ConsentState::new(consent_store, consent, &config.policy);
        let health_store = HealthStore::in_dir(Arc::clone(&storage), &config.storage_dir);
        // Like consent, read on the caller's thread: a lifecycle hook may count a session
        // before the worker has opened anything. A damaged file starts an empty book.
        let (book, health_damaged) = match health_store.load().map_err(unusable)? {
            Ok(book) => (book, false),
            Err(_) => (Book::default(), true),
        };
        let sensor_window = config.sensor_window;
        let ledger_file = crate::alternating::Alternating::new(&config.storage_dir, LEDGER_FILE);
        let (tx, rx) = bounded(config.queue_capacity);
        let shared = Arc::new(Runtime {
            consent,
            config,
            storage,
            secrets,
            ledger: Ledger::default(),
            traces: Mutex::new(VecDeque::new()),
            storage_errors: AtomicU64::new(u64::from(health_damaged)),
            device: RwLock::new(None),
            device_provider: device,
            network_provider: network,
            clock,
            sensors: Mutex::new(crate::collect::sensors::Aggregator::new(sensor_window)),
            opened: Opened::default(),
            health: Mutex::new(book),
            health_unsaved: AtomicBool::new(health_damaged),
            health_store,
            ledger_file,
        });
        let worker_shared = Arc::clone(&shared);
        let worker = std::thread::Builder::new()
            .name("modicum-worker".into())
            .spawn(move || match open_storage(&worker_shared, consent_loaded) {
                Ok((opened, recovered)) => worker::run(worker_shared, opened, recovered, rx),
                Err(e) => refuse_all(worker_shared, e, rx),
            })
            .map_err(|e| Error::StorageUnusable {
                path: shared.config.storage_dir.clone(),
                reason: format!("cannot start the worker: {e}"),
            })?;
        let modicum = Modicum {
            shared,
            tx,
            worker: Mutex::new(Some(worker)),
        };
        // The worker turns an earlier process's crash records into reports before it takes
        // any command; this process's own handlers start now (the native one starts its own
        // record file, which the worker never reads).
        if modicum.shared.config.crash_handlers {
            let dir = crate::collect::crash::dir(&modicum.shared.config.storage_dir);
            crate::collect::crash::panic::install(dir.clone());
            crate::collect::crash::signal::install(&dir).map_err(|e| Error::StorageUnusable {
                path: dir.clone(),
                reason: format!("cannot prepare the crash record: {e}"),
            })?;
        }
        Ok(modicum)
    }

    /// What start found on disk. The journal and outbox are opened on the worker, not the
    /// caller's thread: this waits (at most 30 s) until they are.
    pub fn recovered(&self) -> Result<Recovered, Error> {
        self.shared.opened.wait(Duration::from_secs(30))
    }
}

fn load_install_secret(store: &dyn SecretStore) -> io::Result<InstallSecret> {
    if let Some(bytes) = load_unless_damaged(store, INSTALL_SECRET_NAME)? {
        if let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(InstallSecret::from_bytes(bytes));
        }
    }
    // None yet, or damaged: a new one only makes pseudonyms unlinkable to old ones.
    let secret = InstallSecret::generate().map_err(io::Error::other)?;
    store.save(INSTALL_SECRET_NAME, &secret.to_bytes_for_storage())?;
    Ok(secret)
}

/// Loads the secrets and opens what the worker works on, on the worker's thread. A failure is
/// also recorded for [`Modicum::recovered`]; success is recorded by the worker once it has
/// finished what start leaves to it.
fn open_storage(shared: &Runtime, consent: Loaded) -> io::Result<(WorkerStorage, Recovered)> {
    let opened = (|| {
        let dir = &shared.config.storage_dir;
        let storage = &shared.storage;
        let legacy = dir.join(LEGACY_LEDGER_FILE);
        let saved = Ledger::load(storage.as_ref(), &shared.ledger_file, &legacy);
        shared.ledger.absorb(&saved);
        if read_if_present(storage.as_ref(), &legacy)?.is_some() {
            // Saved by a release before the two slots: moved into them, then removed.
            shared.ledger.save(storage.as_ref(), &shared.ledger_file)?;
            remove_if_present(storage.as_ref(), &legacy)?;
        }
        let secret = load_install_secret(shared.secrets.as_ref())?;
        let pseudonymizer = Pseudonymizer::new(&secret, shared.config.pseudonym_rotation)
            .map_err(io::Error::other)?;
        let key = Arc::new(DataKey::load_or_create(shared.secrets.as_ref())?);
        let openings = OpeningKeys::new(Arc::clone(&key))?;
        let journal_dir = dir.join("journal");
        let (outbox, outbox_recovered) =
            Outbox::open(Arc::clone(storage), &dir.join("outbox"), |last| {
                journal::remove_segments_through(storage.as_ref(), &journal_dir, last)
            })?;
        let (journal, contents) = Journal::open(Arc::clone(storage), &journal_dir, key)?;
        let uploaded_before = saved.handed_out_before();
        let endpoints = shared.config.upload.endpoints.iter();
        let reached = Reached::load(
            storage.as_ref(),
            dir,
            uploaded_before,
            endpoints.map(|e| e.region.clone()),
        )?;
        let recovered = Recovered::from_journal(consent, &contents, outbox_recovered);
        let opened = WorkerStorage {
            journal,
            outbox,
            openings,
            pending: contents.events,
            pseudonymizer,
            reached,
        };
        Ok::<_, io::Error>((opened, recovered))
    })();
    match opened {
        Ok(opened) => Ok(opened),
        Err(e) => {
            shared.opened.set(Err(Error::StorageUnusable {
                path: shared.config.storage_dir.clone(),
                reason: e.to_string(),
            }));
            Err(e)
        }
    }
}

/// What opening storage on the worker found, for whoever asks (and waits).
#[derive(Default)]
pub(super) struct Opened {
    result: Mutex<Option<Result<Recovered, Error>>>,
    done: std::sync::Condvar,
}

impl Opened {
    pub(super) fn set(&self, result: Result<Recovered, Error>) {
        *self.result.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
        self.done.notify_all();
    }

    fn wait(&self, timeout: Duration) -> Result<Recovered, Error> {
        let guard = self.result.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = self
            .done
            .wait_timeout_while(guard, timeout, |r| r.is_none())
            .unwrap_or_else(|p| p.into_inner());
        guard.clone().unwrap_or_else(|| Err(super::timed_out()))
    }
}

impl Recovered {
    fn from_journal(consent: Loaded, contents: &Contents, outbox: OutboxRecovery) -> Recovered {
        Recovered {
            consent,
            outbox,
            events: contents.events.len(),
            corrupt_records: contents.corrupt,
            torn_tails: contents.torn_tails,
            unreadable_records: contents.unreadable,
            finished_erasure: false,
        }
    }
}

/// The worker of a runtime whose storage could not be opened: every command is answered with
/// that error and every event counted as lost to storage, so nothing waits forever and nothing
/// is lost silently.
fn refuse_all(shared: Arc<Runtime>, error: io::Error, rx: Receiver<Command>) {
    let fail = || io::Error::new(error.kind(), error.to_string());
    while let Ok(command) = rx.recv() {
        // The consent file may still save where the journal could not open; its handles are
        // told either way.
        if shared.consent.has_unsaved() {
            let _ = shared.consent.save();
        }
        shared.save_health_alone();
        match command {
            Command::Record(event, _) => {
                shared.ledger.add(event.category, Entry::DroppedStorage, 1);
            }
            Command::Wake => {}
            Command::Ping(ack) => {
                let _ = ack.send(Ok(()));
            }
            Command::Flush(ack) | Command::Seal(ack) | Command::ResetIdentifiers(ack) => {
                let _ = ack.send(Err(fail()));
            }
            Command::InstallPseudonym(reply) => {
                let _ = reply.send(Err(fail()));
            }
            Command::DeleteAll(reply) => {
                let _ = reply.send(Err(fail()));
            }
            Command::Held(reply) => {
                let _ = reply.send(Err(fail()));
            }
            Command::NextUpload(_, reply) => {
                let _ = reply.send(Err(fail()));
            }
            Command::UploadDone(_, _, reply) => {
                let _ = reply.send(Err(fail()));
            }
            Command::Shutdown(ack) => {
                let _ = ack.send(Err(fail()));
                return;
            }
        }
    }
}
