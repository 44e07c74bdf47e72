//! The worker thread: minimizes what `record` queued, journals it with group commit, and
//! answers the blocking calls (flush, purge, reads) in queue order, so each sees every event
//! recorded before it.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::ledger::Entry;
use super::{Shared, TRACE_CAPACITY};
use crate::consent::Category;
use crate::journal::{DataKey, Journal, DATA_KEY_NAME};
use crate::minimize::{minimize, Context, Minimized};
use crate::Event;

pub(super) enum Command {
    Record(Event),
    /// Makes everything before it durable.
    Flush(Sender<io::Result<()>>),
    /// Removes what `category`'s grant let through from everything held.
    Purge(Category, Sender<io::Result<()>>),
    /// Everything held, read back.
    Held(Sender<io::Result<Vec<Minimized>>>),
    /// Destroys the data key, then the journal, and starts an empty one under a new key.
    DeleteAll(Sender<io::Result<()>>),
    Shutdown(Sender<io::Result<()>>),
}

pub(super) fn run(shared: Arc<Shared>, mut journal: Journal, rx: Receiver<Command>) {
    if expire(&shared, &mut journal).is_err() {
        shared
            .storage_errors
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    // When appended events must be synced by, at the latest (the durability window).
    let mut sync_by: Option<Instant> = None;
    loop {
        let command = match sync_by {
            Some(deadline) => match rx.recv_deadline(deadline) {
                Ok(command) => Some(command),
                Err(RecvTimeoutError::Timeout) => None,
                Err(RecvTimeoutError::Disconnected) => return finish(&shared, &mut journal, None),
            },
            None => match rx.recv() {
                Ok(command) => Some(command),
                Err(_) => return finish(&shared, &mut journal, None),
            },
        };
        // Every answer is sent after the ledger is settled, so a caller that waited for it
        // sees counts that include its own events.
        match command {
            None => {
                sync(&shared, &mut journal);
                sync_by = None;
            }
            Some(Command::Record(event)) => {
                let durable_now = event.category == Category::Essential;
                if record(&shared, &mut journal, event) && sync_by.is_none() {
                    sync_by = Some(Instant::now() + shared.config.durability_window);
                }
                if durable_now {
                    sync(&shared, &mut journal);
                    sync_by = None;
                }
            }
            Some(Command::Flush(ack)) => {
                let result = journal.sync();
                settle(&shared, &mut journal);
                let _ = ack.send(result);
                sync_by = None;
            }
            Some(Command::Purge(category, ack)) => {
                let result = purge(&shared, &mut journal, category);
                settle(&shared, &mut journal);
                let _ = ack.send(result);
                sync_by = None;
            }
            Some(Command::Held(reply)) => {
                let result = journal
                    .sync()
                    .and_then(|()| journal.read())
                    .map(|c| c.events);
                settle(&shared, &mut journal);
                let _ = reply.send(result);
                sync_by = None;
            }
            Some(Command::DeleteAll(ack)) => {
                let result = delete_all(&shared, &mut journal);
                settle(&shared, &mut journal);
                let _ = ack.send(result);
                sync_by = None;
            }
            Some(Command::Shutdown(ack)) => return finish(&shared, &mut journal, Some(ack)),
        }
    }
}

/// Minimizes and journals one event; true if something was appended.
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

fn sync(shared: &Shared, journal: &mut Journal) {
    let _ = journal.sync();
    settle(shared, journal);
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
        .fetch_add(outcome.errors, std::sync::atomic::Ordering::Relaxed);
}

fn purge(shared: &Shared, journal: &mut Journal, category: Category) -> io::Result<()> {
    let events = journal.read()?.events;
    let before = events.len();
    let kept: Vec<Minimized> = events
        .into_iter()
        .filter_map(|mut e| {
            let whole_event_withdrawn = !e.withdraw(category);
            (!whole_event_withdrawn).then_some(e)
        })
        .collect();
    shared
        .ledger
        .add(category, Entry::Purged, (before - kept.len()) as u64);
    journal.replace(&kept)
}

fn delete_all(shared: &Shared, journal: &mut Journal) -> io::Result<()> {
    // The key goes first: from here on, whatever of the journal survives is unreadable.
    shared.secrets.delete(DATA_KEY_NAME)?;
    let key = DataKey::load_or_create(shared.secrets.as_ref())?;
    journal.wipe(key)
}

/// Drops what is older than the retention period, counting it.
pub(super) fn expire(shared: &Shared, journal: &mut Journal) -> io::Result<()> {
    let cutoff = super::now_ms().saturating_sub(
        shared
            .config
            .retention
            .as_millis()
            .try_into()
            .unwrap_or(u64::MAX),
    );
    let events = journal.read()?.events;
    let (kept, expired): (Vec<_>, Vec<_>) = events
        .into_iter()
        .partition(|e| e.recorded_at_ms() >= cutoff);
    if expired.is_empty() {
        return Ok(());
    }
    for event in &expired {
        shared.ledger.add(event.category(), Entry::Expired, 1);
    }
    journal.replace(&kept)
}

fn finish(shared: &Shared, journal: &mut Journal, ack: Option<Sender<io::Result<()>>>) {
    let result = journal.sync();
    settle(shared, journal);
    if let Some(ack) = ack {
        let _ = ack.send(result);
    }
}
