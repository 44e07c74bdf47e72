//! Batching rounds: the journal's events become sealed outbox batches (see [`crate::outbox`]
//! for why this is exactly once), then the storage budget is enforced.

use std::collections::BTreeMap;
use std::io;

use super::ledger::Entry;
use super::Runtime;
use crate::consent::Category;
use crate::envelope::{self, Aead};
use crate::journal::Journal;
use crate::minimize::Minimized;
use crate::outbox::{priority, OpeningKeys, Outbox, OutboxEntry, Sealed};
use crate::transform::Pseudonymizer;
use crate::wire::{self, BatchMeta, WireValue};

pub(super) const SDK_VERSION: &str = concat!("modicum/", env!("CARGO_PKG_VERSION"));

/// Seals `events`, which are everything the journal holds, into the outbox. Without a
/// collector key it does nothing. The worker keeps the journal's events in memory, so a round
/// never reads back and decrypts what it has just written.
pub(super) fn round(
    shared: &Runtime,
    pseudonymizer: &Pseudonymizer,
    journal: &mut Journal,
    outbox: &mut Outbox,
    openings: &mut OpeningKeys,
    events: &[Minimized],
    device_sent: &mut DeviceSent,
) -> io::Result<()> {
    if shared.config.collector.is_none() {
        return Ok(());
    }
    let through = journal.roll()?;
    let sealed = seal_round(
        shared,
        pseudonymizer,
        journal,
        outbox,
        openings,
        events,
        through,
        device_sent,
    );
    match sealed {
        Ok(()) => journal.rolled_committed(),
        // The rolled segment still holds the events that did not reach the outbox.
        Err(_) => journal.sync_rolled()?,
    }
    sealed
}

/// The device context this process last put in a batch, and the UTC day it did.
pub(super) type DeviceSent = Option<(u64, BTreeMap<String, WireValue>)>;

/// Seals `events` into batches and commits them to the outbox along with dropping the
/// journal through segment `through`.
#[allow(clippy::too_many_arguments)]
fn seal_round(
    shared: &Runtime,
    pseudonymizer: &Pseudonymizer,
    journal: &mut Journal,
    outbox: &mut Outbox,
    openings: &mut OpeningKeys,
    events: &[Minimized],
    through: u64,
    device_sent: &mut DeviceSent,
) -> io::Result<()> {
    let Some(key) = &shared.config.collector else {
        return Ok(());
    };
    if events.is_empty() {
        return journal.drop_through(through);
    }
    let now = shared.now_ms();
    shared.refresh_device();
    // The install pseudonym names the sender only when the user allowed identifiers, and only
    // in batches whose events were all hashed under the secret in force: never a new install
    // pseudonym beside identifiers hashed before `reset_identifiers`.
    let install = shared
        .permits()
        .permit(Category::Identifiers)
        .map(|_| pseudonymizer.install_pseudonym(now));
    let current = pseudonymizer.generation();
    let device = shared.device_context(pseudonymizer, now);
    // The device context goes in one batch a day, and again whenever it changes, rather than
    // in every batch: it is the same for all of them, and in a small batch it was a third of
    // the bytes. The first linkable batch of the round carries it.
    let today = now / crate::health::DAY_MS;
    let mut device_due = !device.is_empty()
        && device_sent
            .as_ref()
            .is_none_or(|(day, last)| *day != today || *last != device);
    let mut device_carried = false;
    let mut groups: BTreeMap<(Category, u16, bool, bool), Vec<&Minimized>> = BTreeMap::new();
    for event in events {
        groups
            .entry((
                event.category(),
                grant_bits(event),
                event.generation() == current,
                linkable(event),
            ))
            .or_default()
            .push(event);
    }
    let mut sealed = Vec::new();
    for ((category, bits, current, linkable), events) in groups {
        let mut meta = BatchMeta {
            app_id: shared.config.app_id.clone(),
            install: install.clone().filter(|_| current && linkable),
            sdk_version: SDK_VERSION.to_owned(),
            created_at_ms: now,
            device: Default::default(),
        };
        let grants: Vec<Category> = Category::ALL
            .into_iter()
            .filter(|&c| bits & (1 << c as u16) != 0)
            .collect();
        for chunk in chunks(
            &events,
            shared.config.batch_max_events,
            shared.config.batch_max_bytes,
        ) {
            if linkable && device_due {
                meta.device = device.clone();
                device_due = false;
                device_carried = true;
            } else {
                meta.device.clear();
            }
            let payload = wire::encode_events(&meta, &chunk).map_err(io::Error::other)?;
            let count = u32::try_from(chunk.len()).map_err(io::Error::other)?;
            let batch = envelope::seal(key, Aead::Aes128Gcm, &payload, count, now)
                .map_err(io::Error::other)?;
            let entry = OutboxEntry {
                priority: priority(category),
                category,
                grants: grants.clone(),
                created_ms: now,
                events: count,
                id: batch.id.to_string(),
                size: batch.bytes.len() as u64,
            };
            let wrapped_opening = openings.wrap(&batch.id, &batch.opening)?;
            sealed.push(Sealed {
                entry,
                bytes: batch.bytes,
                wrapped_opening,
            });
        }
    }
    let entries = outbox.commit_round(sealed, through, |last| journal.drop_through(last))?;
    if device_carried {
        *device_sent = Some((today, device));
    }
    for entry in &entries {
        shared
            .ledger
            .add(entry.category, Entry::Batched, u64::from(entry.events));
    }
    Ok(())
}

/// Whether `event` may travel beside the install pseudonym and the device context. Release
/// health reports may not: each goes in a batch that names no install and describes no
/// device, so the collector cannot link one day's report to another's, or to other events.
fn linkable(event: &Minimized) -> bool {
    event.name() != crate::health::HEALTH_EVENT
}

/// Splits `events` into runs of at most `max_events` events and, by a conservative estimate of
/// their encoded size (before compression), at most `max_bytes` bytes; a single event larger
/// than that goes alone.
fn chunks<'a>(
    events: &[&'a Minimized],
    max_events: usize,
    max_bytes: usize,
) -> Vec<Vec<&'a Minimized>> {
    let mut chunks = Vec::new();
    let mut current: Vec<&Minimized> = Vec::new();
    let mut bytes = 0;
    for &event in events {
        let size = estimated_size(event);
        if !current.is_empty() && (current.len() == max_events || bytes + size > max_bytes) {
            chunks.push(std::mem::take(&mut current));
            bytes = 0;
        }
        bytes += size;
        current.push(event);
    }
    if !current.is_empty() {
        chunks.push(current);
    }
    chunks
}

/// An upper bound on what an event adds to a payload before compression: its strings in full
/// (the string table may share them) and 24 bytes for each value and timestamp.
fn estimated_size(event: &Minimized) -> usize {
    let text: usize = event
        .properties()
        .iter()
        .map(|(key, field)| {
            key.len()
                + match field.value() {
                    crate::minimize::MinimizedValue::Text(t) => t.len(),
                    _ => 0,
                }
        })
        .sum();
    event.name().len() + text + 24 * (event.properties().len() + 1)
}

/// The categories whose grants let fields into `event`, one bit each (by `Category as u16`):
/// no allocation per event.
fn grant_bits(event: &Minimized) -> u16 {
    event
        .properties()
        .values()
        .filter_map(|f| f.grant())
        .fold(0, |bits, c| bits | 1 << c as u16)
}

/// Evicts until the journal and the outbox together fit the storage budget: analytics first,
/// essential last, and within a priority sealed batches (oldest first) before journaled events
/// (oldest first). Every evicted event is counted; `events` are the journal's, and lose the
/// evicted ones.
pub(super) fn enforce_budget(
    shared: &Runtime,
    journal: &mut Journal,
    outbox: &mut Outbox,
    events: &mut Vec<Minimized>,
) -> io::Result<()> {
    let budget = shared.config.storage_budget;
    let journal_size = journal.size_on_disk();
    if journal_size + outbox.size() <= budget {
        return Ok(());
    }
    // What a journaled event takes on disk, on average: the journal is rewritten whole, so the
    // estimate only decides how many to evict, never which.
    let per_event = journal_size / (events.len() as u64).max(1);
    let overhead = journal_size - per_event * events.len() as u64;
    let over = |events: &Vec<Minimized>, outbox: &Outbox| {
        (overhead + per_event * events.len() as u64 + outbox.size()).saturating_sub(budget)
    };
    let mut evicted: Vec<Category> = Vec::new();
    for level in (0..=3u8).rev() {
        let excess = over(events, outbox);
        if excess == 0 {
            break;
        }
        for entry in outbox.evict_level_to(level, outbox.size().saturating_sub(excess))? {
            shared
                .ledger
                .add(entry.category, Entry::Evicted, u64::from(entry.events));
        }
        let mut excess = over(events, outbox);
        // Oldest first: the journal holds events in the order they were recorded.
        events.retain(|e| {
            if excess > 0 && priority(e.category()) == level {
                excess = excess.saturating_sub(per_event.max(1));
                evicted.push(e.category());
                false
            } else {
                true
            }
        });
    }
    if evicted.is_empty() {
        return Ok(());
    }
    rewrite_journal(shared, journal, events, &evicted, Entry::Evicted)
}

/// Rewrites the journal to hold `events`, from which `removed` (one category per event) were
/// just taken, and counts them under `entry` only once that is on disk. Should the rewrite
/// fail, `events` is read back from the journal, which still holds them: they are removed,
/// and counted, at the next try (or at start), not counted now and again after a restart.
pub(super) fn rewrite_journal(
    shared: &Runtime,
    journal: &mut Journal,
    events: &mut Vec<Minimized>,
    removed: &[Category],
    entry: Entry,
) -> io::Result<()> {
    match journal.replace(events) {
        Ok(()) => {
            for &category in removed {
                shared.ledger.add(category, entry, 1);
            }
            Ok(())
        }
        Err(e) => {
            if let Ok(contents) = journal.read() {
                *events = contents.events;
            }
            Err(e)
        }
    }
}
