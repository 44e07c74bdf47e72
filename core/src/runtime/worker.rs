//! The worker thread: minimizes what `record` queued, journals it with group commit, seals
//! batches into the outbox, and answers the blocking calls (flush, purge, reads) in queue
//! order, so each sees every event recorded before it.

use std::io;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::ledger::Entry;
use super::{batcher, Shared, TRACE_CAPACITY};
use crate::consent::Category;
use crate::journal::{DataKey, Journal, DATA_KEY_NAME};
use crate::minimize::{minimize, Context, Minimized};
use crate::outbox::Outbox;
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
    /// Destroys the data key, then the journal and the outbox, and starts empty.
    DeleteAll(Sender<io::Result<()>>),
    Shutdown(Sender<io::Result<()>>),
}

struct Worker {
    shared: Arc<Shared>,
    journal: Journal,
    outbox: Outbox,
    /// When appended events must be synced by (the durability window).
    sync_by: Option<Instant>,
    /// Events journaled since the last batching round, and when the oldest was.
    unbatched: usize,
    batch_by: Option<Instant>,
}

pub(super) fn run(
    shared: Arc<Shared>,
    journal: Journal,
    outbox: Outbox,
    unbatched: usize,
    rx: Receiver<Command>,
) {
    let batch_by = (unbatched > 0).then(|| Instant::now() + shared.config.batch_max_age);
    let mut worker = Worker {
        shared,
        journal,
        outbox,
        sync_by: None,
        unbatched,
        batch_by,
    };
    let expired = expire(&worker.shared, &mut worker.journal, &mut worker.outbox);
    worker.note(expired);
    loop {
        let deadline = [worker.sync_by, worker.batch_by]
            .into_iter()
            .flatten()
            .min();
        let command = match deadline {
            Some(deadline) => match rx.recv_deadline(deadline) {
                Ok(command) => Some(command),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return worker.finish(None),
            },
            None => match rx.recv() {
                Ok(command) => Some(command),
                Err(_) => return worker.finish(None),
            },
        };
        // Every answer is sent after the ledger is settled, so a caller that waited for it
        // sees counts that include its own events.
        match command {
            None => worker.on_deadline(),
            Some(Command::Record(event)) => worker.record(event),
            Some(Command::Flush(ack)) => {
                let result = worker.sync();
                let _ = ack.send(result);
            }
            Some(Command::Seal(ack)) => {
                let result = worker.seal();
                let _ = ack.send(result);
            }
            Some(Command::Purge(category, ack)) => {
                let result = worker.purge(category);
                let _ = ack.send(result);
            }
            Some(Command::Held(reply)) => {
                let result = worker
                    .sync()
                    .and_then(|()| worker.journal.read())
                    .map(|c| c.events);
                let _ = reply.send(result);
            }
            Some(Command::Rotate(pseudonymizer, ack)) => {
                *worker
                    .shared
                    .pseudonymizer
                    .write()
                    .unwrap_or_else(|p| p.into_inner()) = *pseudonymizer;
                let _ = ack.send(Ok(()));
            }
            Some(Command::DeleteAll(ack)) => {
                let result = worker.delete_all();
                let _ = ack.send(result);
            }
            Some(Command::Shutdown(ack)) => return worker.finish(Some(ack)),
        }
    }
}

impl Worker {
    fn record(&mut self, event: Event) {
        let essential = event.category == Category::Essential;
        if !record(&self.shared, &mut self.journal, event) {
            return;
        }
        self.unbatched += 1;
        let now = Instant::now();
        self.sync_by
            .get_or_insert(now + self.shared.config.durability_window);
        self.batch_by
            .get_or_insert(now + self.shared.config.batch_max_age);
        if essential {
            // Crash reports and other essential events are durable before the worker moves on,
            // and go out in their own batch at once.
            let sealed = self.seal();
            self.note(sealed);
        } else if self.unbatched >= self.shared.config.batch_max_events {
            let sealed = self.seal();
            self.note(sealed);
        }
    }

    fn on_deadline(&mut self) {
        let now = Instant::now();
        if self.batch_by.is_some_and(|at| at <= now) {
            let sealed = self.seal();
            self.note(sealed);
        } else {
            let synced = self.sync();
            self.note(synced);
        }
    }

    fn sync(&mut self) -> io::Result<()> {
        let result = self.journal.sync();
        self.sync_by = None;
        settle(&self.shared, &mut self.journal);
        // The ledger is saved with each group commit, so its counts survive as long as the
        // events they describe.
        let saved = self
            .shared
            .ledger
            .save(&self.shared.config.storage_dir.join(super::LEDGER_FILE));
        self.note(saved);
        result
    }

    /// Syncs, then moves what is journaled into sealed outbox batches (if a collector key is
    /// configured).
    fn seal(&mut self) -> io::Result<()> {
        self.sync()?;
        if self.shared.config.collector.is_some() {
            batcher::round(&self.shared, &mut self.journal, &mut self.outbox)?;
            self.unbatched = 0;
            self.batch_by = None;
            // Batches waiting for an upload that does not come age out like events do.
            expire(&self.shared, &mut self.journal, &mut self.outbox)?;
        }
        settle(&self.shared, &mut self.journal);
        Ok(())
    }

    fn purge(&mut self, category: Category) -> io::Result<()> {
        let events = self.journal.read()?.events;
        let before = events.len();
        let kept: Vec<Minimized> = events
            .into_iter()
            .filter_map(|mut e| e.withdraw(category).then_some(e))
            .collect();
        self.shared
            .ledger
            .add(category, Entry::Purged, (before - kept.len()) as u64);
        self.journal.replace(&kept)?;
        // Sealed batches cannot be edited on the device: those holding the category's data go
        // whole, and every event in them is counted as purged.
        for entry in self.outbox.purge(category)? {
            self.shared
                .ledger
                .add(entry.category, Entry::Purged, u64::from(entry.events));
        }
        self.sync_by = None;
        settle(&self.shared, &mut self.journal);
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
        self.unbatched = 0;
        self.batch_by = None;
        self.sync_by = None;
        settle(&self.shared, &mut self.journal);
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

/// Minimizes and journals one event; true if it was appended.
fn record(shared: &Shared, journal: &mut Journal, event: Event) -> bool {
    let pseudonymizer = shared
        .pseudonymizer
        .read()
        .unwrap_or_else(|p| p.into_inner());
    let cx = Context {
        permits: shared.permits(),
        policy: &shared.config.policy,
        pseudonymizer: &pseudonymizer,
        now_ms: super::now_ms(),
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
    let Some(minimized) = minimized else {
        return false;
    };
    match journal.append(&minimized) {
        Ok(()) => true,
        Err(_) => {
            // It could not be encoded or encrypted: lost, but counted, and the worker goes on.
            shared.ledger.add(category, Entry::DroppedStorage, 1);
            false
        }
    }
}

/// Moves what the journal settled into the ledger: durable events are kept, events lost to a
/// failed write or sync are dropped for storage.
fn settle(shared: &Shared, journal: &mut Journal) {
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
}

/// Drops journaled events and sealed batches older than their category's retention,
/// counting every event.
fn expire(shared: &Shared, journal: &mut Journal, outbox: &mut Outbox) -> io::Result<()> {
    let now = super::now_ms();
    let expired_at = |category: Category, at: u64| {
        let retention =
            u64::try_from(shared.config.retention_for(category).as_millis()).unwrap_or(u64::MAX);
        at < now.saturating_sub(retention)
    };
    for entry in outbox.list() {
        if expired_at(entry.category, entry.created_ms) {
            outbox.remove(&entry)?;
            shared
                .ledger
                .add(entry.category, Entry::Expired, u64::from(entry.events));
        }
    }
    let events = journal.read()?.events;
    let (expired, kept): (Vec<_>, Vec<_>) = events
        .into_iter()
        .partition(|e| expired_at(e.category(), e.recorded_at_ms()));
    if expired.is_empty() {
        return Ok(());
    }
    for event in &expired {
        shared.ledger.add(event.category(), Entry::Expired, 1);
    }
    journal.replace(&kept)
}
