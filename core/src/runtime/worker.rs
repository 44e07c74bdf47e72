//! The worker thread: minimizes what `record` queued, journals it with group commit, seals
//! batches into the outbox, and answers the blocking calls (flush, purge, reads) in queue
//! order, so each sees every event recorded before it.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

use super::ledger::Entry;
use super::uploads::{Delivery, Uploads};
use super::{batcher, Shared, TRACE_CAPACITY};
use crate::collect::crash;
use crate::consent::Category;
use crate::journal::{DataKey, Journal, DATA_KEY_NAME};
use crate::minimize::{minimize, Context, Minimized};
use crate::outbox::Outbox;
use crate::upload::{Conditions, NextUpload, UploadOutcome};
use crate::Event;

pub(super) enum Command {
    Record(Event),
    /// Makes everything before it durable.
    Flush(Sender<io::Result<()>>),
    /// Seals everything journaled into outbox batches now.
    Seal(Sender<io::Result<()>>),
    /// Removes what `category`'s grant let through from everything held.
    Purge(Category, Sender<io::Result<()>>),
    /// Everything held in the journal, read back.
    Held(Sender<io::Result<Vec<Minimized>>>),
    /// Hashes identifiers with this pseudonymizer from here on: events queued before keep the
    /// old one.
    Rotate(Box<crate::transform::Pseudonymizer>, Sender<io::Result<()>>),
    /// The next upload request, under these conditions.
    NextUpload(Conditions, Sender<io::Result<NextUpload>>),
    /// The outcome of an upload request.
    UploadDone(String, UploadOutcome, Sender<io::Result<Delivery>>),
    /// Destroys the data key, then the journal and the outbox, and starts empty.
    DeleteAll(Sender<io::Result<()>>),
    Shutdown(Sender<io::Result<()>>),
}

/// A round seals at most this many full batches' worth of events; under a steady stream a
/// round waits for the queue to drain until then, so its fixed cost (a handful of fsyncs) is
/// shared by many batches.
const ROUND_BATCHES: usize = 16;

struct Worker {
    shared: Arc<Shared>,
    journal: Journal,
    outbox: Outbox,
    /// Every event the journal holds, in order: rounds, purges and reads use this copy
    /// instead of reading back and decrypting the journal.
    pending: Vec<Minimized>,
    /// When appended events must be synced by (the durability window).
    sync_by: Option<Instant>,
    /// When the pending events are due to be sealed into batches (full, or old enough).
    batch_by: Option<Instant>,
    uploads: Uploads,
}

pub(super) fn run(
    shared: Arc<Shared>,
    journal: Journal,
    outbox: Outbox,
    pending: Vec<Minimized>,
    rx: Receiver<Command>,
) {
    let batch_by = (!pending.is_empty() && shared.config.collector.is_some())
        .then(|| Instant::now() + shared.config.batch_max_age);
    let mut worker = Worker {
        shared,
        journal,
        outbox,
        pending,
        sync_by: None,
        batch_by,
        uploads: Uploads::default(),
    };
    let expired = worker.expire();
    worker.note(expired);
    worker.shared.refresh_device();
    worker.report_crashes();
    let round_cap = worker.shared.config.batch_max_events * ROUND_BATCHES;
    loop {
        let now = Instant::now();
        if worker.sync_by.is_some_and(|at| at <= now) {
            let synced = worker.sync();
            worker.note(synced);
            continue;
        }
        let batch_due = worker.batch_by.is_some_and(|at| at <= now);
        if batch_due && (rx.is_empty() || worker.pending.len() >= round_cap) {
            let sealed = worker.seal();
            worker.note(sealed);
            continue;
        }
        let command = if batch_due {
            // Due, but more is queued: take it first, so the round covers it too.
            match rx.try_recv() {
                Ok(command) => command,
                Err(TryRecvError::Empty) => continue,
                Err(TryRecvError::Disconnected) => return worker.finish(None),
            }
        } else {
            let deadline = [worker.sync_by, worker.batch_by]
                .into_iter()
                .flatten()
                .min();
            match deadline {
                Some(deadline) => match rx.recv_deadline(deadline) {
                    Ok(command) => command,
                    Err(RecvTimeoutError::Timeout) => continue,
                    Err(RecvTimeoutError::Disconnected) => return worker.finish(None),
                },
                None => match rx.recv() {
                    Ok(command) => command,
                    Err(_) => return worker.finish(None),
                },
            }
        };
        // Every answer is sent after the ledger is settled, so a caller that waited for it
        // sees counts that include its own events.
        match command {
            Command::Record(event) => worker.record(event),
            Command::Flush(ack) => {
                let result = worker.sync();
                let _ = ack.send(result);
            }
            Command::Seal(ack) => {
                let result = worker.seal();
                let _ = ack.send(result);
            }
            Command::Purge(category, ack) => {
                let result = worker.purge(category);
                let _ = ack.send(result);
            }
            Command::Held(reply) => {
                let result = worker.sync().map(|()| worker.pending.clone());
                let _ = reply.send(result);
            }
            Command::Rotate(pseudonymizer, ack) => {
                *worker
                    .shared
                    .pseudonymizer
                    .write()
                    .unwrap_or_else(|p| p.into_inner()) = *pseudonymizer;
                let _ = ack.send(Ok(()));
            }
            Command::NextUpload(conditions, reply) => {
                let next = worker
                    .uploads
                    .next(&worker.shared, &worker.outbox, conditions);
                let _ = reply.send(next);
            }
            Command::UploadDone(id, outcome, reply) => {
                let done = worker.uploads.finish(
                    &worker.shared,
                    &mut worker.journal,
                    &mut worker.outbox,
                    &id,
                    &outcome,
                );
                let _ = reply.send(done);
            }
            Command::DeleteAll(ack) => {
                let result = worker.delete_all();
                let _ = ack.send(result);
            }
            Command::Shutdown(ack) => return worker.finish(Some(ack)),
        }
    }
}

impl Worker {
    fn record(&mut self, event: Event) {
        let essential = event.category == Category::Essential;
        let Some(minimized) = record(&self.shared, &mut self.journal, event) else {
            return;
        };
        self.pending.push(minimized);
        let now = Instant::now();
        self.sync_by
            .get_or_insert(now + self.shared.config.durability_window);
        if self.shared.config.collector.is_none() {
            return;
        }
        self.batch_by
            .get_or_insert(now + self.shared.config.batch_max_age);
        if essential {
            // Crash reports and other essential events are durable before the worker moves on,
            // and go out in their own batch at once.
            let sealed = self.seal();
            self.note(sealed);
        } else if self.pending.len() >= self.shared.config.batch_max_events {
            self.batch_by = Some(now);
        }
    }

    /// Turns crash records an earlier process left into crash report events, makes them
    /// durable, then removes the records (left for the next start if that fails).
    fn report_crashes(&mut self) {
        let storage = &self.shared.config.storage_dir;
        let pending = crash::take_pending(&crash::dir(storage));
        for report in &pending.reports {
            let event = super::collectors::crash_event(report, &self.shared.config);
            let category = event.category;
            let ledger = &self.shared.ledger;
            ledger.count_on_caller(category, Entry::Collected);
            if self.shared.permits().permit(category).is_none() {
                ledger.count_on_caller(category, Entry::DroppedForConsent);
                continue;
            }
            self.record(event);
        }
        let synced = self.sync();
        if synced.is_ok() {
            let removed = pending.remove();
            self.note(removed);
        }
        self.note(synced);
    }

    fn sync(&mut self) -> io::Result<()> {
        let result = self.journal.sync();
        self.sync_by = None;
        self.settle();
        let budget = batcher::enforce_budget(
            &self.shared,
            &mut self.journal,
            &mut self.outbox,
            &mut self.pending,
        );
        self.note(budget);
        self.save_ledger();
        result
    }

    /// The ledger is saved with each group commit and each round, so its counts survive as
    /// long as the events they describe.
    fn save_ledger(&self) {
        let saved = self
            .shared
            .ledger
            .save(&self.shared.config.storage_dir.join(super::LEDGER_FILE));
        self.note(saved);
    }

    /// Moves what is journaled into sealed outbox batches if a collector key is configured;
    /// syncs the journal otherwise.
    fn seal(&mut self) -> io::Result<()> {
        if self.shared.config.collector.is_none() {
            return self.sync();
        }
        // No sync first: the round makes the journal's events durable in sealed batches, and
        // syncs the journal itself only if it fails.
        self.sync_by = None;
        let events = std::mem::take(&mut self.pending);
        if let Err(e) = batcher::round(&self.shared, &mut self.journal, &mut self.outbox, &events) {
            // The round did not commit, or committed and failed to tidy up: the journal says
            // which events are still waiting.
            self.pending = self.journal.read().map(|c| c.events).unwrap_or(events);
            return Err(e);
        }
        self.batch_by = None;
        // Batches waiting for an upload that does not come age out like events do.
        self.expire()?;
        batcher::enforce_budget(
            &self.shared,
            &mut self.journal,
            &mut self.outbox,
            &mut self.pending,
        )?;
        self.settle();
        self.save_ledger();
        Ok(())
    }

    /// Moves what the journal settled into the ledger. If storage lost events, the journal on
    /// disk is read again so the pending copy holds only what survived.
    fn settle(&mut self) {
        if settle(&self.shared, &mut self.journal) {
            if let Ok(contents) = self.journal.read() {
                self.pending = contents.events;
            }
        }
    }

    fn purge(&mut self, category: Category) -> io::Result<()> {
        let before = self.pending.len();
        let kept: Vec<Minimized> = std::mem::take(&mut self.pending)
            .into_iter()
            .filter_map(|mut e| e.withdraw(category).then_some(e))
            .collect();
        self.shared
            .ledger
            .add(category, Entry::Purged, (before - kept.len()) as u64);
        let replaced = self.journal.replace(&kept);
        self.pending = kept;
        replaced?;
        // Sealed batches cannot be edited on the device: those holding the category's data go
        // whole, and every event in them is counted as purged.
        for entry in self.outbox.purge(category)? {
            self.shared
                .ledger
                .add(entry.category, Entry::Purged, u64::from(entry.events));
        }
        self.sync_by = None;
        self.settle();
        Ok(())
    }

    fn delete_all(&mut self) -> io::Result<()> {
        // The key goes first: from here on, whatever of the journal survives is unreadable.
        self.shared.secrets.delete(DATA_KEY_NAME)?;
        let key = DataKey::load_or_create(self.shared.secrets.as_ref())?;
        self.journal.wipe(key)?;
        for entry in self.outbox.list() {
            self.outbox.remove(&entry)?;
        }
        self.pending.clear();
        self.batch_by = None;
        self.sync_by = None;
        self.settle();
        Ok(())
    }

    fn finish(mut self, ack: Option<Sender<io::Result<()>>>) {
        let result = self.sync();
        if let Some(ack) = ack {
            let _ = ack.send(result);
        }
    }

    /// Counts a failure of background work nobody waits for.
    fn note(&self, result: io::Result<()>) {
        if result.is_err() {
            self.shared.storage_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Minimizes and journals one event; returns it if it was appended.
fn record(shared: &Shared, journal: &mut Journal, event: Event) -> Option<Minimized> {
    let pseudonymizer = shared
        .pseudonymizer
        .read()
        .unwrap_or_else(|p| p.into_inner());
    let cx = Context {
        permits: shared.permits(),
        policy: &shared.config.policy,
        pseudonymizer: &pseudonymizer,
        now_ms: shared.now_ms(),
    };
    let (minimized, trace) = minimize(event, &cx);
    shared.ledger.trace(&trace);
    let category = trace.category;
    {
        let mut traces = shared.traces.lock().unwrap_or_else(|p| p.into_inner());
        if traces.len() == TRACE_CAPACITY {
            traces.pop_front();
        }
        traces.push_back(trace);
    }
    let minimized = minimized?;
    match journal.append(&minimized) {
        Ok(()) => Some(minimized),
        Err(_) => {
            // It could not be encoded or encrypted: lost, but counted, and the worker goes on.
            shared.ledger.add(category, Entry::DroppedStorage, 1);
            None
        }
    }
}

/// Moves what the journal settled into the ledger: durable events are kept, events lost to a
/// failed write or sync are dropped for storage. True if any were lost.
fn settle(shared: &Shared, journal: &mut Journal) -> bool {
    let outcome = journal.take_outcome();
    for category in Category::ALL {
        shared
            .ledger
            .add(category, Entry::Kept, outcome.durable[category as usize]);
        shared.ledger.add(
            category,
            Entry::DroppedStorage,
            outcome.lost[category as usize],
        );
    }
    shared
        .storage_errors
        .fetch_add(outcome.errors, Ordering::Relaxed);
    outcome.lost.iter().any(|&n| n > 0)
}

impl Worker {
    /// Drops journaled events and sealed batches older than their category's retention,
    /// counting every event.
    fn expire(&mut self) -> io::Result<()> {
        let shared = &self.shared;
        let now = shared.now_ms();
        let expired_at = |category: Category, at: u64| {
            let retention = u64::try_from(shared.config.retention_for(category).as_millis())
                .unwrap_or(u64::MAX);
            at < now.saturating_sub(retention)
        };
        for entry in self.outbox.select(|e| expired_at(e.category, e.created_ms)) {
            self.outbox.remove(&entry)?;
            shared
                .ledger
                .add(entry.category, Entry::Expired, u64::from(entry.events));
        }
        let before = self.pending.len();
        self.pending.retain(|e| {
            let expired = expired_at(e.category(), e.recorded_at_ms());
            if expired {
                shared.ledger.add(e.category(), Entry::Expired, 1);
            }
            !expired
        });
        if self.pending.len() == before {
            return Ok(());
        }
        self.journal.replace(&self.pending)
    }
}

/// The worker of a runtime whose storage could not be opened: every command is answered with
/// that error and every event counted as lost to storage, so nothing waits forever and nothing
/// is lost silently.
pub(super) fn refuse_all(shared: Arc<Shared>, error: io::Error, rx: Receiver<Command>) {
    let fail = || io::Error::new(error.kind(), error.to_string());
    while let Ok(command) = rx.recv() {
        match command {
            Command::Record(event) => shared.ledger.add(event.category, Entry::DroppedStorage, 1),
            Command::Flush(ack)
            | Command::Seal(ack)
            | Command::Purge(_, ack)
            | Command::Rotate(_, ack)
            | Command::DeleteAll(ack) => {
                let _ = ack.send(Err(fail()));
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
