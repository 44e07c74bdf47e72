//! The running SDK: what `record` does on the caller's thread (validate, a lock-free consent
//! check, a non-blocking `try_send`), and the worker that does the rest.
//!
//! Invariants:
//! - `record` never blocks and never panics: a full queue drops the event and counts it.
//! - Nothing raw is written: the worker minimizes before it journals.
//! - Every way an event is lost is counted in the [`Ledger`].
//! - Withdrawing a category applies to every `record` call after it, and the worker purges what
//!   is held for it before handling anything queued after the withdrawal.

mod batcher;
mod collectors;
mod deletion;
mod export;
mod ledger;
mod uploads;
mod worker;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU16, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crossbeam_channel::{bounded, Sender};

pub use collectors::{HttpMetric, SensorSample};
pub use deletion::DeletionRequest;
pub use uploads::Delivery;

/// How long the upload calls wait for the worker, which may be busy sealing a round.
const UPLOAD_CALL_TIMEOUT: Duration = Duration::from_secs(30);
pub use export::Export;
pub use ledger::{Entry as LedgerEntry, Ledger};

use crate::collect::providers::{Clock, DeviceInfoProvider, NetworkProvider, SystemClock};
use crate::consent::{ConsentStore, Loaded, Permits};
use crate::journal::{Contents, DataKey, Journal};
use crate::minimize::{Minimized, Trace};
use crate::outbox::{Outbox, OutboxEntry, OutboxRecovery};
use crate::secret_store::{load_unless_damaged, FileSecretStore, SecretStore};
use crate::transform::{InstallSecret, Pseudonymizer};
use crate::upload::{Conditions, NextUpload, UploadOutcome, UploadReport, Uploader};
use crate::{AgeBand, Category, Config, Consent, Error, Event, Policy};
use worker::Command;

/// Where the ledger's counts are saved, in the storage directory.
pub const LEDGER_FILE: &str = "ledger.json";

/// How many recent decision traces are kept for inspection.
pub const TRACE_CAPACITY: usize = 64;
/// The name the install secret is kept under in the secret store.
pub const INSTALL_SECRET_NAME: &str = "install-secret";

/// A running instance of the SDK. Every method takes `&self` and is safe to call from any
/// thread; `record` is safe on a UI thread.
pub struct Modicum {
    shared: Arc<Shared>,
    tx: Sender<Command>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

/// What `start` found on disk.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Recovered {
    pub consent: Loaded,
    pub outbox: OutboxRecovery,
    /// Events found in the journal.
    pub events: usize,
    pub corrupt_records: u64,
    pub torn_tails: u64,
    pub unreadable_records: u64,
}

struct Shared {
    config: Config,
    secrets: Arc<dyn SecretStore>,
    /// Replaced by `reset_identifiers`.
    pseudonymizer: RwLock<Pseudonymizer>,
    consent_store: ConsentStore,
    consent: Mutex<Consent>,
    /// `consent` evaluated under the policy, one bit per permitted category: read without a
    /// lock by `record`.
    permitted: AtomicU16,
    permits: Mutex<Permits>,
    ledger: Ledger,
    traces: Mutex<VecDeque<Trace>>,
    storage_errors: AtomicU64,
    /// The device context as the platform reported it, minimized each time a batch is sealed.
    device: RwLock<Option<crate::collect::device::DeviceInfo>>,
    /// Asked again before each batching round, so a change reaches the next batch.
    device_provider: Option<Arc<dyn DeviceInfoProvider>>,
    network_provider: Option<Arc<dyn NetworkProvider>>,
    clock: Arc<dyn Clock>,
    /// Set by the worker once the journal and outbox are open.
    opened: Opened,
    sensors: Mutex<crate::collect::sensors::Aggregator>,
}

impl Shared {
    fn now_ms(&self) -> u64 {
        self.clock.now_ms()
    }

    /// Reads the device context from the platform's provider, if there is one.
    fn refresh_device(&self) {
        if let Some(provider) = &self.device_provider {
            let info = provider.device_info();
            *self.device.write().unwrap_or_else(|p| p.into_inner()) = Some(info);
        }
    }

    fn permits(&self) -> Permits {
        *self.permits.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for Modicum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Modicum")
            .field("config", &self.shared.config)
            .finish_non_exhaustive()
    }
}

impl Modicum {
    /// Starts with secrets kept in files under the storage directory (see [`FileSecretStore`]).
    pub fn start(config: Config) -> Result<Modicum, Error> {
        let providers = Providers::files_for(&config);
        Modicum::start_with(config, providers)
    }

    /// Validates `config`, restores consent and the journal, and starts the worker, with the
    /// platform's providers.
    pub fn start_with(config: Config, providers: Providers) -> Result<Modicum, Error> {
        let Providers {
            secrets,
            clock,
            device,
            network,
        } = providers;
        config.validate()?;
        let unusable = |e: std::io::Error| Error::StorageUnusable {
            path: config.storage_dir.clone(),
            reason: e.to_string(),
        };
        let consent_store = ConsentStore::in_dir(&config.storage_dir);
        let (consent, consent_loaded) = consent_store.load().map_err(unusable)?;
        let secret = load_install_secret(secrets.as_ref()).map_err(unusable)?;
        let pseudonymizer =
            Pseudonymizer::new(&secret, config.pseudonym_rotation).map_err(|e| {
                Error::InvalidConfig {
                    reason: e.to_string(),
                }
            })?;
        let ledger = Ledger::load(&config.storage_dir.join(LEDGER_FILE));
        let permits = consent.permits(&config.policy);
        let config_sensor_window = config.sensor_window;
        let (tx, rx) = bounded(config.queue_capacity);
        let shared = Arc::new(Shared {
            permitted: AtomicU16::new(permits.bits()),
            permits: Mutex::new(permits),
            consent: Mutex::new(consent),
            config,
            secrets,
            pseudonymizer: RwLock::new(pseudonymizer),
            consent_store,
            ledger,
            traces: Mutex::new(VecDeque::new()),
            storage_errors: AtomicU64::new(0),
            device: RwLock::new(None),
            device_provider: device,
            network_provider: network,
            clock,
            sensors: Mutex::new(crate::collect::sensors::Aggregator::new(
                config_sensor_window,
            )),
            opened: Opened::default(),
        });
        let worker_shared = Arc::clone(&shared);
        // Opening the journal reads and decrypts every pending event, and the outbox may hold
        // thousands of batches: that happens on the worker, so `start` stays fast on a UI
        // thread. Commands queued meanwhile wait for it.
        let worker = std::thread::Builder::new()
            .name("modicum-worker".into())
            .spawn(move || match open_storage(&worker_shared, consent_loaded) {
                Ok((journal, outbox, pending)) => {
                    worker::run(worker_shared, journal, outbox, pending, rx)
                }
                Err(e) => worker::refuse_all(worker_shared, e, rx),
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

    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    pub fn policy(&self) -> &Policy {
        &self.shared.config.policy
    }

    /// What start found on disk. The journal and outbox are opened on the worker, not the
    /// caller's thread: this waits (at most 30 s) until they are.
    pub fn recovered(&self) -> Result<Recovered, Error> {
        self.shared.opened.wait(Duration::from_secs(30))
    }

    /// Records `event`: validates it, and if its category is permitted right now, queues it for
    /// minimization. Returns `Ok(true)` when queued, `Ok(false)` when consent does not allow it
    /// or the queue is full (both counted). Never blocks.
    pub fn record(&self, event: Event) -> Result<bool, Error> {
        self.enqueue(event, None)
    }

    /// [`Modicum::record`] for bulk callers off the app's thread (the platform facades'
    /// buffers): when the queue is full it waits until `deadline` for room before dropping,
    /// so a burst handed over at once is not lost to the queue's bound. A deadline rather
    /// than a timeout, so one bound covers a whole bulk call.
    pub fn record_waiting(&self, event: Event, deadline: Instant) -> Result<bool, Error> {
        self.enqueue(event, Some(deadline))
    }

    fn enqueue(&self, event: Event, wait: Option<Instant>) -> Result<bool, Error> {
        event.validate()?;
        let category = event.category;
        let ledger = &self.shared.ledger;
        ledger.count_on_caller(category, LedgerEntry::Collected);
        if self.shared.permitted.load(Ordering::Acquire) & (1 << category as u16) == 0 {
            ledger.count_on_caller(category, LedgerEntry::DroppedForConsent);
            return Ok(false);
        }
        let sent = match wait {
            None => self.tx.try_send(Command::Record(event)).is_ok(),
            Some(deadline) => self
                .tx
                .send_deadline(Command::Record(event), deadline)
                .is_ok(),
        };
        if !sent {
            ledger.count_on_caller(category, LedgerEntry::DroppedQueueFull);
        }
        Ok(sent)
    }

    /// Seals everything recorded before this call into outbox batches now (rather than when a
    /// batch fills or ages), for example before an upload window. Does nothing without a
    /// collector key.
    pub fn seal_now(&self, timeout: Duration) -> Result<(), Error> {
        self.ask(timeout, Command::Seal)
    }

    /// The next upload request for the platform to send, or why there is none now (the pull
    /// model, for WorkManager or BGTaskScheduler). Report its outcome with
    /// [`Modicum::upload_finished`]; until then no other request is handed out.
    pub fn next_upload(&self, conditions: Conditions) -> Result<NextUpload, Error> {
        self.request(UPLOAD_CALL_TIMEOUT, |reply| {
            Command::NextUpload(conditions, reply)
        })
    }

    /// Reports what became of request `id`: the batch is removed once delivered, split on
    /// 413, dropped on another 4xx, and retried later otherwise.
    pub fn upload_finished(&self, id: &str, outcome: UploadOutcome) -> Result<Delivery, Error> {
        self.request(UPLOAD_CALL_TIMEOUT, |reply| {
            Command::UploadDone(id.to_owned(), outcome, reply)
        })
    }

    /// The push helper: seals what is journaled, then sends requests through `uploader` until
    /// nothing is left, or the next attempt is further away than what remains of `budget`
    /// (shorter waits are slept through). Call it from a background task, never the UI thread.
    pub fn upload_pending(
        &self,
        uploader: &dyn Uploader,
        conditions: Conditions,
        budget: Duration,
    ) -> Result<UploadReport, Error> {
        let deadline = std::time::Instant::now() + budget;
        self.seal_now(UPLOAD_CALL_TIMEOUT)?;
        let mut report = UploadReport::default();
        loop {
            match self.next_upload(conditions)? {
                NextUpload::Idle => return Ok(report),
                NextUpload::Send(request) => {
                    let outcome = uploader.upload(&request);
                    report.requests += 1;
                    let delivery = self.upload_finished(&request.id, outcome)?;
                    report.delivered_batches += delivery.delivered_batches;
                    report.delivered_events += delivery.delivered_events;
                    report.splits += u32::from(delivery.split);
                    report.dropped_events += delivery.dropped_events;
                }
                NextUpload::Wait { reason, retry_in } => {
                    let now = std::time::Instant::now();
                    match retry_in {
                        Some(pause) if now + pause < deadline => std::thread::sleep(pause),
                        _ => {
                            report.waiting = Some(reason);
                            return Ok(report);
                        }
                    }
                }
            }
        }
    }

    /// The sealed bytes of a batch in the outbox, exactly as they are uploaded.
    pub fn outbox_batch(&self, entry: &OutboxEntry) -> Result<Vec<u8>, Error> {
        Outbox::open_for_reading_without_scan(&self.shared.config.storage_dir.join("outbox"))
            .read(entry)
            .map_err(|e| Error::Storage {
                reason: e.to_string(),
            })
    }

    /// The sealed batches waiting for upload, in upload order.
    pub fn outbox(&self) -> Vec<OutboxEntry> {
        outbox_list(&self.shared.config.storage_dir)
    }

    /// Returns once everything recorded before this call is durable, or after `timeout`.
    pub fn flush(&self, timeout: Duration) -> Result<(), Error> {
        self.ask(timeout, Command::Flush)
    }

    /// Drains the queue, makes everything durable and stops the worker. Later calls to
    /// `record` return `Ok(false)` and are counted as dropped.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), Error> {
        // Partial sensor windows are recorded rather than lost.
        let _ = self.close_sensor_windows();
        let result = self.ask(timeout, Command::Shutdown);
        if let Some(worker) = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = worker.join();
        }
        result
    }

    /// Records the user's decision for one category. Withdrawing a category applies to every
    /// later `record`, and removes what is held for it (everything of that category, and the
    /// fields its grant let into other events) before anything queued later is handled. The
    /// change applies in memory even if saving it fails (that is reported).
    pub fn set_consent(&self, category: Category, granted: bool) -> Result<(), Error> {
        let saved = self.change_consent(|consent, now| consent.set(category, granted, now))?;
        if !granted {
            self.purge(category)?;
        }
        saved
    }

    /// Same as [`Modicum::set_consent`] for a category named as a string (from a remote
    /// config, say); an unknown name is an error and changes nothing.
    pub fn set_consent_by_name(&self, category: &str, granted: bool) -> Result<(), Error> {
        self.set_consent(category.parse()?, granted)
    }

    /// Records that the user agreed to version `version` of the app's terms.
    pub fn agree_to_version(&self, version: u32) -> Result<(), Error> {
        self.change_consent(|consent, now| {
            consent.agree_to_version(version, now);
            Ok(())
        })?
    }

    /// Sets the user's age band and whether a guardian consented; whatever is no longer
    /// permitted is purged.
    pub fn set_age(&self, age: AgeBand, guardian_consent: bool) -> Result<(), Error> {
        let saved = self.change_consent(|consent, now| {
            consent.set_age(age, guardian_consent, now);
            Ok(())
        })?;
        let permits = self.shared.permits();
        for category in Category::ALL {
            if permits.permit(category).is_none() {
                self.purge(category)?;
            }
        }
        saved
    }

    pub fn consent(&self) -> Consent {
        self.shared
            .consent
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The categories processing is permitted for right now, essential included if declared.
    pub fn permitted(&self) -> Vec<Category> {
        let permits = self.shared.permits();
        Category::ALL
            .into_iter()
            .filter(|&c| permits.permit(c).is_some())
            .collect()
    }

    /// The minimized events held right now, oldest first, including everything recorded
    /// before this call.
    pub fn held(&self) -> Result<Vec<Minimized>, Error> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        self.send(Command::Held(reply), BLOCKING_TIMEOUT)?;
        answer
            .recv_timeout(BLOCKING_TIMEOUT)
            .map_err(|_| timed_out())?
            .map_err(|e| Error::Storage {
                reason: e.to_string(),
            })
    }

    /// The held events as a JSON array: exactly what would leave the device.
    pub fn held_json(&self) -> Result<String, Error> {
        Ok(serde_json::to_string(&self.held()?).expect("minimized events always serialize"))
    }

    /// The most recent decision traces, oldest first.
    pub fn recent_traces(&self) -> Vec<Trace> {
        self.shared
            .traces
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// The privacy ledger.
    pub fn ledger(&self) -> &Ledger {
        &self.shared.ledger
    }

    /// How often syncing to storage failed (a full disk, a removed card).
    pub fn storage_errors(&self) -> u64 {
        self.shared.storage_errors.load(Ordering::Relaxed)
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
            deletion_requests: deletion::pending(&self.shared.config.storage_dir),
            outbox: self.outbox(),
            recovered: self.recovered()?,
            storage_errors: self.storage_errors(),
        })
    }

    /// [`Modicum::export`] as pretty-printed JSON.
    pub fn export_json(&self) -> Result<String, Error> {
        Ok(serde_json::to_string_pretty(&self.export()?).expect("exports always serialize"))
    }

    /// Erases everything held on the device, in this order: the journal's data key is
    /// destroyed (so nothing written under it can be read again, whatever survives on the
    /// flash), then the journal files, then consent and its history; identifiers are reset so
    /// new data cannot be linked to old; and a deletion request naming only the old install
    /// pseudonyms is queued for the collector, to be sent whatever the consent.
    pub fn delete_all(&self) -> Result<DeletionRequest, Error> {
        let now = self.shared.now_ms();
        let window = self
            .shared
            .config
            .retention
            .as_millis()
            .try_into()
            .unwrap_or(u64::MAX);
        let request = DeletionRequest {
            install_pseudonyms: self.pseudonymizer().install_pseudonyms_since(now, window),
            requested_at_ms: now,
        };
        self.ask(BLOCKING_TIMEOUT, Command::DeleteAll)?;
        let saved = self.change_consent(|consent, _| {
            *consent = Consent::default();
            Ok(())
        })?;
        self.reset_identifiers()?;
        deletion::queue(&self.shared.config.storage_dir, &request).map_err(|e| Error::Storage {
            reason: e.to_string(),
        })?;
        saved.map(|()| request)
    }

    /// Replaces the install secret: identifiers hashed from now on cannot be linked to those
    /// hashed before.
    pub fn reset_identifiers(&self) -> Result<(), Error> {
        let storage = |e: std::io::Error| Error::Storage {
            reason: e.to_string(),
        };
        let secret = InstallSecret::generate().map_err(|e| Error::Storage {
            reason: e.to_string(),
        })?;
        self.shared
            .secrets
            .save(INSTALL_SECRET_NAME, &secret.to_bytes_for_storage())
            .map_err(storage)?;
        let pseudonymizer = Pseudonymizer::new(&secret, self.shared.config.pseudonym_rotation)
            .map_err(|e| Error::InvalidConfig {
                reason: e.to_string(),
            })?;
        // Through the queue: events recorded before this call are hashed with the old secret.
        self.ask(BLOCKING_TIMEOUT, |ack| {
            Command::Rotate(Box::new(pseudonymizer), ack)
        })
    }

    /// The current install pseudonym (see [`Pseudonymizer::install_pseudonym`]).
    pub fn install_pseudonym(&self) -> String {
        self.pseudonymizer().install_pseudonym(self.shared.now_ms())
    }

    fn pseudonymizer(&self) -> std::sync::RwLockReadGuard<'_, Pseudonymizer> {
        self.shared
            .pseudonymizer
            .read()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn purge(&self, category: Category) -> Result<(), Error> {
        self.ask(BLOCKING_TIMEOUT, |ack| Command::Purge(category, ack))
    }

    /// Applies `change` to the consent, refreshes the permits, and saves. The outer `Result`
    /// is the change itself; the inner one whether saving worked.
    fn change_consent(
        &self,
        change: impl FnOnce(&mut Consent, u64) -> Result<(), Error>,
    ) -> Result<Result<(), Error>, Error> {
        let mut consent = self
            .shared
            .consent
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        change(&mut consent, self.shared.now_ms())?;
        let permits = consent.permits(&self.shared.config.policy);
        *self
            .shared
            .permits
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = permits;
        self.shared
            .permitted
            .store(permits.bits(), Ordering::Release);
        Ok(self
            .shared
            .consent_store
            .save(&consent)
            .map_err(|e| Error::Storage {
                reason: e.to_string(),
            }))
    }

    fn send(&self, command: Command, timeout: Duration) -> Result<(), Error> {
        self.tx
            .send_timeout(command, timeout)
            .map_err(|_| timed_out())
    }

    /// Sends a command that answers with a value, and waits for it.
    fn request<T>(
        &self,
        timeout: Duration,
        command: impl FnOnce(Sender<std::io::Result<T>>) -> Command,
    ) -> Result<T, Error> {
        let (reply, answer) = crossbeam_channel::bounded(1);
        let deadline = std::time::Instant::now() + timeout;
        self.send(command(reply), timeout)?;
        answer
            .recv_deadline(deadline)
            .map_err(|_| timed_out())?
            .map_err(|e| Error::Storage {
                reason: e.to_string(),
            })
    }

    fn ask(
        &self,
        timeout: Duration,
        command: impl FnOnce(Sender<std::io::Result<()>>) -> Command,
    ) -> Result<(), Error> {
        let (ack, done) = crossbeam_channel::bounded(1);
        let deadline = std::time::Instant::now() + timeout;
        self.send(command(ack), timeout)?;
        done.recv_deadline(deadline)
            .map_err(|_| timed_out())?
            .map_err(|e| Error::Storage {
                reason: e.to_string(),
            })
    }
}

impl Drop for Modicum {
    fn drop(&mut self) {
        let _ = self.shutdown(BLOCKING_TIMEOUT);
    }
}

/// How long calls that must wait for the worker (reads, purges) wait at most.
const BLOCKING_TIMEOUT: Duration = Duration::from_secs(10);

fn timed_out() -> Error {
    Error::Storage {
        reason: "the worker did not answer in time".into(),
    }
}

fn load_install_secret(store: &dyn SecretStore) -> std::io::Result<InstallSecret> {
    if let Some(bytes) = load_unless_damaged(store, INSTALL_SECRET_NAME)? {
        if let Ok(bytes) = <[u8; 32]>::try_from(bytes.as_slice()) {
            return Ok(InstallSecret::from_bytes(bytes));
        }
    }
    // None yet, or damaged: a new one only makes pseudonyms unlinkable to old ones.
    let secret = InstallSecret::generate().map_err(std::io::Error::other)?;
    store.save(INSTALL_SECRET_NAME, &secret.to_bytes_for_storage())?;
    Ok(secret)
}

/// Opens the key, the outbox and the journal (on the worker): what `start` used to do on the
/// caller's thread.
fn open_storage(
    shared: &Shared,
    consent: Loaded,
) -> std::io::Result<(Journal, Outbox, Vec<Minimized>)> {
    let opened = (|| {
        let storage = &shared.config.storage_dir;
        let key = DataKey::load_or_create(shared.secrets.as_ref())?;
        let journal_dir = storage.join("journal");
        let (outbox, outbox_recovered) = Outbox::open(&storage.join("outbox"), &journal_dir)?;
        let (journal, contents) = Journal::open(&journal_dir, key)?;
        let recovered = Recovered::from_journal(consent, &contents, outbox_recovered);
        Ok::<_, std::io::Error>((journal, outbox, contents.events, recovered))
    })();
    match opened {
        Ok((journal, outbox, events, recovered)) => {
            shared.opened.set(Ok(recovered));
            Ok((journal, outbox, events))
        }
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
struct Opened {
    result: Mutex<Option<Result<Recovered, Error>>>,
    done: std::sync::Condvar,
}

impl Opened {
    fn set(&self, result: Result<Recovered, Error>) {
        *self.result.lock().unwrap_or_else(|p| p.into_inner()) = Some(result);
        self.done.notify_all();
    }

    fn wait(&self, timeout: Duration) -> Result<Recovered, Error> {
        let guard = self.result.lock().unwrap_or_else(|p| p.into_inner());
        let (guard, _) = self
            .done
            .wait_timeout_while(guard, timeout, |r| r.is_none())
            .unwrap_or_else(|p| p.into_inner());
        guard.clone().unwrap_or_else(|| Err(timed_out()))
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
        }
    }
}

fn outbox_list(storage: &std::path::Path) -> Vec<OutboxEntry> {
    Outbox::open_for_reading(&storage.join("outbox")).list()
}

/// The platform's providers: what only the OS can supply. [`Providers::new`] uses the system
/// clock and no device or network provider (set device context with `set_device_info`).
#[derive(Clone)]
pub struct Providers {
    pub secrets: Arc<dyn SecretStore>,
    pub clock: Arc<dyn Clock>,
    pub device: Option<Arc<dyn DeviceInfoProvider>>,
    pub network: Option<Arc<dyn NetworkProvider>>,
}

impl Providers {
    pub fn new(secrets: Arc<dyn SecretStore>) -> Providers {
        Providers {
            secrets,
            clock: Arc::new(SystemClock),
            device: None,
            network: None,
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

/// The system clock's time, for code that runs before or outside a runtime (crash hooks).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests;
