//! The running SDK: what `record` does on the caller's thread (validate, a lock-free consent
//! check, a non-blocking `try_send`), and the worker that does the rest.
//!
//! Invariants:
//! - `record` never blocks and never panics: a full queue drops the event and counts it.
//! - Nothing raw is written: the worker minimizes before it journals.
//! - Every way an event is lost is counted in the [`Ledger`], including the drops a platform
//!   facade makes before the core sees an event ([`Modicum::note_dropped`]).
//! - Withdrawing a category applies to every `record` call after it, and the worker removes
//!   what is held for it before handling anything queued after the withdrawal; what it could
//!   not remove then it removes at the next round, hand-out or start ([`consent`]).

mod backlog;
mod batcher;
mod collectors;
mod consent;
mod deletion;
mod durability;
mod erasure;
mod export;
mod ledger;
mod regions;
mod retention;
mod rights;
mod sessions;
mod start;
mod uploads;
mod worker;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;

pub use collectors::{HttpMetric, SensorSample};
pub use deletion::DeletionRequest;
pub use durability::Durability;
pub use export::Export;
pub use ledger::{Entry as LedgerEntry, Ledger};
pub use start::{Providers, Recovered};
pub use uploads::Delivery;

use crate::collect::providers::{Clock, DeviceInfoProvider, NetworkProvider};
use crate::minimize::Trace;
use crate::outbox::{Outbox, OutboxEntry};
use crate::secret_store::SecretStore;
use crate::storage::Storage;
use crate::upload::{Conditions, NextUpload, UploadOutcome, UploadReport, Uploader};
use crate::{Category, Config, Error, Event, Policy};
use consent::ConsentState;
use worker::Command;

/// How long the upload calls wait for the worker, which may be busy sealing a round.
const UPLOAD_CALL_TIMEOUT: Duration = Duration::from_secs(30);

/// Where the ledger's counts are saved, in the storage directory: two slots written in turn
/// (`ledger.0`, `ledger.1`); `ledger.json` is where releases before them saved it.
pub const LEDGER_FILE: &str = "ledger";
const LEGACY_LEDGER_FILE: &str = "ledger.json";

/// How many recent decision traces are kept for inspection.
pub const TRACE_CAPACITY: usize = 64;
/// The name the install secret is kept under in the secret store.
pub const INSTALL_SECRET_NAME: &str = "install-secret";

/// A running instance of the SDK. Every method takes `&self` and is safe to call from any
/// thread; `record` is safe on a UI thread.
pub struct Modicum {
    shared: Arc<Runtime>,
    tx: Sender<Command>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

/// Why a platform facade dropped events before they reached the core (see
/// [`Modicum::note_dropped`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DropReason {
    /// The category was not permitted when the app recorded.
    Consent,
    /// The facade's buffer was full.
    BufferFull,
    /// A property the facade could not convert, or an event it found invalid.
    Invalid,
}

/// One running instance's state, as the caller's threads and the worker both see it: the
/// configuration, the consent in force (held once, in [`ConsentState`]), the ledger's
/// counters, recent decisions, the device context and the platform's providers. What only the
/// worker touches (journal, outbox, pending events) lives in the worker instead.
struct Runtime {
    config: Config,
    storage: Arc<dyn Storage>,
    secrets: Arc<dyn SecretStore>,
    consent: ConsentState,
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
    opened: start::Opened,
    sensors: Mutex<crate::collect::sensors::Aggregator>,
    /// Release health: the session counts, changed on the caller's thread in memory and saved
    /// by the worker at its next turn (as consent is), so a lifecycle hook never waits.
    health: Mutex<crate::health::Book>,
    health_unsaved: AtomicBool,
    health_store: crate::health::HealthStore,
    /// The ledger's file, saved at every group commit.
    ledger_file: crate::alternating::Alternating,
}

impl Runtime {
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

    fn permits(&self) -> crate::consent::Permits {
        self.consent.permits()
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
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    pub fn policy(&self) -> &Policy {
        &self.shared.config.policy
    }

    /// Records `event`: validates it, and if its category is permitted right now, queues it for
    /// minimization. Returns `Ok(true)` when queued, `Ok(false)` when consent does not allow it
    /// or the queue is full, and the validation error for an invalid event (all counted).
    /// Never blocks.
    pub fn record(&self, event: Event) -> Result<bool, Error> {
        let epoch = self.shared.consent.epoch();
        self.enqueue(event, None, epoch)
    }

    /// [`Modicum::record`] for bulk callers off the app's thread (the platform facades'
    /// buffers): when the queue is full it waits until `deadline` for room before dropping,
    /// so a burst handed over at once is not lost to the queue's bound. A deadline rather
    /// than a timeout, so one bound covers a whole bulk call.
    pub fn record_waiting(&self, event: Event, deadline: Instant) -> Result<bool, Error> {
        let epoch = self.shared.consent.epoch();
        self.enqueue(event, Some(deadline), epoch)
    }

    /// Records many events in one call, for bulk callers off the app's thread (the platform
    /// facades' buffers): when the queue is full it waits for room, up to
    /// `Config::bulk_record_wait` for the whole call, rather than drop what the app already
    /// handed over. One result per event, as [`Modicum::record`] gives; an invalid event is
    /// refused alone.
    pub fn record_many(&self, events: impl IntoIterator<Item = Event>) -> Vec<Result<bool, Error>> {
        let epoch = self.shared.consent.epoch();
        self.record_many_as_of(events, epoch)
    }

    /// [`Modicum::record_many`] for events the app recorded earlier, when the consent epoch
    /// was `epoch` ([`Modicum::consent_epoch`]): what a withdrawal since then withdrew is
    /// withdrawn for them too, even if it was granted again before they arrived.
    pub fn record_many_as_of(
        &self,
        events: impl IntoIterator<Item = Event>,
        epoch: u64,
    ) -> Vec<Result<bool, Error>> {
        let deadline = Instant::now() + self.shared.config.bulk_record_wait;
        events
            .into_iter()
            .map(|event| self.enqueue(event, Some(deadline), epoch))
            .collect()
    }

    /// Queues `event`, tagged with the consent epoch read before its category was checked.
    fn enqueue(&self, event: Event, wait: Option<Instant>, epoch: u64) -> Result<bool, Error> {
        let category = event.category;
        let ledger = &self.shared.ledger;
        ledger.count_on_caller(category, LedgerEntry::Collected);
        if let Err(e) = event.validate() {
            ledger.count_on_caller(category, LedgerEntry::DroppedInvalid);
            return Err(e);
        }
        if !self.shared.consent.allows(category) {
            ledger.count_on_caller(category, LedgerEntry::DroppedForConsent);
            return Ok(false);
        }
        let sent = match wait {
            None => self
                .tx
                .try_send(Command::Record(Box::new(event), epoch))
                .is_ok(),
            Some(deadline) => self
                .tx
                .send_deadline(Command::Record(Box::new(event), epoch), deadline)
                .is_ok(),
        };
        if !sent {
            ledger.count_on_caller(category, LedgerEntry::DroppedQueueFull);
        }
        Ok(sent)
    }

    /// Counts `count` events of `category` that a platform facade dropped before they reached
    /// the core, so the ledger accounts for every `record` call the app made: each is counted
    /// as collected and as dropped for `reason`. Lock-free for consent and buffer drops, so a
    /// facade may call it on the app's thread.
    pub fn note_dropped(&self, category: Category, reason: DropReason, count: u64) {
        let ledger = &self.shared.ledger;
        ledger.add_on_caller(category, LedgerEntry::Collected, count);
        let entry = match reason {
            DropReason::Consent => LedgerEntry::DroppedForConsent,
            DropReason::BufferFull => LedgerEntry::DroppedBufferFull,
            DropReason::Invalid => LedgerEntry::DroppedInvalid,
        };
        ledger.add_on_caller(category, entry, count);
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
        let deadline = Instant::now() + budget;
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
                    let now = Instant::now();
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
        Outbox::open_for_reading_without_scan(
            Arc::clone(&self.shared.storage),
            &self.shared.config.storage_dir.join("outbox"),
        )
        .read(entry)
        .map_err(storage_error)
    }

    /// The sealed batches waiting for upload, in upload order. Like [`Modicum::ledger`], it
    /// first waits for the worker to finish what start left to it (which may remove batches).
    pub fn outbox(&self) -> Vec<OutboxEntry> {
        let _ = self.recovered();
        Outbox::open_for_reading(
            Arc::clone(&self.shared.storage),
            &self.shared.config.storage_dir.join("outbox"),
        )
        .list()
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

    /// The privacy ledger. The counts an earlier process saved are read by the worker at
    /// start; until it has, this waits for it (as [`Modicum::recovered`] does).
    pub fn ledger(&self) -> &Ledger {
        let _ = self.recovered();
        &self.shared.ledger
    }

    /// How often syncing to storage failed (a full disk, a removed card).
    pub fn storage_errors(&self) -> u64 {
        self.shared.storage_errors.load(Ordering::Relaxed)
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
        let deadline = Instant::now() + timeout;
        self.send(command(reply), timeout)?;
        answer
            .recv_deadline(deadline)
            .map_err(|_| timed_out())?
            .map_err(storage_error)
    }

    /// Sends a command that answers when done, and waits for it.
    fn ask(
        &self,
        timeout: Duration,
        command: impl FnOnce(Sender<std::io::Result<()>>) -> Command,
    ) -> Result<(), Error> {
        self.request(timeout, command)
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

fn storage_error(e: std::io::Error) -> Error {
    Error::Storage {
        reason: e.to_string(),
    }
}

#[cfg(test)]
mod tests;
