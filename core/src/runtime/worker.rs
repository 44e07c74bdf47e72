//! The worker thread: minimizes what `record` queued, journals it with group commit, seals
//! batches into the outbox, and answers the blocking calls (flush, purge, reads) in queue
//! order, so each sees every event recorded before it.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TryRecvError};

use super::backlog::Backlog;
use super::batcher::{self, GroupKey, Seal};
use super::ledger::Entry;
use super::regions::Reached;
use super::uploads::{Delivery, Uploads};
use super::{DeletionRequest, Recovered, Runtime, TRACE_CAPACITY};
use crate::collect::crash;
use crate::consent::Category;
use crate::journal::Journal;
use crate::minimize::{minimize, Context, Minimized};
use crate::outbox::{OpeningKeys, Outbox};
use crate::transform::Pseudonymizer;
use crate::upload::{Conditions, NextUpload, UploadOutcome};
use crate::Event;

pub(super) enum Command {
    /// An event, with the consent epoch it was recorded at. Boxed: the queue's slots are as
    /// large as its largest command, and an event keeps a few properties inline.
    Record(Box<Event>, u64),
    /// Makes everything before it durable.
    Flush(Sender<io::Result<()>>),
    /// Seals everything journaled into outbox batches now.
    Seal(Sender<io::Result<()>>),
    /// Wakes the worker to save a change of consent (which it finds without this message
    /// when the queue is too full to take it).
    Wake,
    /// Answers once everything queued before it is handled (and start's work is done).
    Ping(Sender<io::Result<()>>),
    /// Everything held in the journal, read back.
    Held(Sender<io::Result<Vec<Minimized>>>),
    /// Replaces the install secret: events queued before keep the old one.
    ResetIdentifiers(Sender<io::Result<()>>),
    InstallPseudonym(Sender<io::Result<String>>),
    /// The next upload request, under these conditions.
    NextUpload(Conditions, Sender<io::Result<NextUpload>>),
    /// The outcome of an upload request.
    UploadDone(String, UploadOutcome, Sender<io::Result<Delivery>>),
    /// Queues a deletion request, destroys the data key, the journal and the outbox, resets
    /// consent and the install secret (see [`super::Modicum::delete_all`]).
    DeleteAll(Sender<io::Result<DeletionRequest>>),
    Shutdown(Sender<io::Result<()>>),
}

/// What the worker opens at start and then owns.
pub(super) struct Holdings {
    pub journal: Journal,
    pub outbox: Outbox,
    pub openings: OpeningKeys,
    /// The journal's events, read at start.
    pub pending: Vec<Minimized>,
    pub pseudonymizer: Pseudonymizer,
    pub reached: Reached,
}

/// A round seals at most this many full batches' worth of events; under a steady stream a
/// round waits for the queue to drain until then, so its fixed cost (a handful of fsyncs) is
/// shared by many batches.
const ROUND_BATCHES: usize = 16;

pub(super) struct Worker {
    pub(super) shared: Arc<Runtime>,
    pub(super) journal: Journal,
    pub(super) outbox: Outbox,
    /// The sealed batches' opening keys, wrapped under the same data key as the journal.
    pub(super) openings: OpeningKeys,
    /// Every event the journal holds, in order: rounds, purges and reads use this copy
    /// instead of reading back and decrypting the journal.
    pub(super) pending: Vec<Minimized>,
    /// Hashes identifiers; replaced by `reset_identifiers` and `delete_all`.
    pub(super) pseudonymizer: Pseudonymizer,
    /// The regions that may hold data from this install.
    pub(super) reached: Reached,
    /// When appended events must be synced by (the durability window).
    pub(super) sync_by: Option<Instant>,
    /// When the pending events are due to be sealed into batches (full, or old enough).
    pub(super) batch_by: Option<Instant>,
    uploads: Uploads,
    /// The device context last sealed, and on which day (see `batcher::round`).
    device_sent: batcher::DeviceSent,
    /// What waits for a round, by batch group: a round is due once a group fills a batch or
    /// has waited the batching age.
    pub(super) backlog: Backlog,
}

pub(super) fn run(
    shared: Arc<Runtime>,
    holdings: Holdings,
    mut recovered: Recovered,
    rx: Receiver<Command>,
) {
    let Holdings {
        journal,
        outbox,
        openings,
        pending,
        pseudonymizer,
        reached,
    } = holdings;
    let mut worker = Worker {
        shared,
        journal,
        outbox,
        openings,
        pending,
        pseudonymizer,
        reached,
        sync_by: None,
        batch_by: None,
        uploads: Uploads::default(),
        device_sent: None,
        backlog: Backlog::default(),
    };
    worker.pending_changed();
    // Before any command: an erasure the last process did not finish is finished, and what
    // the saved consent no longer permits (a withdrawal cut short) is removed.
    match worker.resume_erasure() {
        Ok(finished) => recovered.finished_erasure = finished,
        Err(e) => worker.note(Err(e)),
    }
    let reconciled = worker.reconcile();
    worker.note(reconciled);
    let expired = worker.expire();
    worker.note(expired);
    worker.shared.opened.set(Ok(recovered));
    worker.shared.refresh_device();
    worker.report_crashes();
    let round_cap = worker.shared.config.batch_max_events * ROUND_BATCHES;
    loop {
        worker.save_consent();
        worker.save_health();
        let now = Instant::now();
        if worker.sync_by.is_some_and(|at| at <= now) {
            let synced = worker.sync();
            worker.note(synced);
            continue;
        }
        let batch_due = worker.batch_by.is_some_and(|at| at <= now);
        if batch_due && (rx.is_empty() || worker.pending.len() >= round_cap) {
            let sealed = worker.round(false);
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
        // A change of consent made while this command waited in the queue is saved, and what
        // it withdrew removed, before the command is handled.
        worker.save_consent();
        worker.save_health();
        // Every answer is sent after the ledger is settled, so a caller that waited for it
        // sees counts that include its own events.
        match command {
            Command::Record(event, epoch) => worker.record(*event, epoch),
            Command::Flush(ack) => {
                let result = worker.sync();
                let _ = ack.send(result);
            }
            Command::Seal(ack) => {
                let result = worker.seal();
                let _ = ack.send(result);
            }
            Command::Wake => {}
            Command::Ping(ack) => {
                let _ = ack.send(Ok(()));
            }
            Command::Held(reply) => {
                let result = worker.sync().map(|()| worker.pending.clone());
                let _ = reply.send(result);
            }
            Command::ResetIdentifiers(ack) => {
                let result = worker.reset_identifiers();
                let _ = ack.send(result);
            }
            Command::InstallPseudonym(reply) => {
                let now = worker.shared.now_ms();
                let _ = reply.send(Ok(worker.pseudonymizer.install_pseudonym(now)));
            }
            Command::NextUpload(conditions, reply) => {
                // Nothing goes out that the consent in force no longer permits: what a
                // withdrawal left behind is removed first (and skipped should that fail).
                let reconciled = worker.reconcile();
                worker.note(reconciled);
                let next = worker.uploads.next(
                    &worker.shared,
                    &worker.outbox,
                    &mut worker.reached,
                    conditions,
                );
                let _ = reply.send(next);
            }
            Command::UploadDone(id, outcome, reply) => {
                let done = worker.uploads.finish(
                    &worker.shared,
                    &mut worker.openings,
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
    pub(super) fn record(&mut self, event: Event, epoch: u64) {
        let essential = event.category == Category::Essential;
        let Some(minimized) = record(
            &self.shared,
            &self.pseudonymizer,
            &mut self.journal,
            event,
            epoch,
        ) else {
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
        } else if let Some(event) = self.pending.last() {
            // A round is due when this event's group fills a batch, not when all groups
            // together would, which sealed half-empty batches.
            let key = GroupKey::of(event, self.pseudonymizer.generation());
            if self
                .backlog
                .add(key, now, self.shared.config.batch_max_events)
            {
                self.batch_by = Some(now);
            }
        }
    }

    /// Turns crash records an earlier process left into crash report events, makes them
    /// durable, then removes the records (left for the next start if that fails).
    fn report_crashes(&mut self) {
        let storage = &self.shared.config.storage_dir;
        let pending = crash::take_pending(&crash::dir(storage));
        self.resolve_sessions(&pending.pids);
        for report in &pending.reports {
            let event = super::collectors::crash_event(report, &self.shared.config);
            let category = event.category;
            let ledger = &self.shared.ledger;
            ledger.count_on_caller(category, Entry::Collected);
            if self.shared.permits().permit(category).is_none() {
                ledger.count_on_caller(category, Entry::DroppedForConsent);
                continue;
            }
            let epoch = self.shared.consent.epoch();
            self.record(event, epoch);
        }
        let synced = self.sync();
        if synced.is_ok() {
            let removed = pending.remove();
            self.note(removed);
        }
        self.note(synced);
    }

    pub(super) fn sync(&mut self) -> io::Result<()> {
        let result = self.journal.sync();
        self.sync_by = None;
        self.settle();
        let budget = self.enforce_budget();
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
            .save(self.shared.storage.as_ref(), &self.shared.ledger_file);
        self.note(saved);
    }

    /// Moves everything journaled into sealed outbox batches if a collector key is
    /// configured; syncs the journal otherwise.
    pub(super) fn seal(&mut self) -> io::Result<()> {
        self.round(true)
    }

    /// A batching round: with `all`, everything journaled is sealed; otherwise full batches,
    /// and what has waited the batching age (see [`Seal::Full`]), and the rest is carried.
    fn round(&mut self, all: bool) -> io::Result<()> {
        if self.shared.config.collector.is_none() {
            return self.sync();
        }
        // A batch is sealed only under grants still held.
        self.reconcile()?;
        let now = Instant::now();
        let max_age = self.shared.config.batch_max_age;
        let events = std::mem::take(&mut self.pending);
        let backlog = &self.backlog;
        let aged = |key: &GroupKey| backlog.aged(key, now, max_age);
        // No sync first: the round makes the journal's events durable in sealed batches (and
        // a carry segment), and syncs the journal itself only if it fails.
        let round = batcher::round(
            &self.shared,
            &self.pseudonymizer,
            &mut self.journal,
            &mut self.outbox,
            &mut self.openings,
            &events,
            &mut self.device_sent,
            if all {
                Seal::All
            } else {
                Seal::Full { aged: &aged }
            },
        );
        if !self.journal.is_dirty() {
            self.sync_by = None;
        }
        let round = match round {
            Ok(round) => round,
            Err(e) => {
                // The round did not commit: the journal says which events are waiting.
                self.pending = self.journal.read().map(|c| c.events).unwrap_or(events);
                self.pending_changed();
                return Err(e);
            }
        };
        let sealed_any = round.carried.len() < events.len() || events.is_empty();
        let mut carried = round.carried.into_iter().peekable();
        self.pending = events
            .into_iter()
            .enumerate()
            .filter(|&(i, _)| carried.next_if_eq(&i).is_some())
            .map(|(_, event)| event)
            .collect();
        self.recount(true);
        // Committed: what failed after that is finished later, and only noted now.
        self.note(round.tidied);
        if !sealed_any {
            return Ok(());
        }
        // Batches waiting for an upload that does not come age out like events do.
        self.expire()?;
        self.enforce_budget()?;
        self.settle();
        self.save_ledger();
        Ok(())
    }

    /// Evicts what the storage budget does not hold (see [`batcher::enforce_budget`]).
    fn enforce_budget(&mut self) -> io::Result<()> {
        let held = self.pending.len();
        let result = batcher::enforce_budget(
            &self.shared,
            &mut self.journal,
            &mut self.outbox,
            &mut self.pending,
        );
        if self.pending.len() != held {
            self.pending_changed();
        }
        result
    }

    /// Counts what waits for a round again after events were removed or read back.
    pub(super) fn pending_changed(&mut self) {
        if self.shared.config.collector.is_some() {
            self.recount(false);
        }
    }

    /// The backlog counted from the pending events, and when the next round is due (see
    /// [`Backlog::recount`] for `after_round`).
    fn recount(&mut self, after_round: bool) {
        let generation = self.pseudonymizer.generation();
        self.backlog.recount(
            self.pending.iter().map(|e| GroupKey::of(e, generation)),
            Instant::now(),
            self.shared.config.batch_max_events,
            after_round,
        );
        self.batch_by = self.backlog.due(self.shared.config.batch_max_age);
    }

    /// Moves what the journal settled into the ledger. If storage lost events, the journal on
    /// disk is read again so the pending copy holds only what survived.
    pub(super) fn settle(&mut self) {
        if settle(&self.shared, &mut self.journal) {
            if let Ok(contents) = self.journal.read() {
                self.pending = contents.events;
                self.pending_changed();
            }
        }
    }

    /// Removes whatever the consent in force no longer admits (see
    /// [`super::consent::Admission`]): events of a category not permitted or withdrawn since
    /// they were recorded, the fields such a grant let into other events, and the sealed
    /// batches holding either (the device cannot edit what it sealed, so they go whole). Every event
    /// removed is counted as purged. Idempotent, and cheap when nothing is to go: the worker
    /// runs it after every change of consent, before every round and hand-out, and at start.
    pub(super) fn reconcile(&mut self) -> io::Result<()> {
        let admission = self.shared.consent.admission();
        let mut changed = false;
        let shared = Arc::clone(&self.shared);
        let ledger = &shared.ledger;
        let mut purged = Vec::new();
        self.pending.retain_mut(|event| {
            let at = event.recorded_at_ms();
            match event.restrict(|c| admission.admits(c, at)) {
                None => {
                    purged.push(event.category());
                    changed = true;
                    false
                }
                Some(fields_removed) => {
                    changed |= fields_removed;
                    true
                }
            }
        });
        if changed {
            batcher::rewrite_journal(
                &shared,
                &mut self.journal,
                &mut self.pending,
                &purged,
                Entry::Purged,
            )?;
            self.sync_by = None;
            self.pending_changed();
            self.settle();
        }
        // A batch holds events recorded before it was sealed, and rounds seal only what is
        // admitted: it goes if anything it holds was withdrawn since it was sealed.
        let doomed = self.outbox.select(|e| {
            let admits = |c| admission.admits(c, e.created_ms);
            !admits(e.category) || !e.grants.iter().all(|&g| admits(g))
        });
        for entry in doomed {
            self.outbox.remove(&entry)?;
            ledger.add(entry.category, Entry::Purged, u64::from(entry.events));
        }
        Ok(())
    }

    fn finish(mut self, ack: Option<Sender<io::Result<()>>>) {
        self.save_consent();
        let result = self.sync();
        if let Some(ack) = ack {
            let _ = ack.send(result);
        }
    }

    /// Saves a change of consent made since the last turn, then removes what the consent in
    /// force no longer permits. A failure is counted here and told to the change's handles.
    fn save_consent(&mut self) {
        if !self.shared.consent.has_unsaved() {
            return;
        }
        let saved = self.shared.consent.save();
        self.note(saved);
        let reconciled = self.reconcile();
        self.note(reconciled);
        self.withhold_withdrawn_health();
    }

    /// Counts a failure of background work nobody waits for.
    pub(super) fn note(&self, result: io::Result<()>) {
        if result.is_err() {
            self.shared.storage_errors.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Minimizes and journals one event; returns it if it was appended.
fn record(
    shared: &Runtime,
    pseudonymizer: &Pseudonymizer,
    journal: &mut Journal,
    event: Event,
    epoch: u64,
) -> Option<Minimized> {
    let cx = Context {
        // What was withdrawn after the event was recorded stays withdrawn for it, even if
        // granted again since.
        permits: shared
            .permits()
            .without(shared.consent.withdrawn_since(epoch)),
        policy: &shared.config.policy,
        pseudonymizer,
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
fn settle(shared: &Runtime, journal: &mut Journal) -> bool {
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
