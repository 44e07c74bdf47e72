//! Batching rounds: the journal's events become sealed outbox batches (see [`crate::outbox`]
//! for why this is exactly once), then the storage budget is enforced.

use std::collections::BTreeMap;
use std::io;

use super::ledger::Entry;
use super::Runtime;
use crate::consent::Category;
use crate::envelope::{self, Aead, CollectorKey};
use crate::journal::Journal;
use crate::minimize::Minimized;
use crate::outbox::{priority, OpeningKeys, Outbox, OutboxEntry, Sealed};
use crate::transform::Pseudonymizer;
use crate::wire::{self, BatchMeta, WireValue};

pub(super) const SDK_VERSION: &str = concat!("modicum/", env!("CARGO_PKG_VERSION"));

/// What a round seals.
#[derive(Clone, Copy)]
pub(super) enum Seal<'a> {
    /// Everything (flush to the outbox, a crash report, erasure, a new install secret).
    All,
    /// Full batches only: each group's last, partial batch is carried to the next round,
    /// unless `aged` says that group has waited long enough or it is large enough to go
    /// ([`CARRY_AT_MOST`]). On a steady stream small batches then go out full, instead of
    /// with whatever another group had when one group filled a batch.
    Full { aged: &'a dyn Fn(&GroupKey) -> bool },
}

/// A round carries a partial batch only if it holds fewer events than this. A batch of this
/// many already spreads its fixed cost (envelope, string table) to a few bytes an event,
/// while carrying means writing the events to the journal once more.
const CARRY_AT_MOST: usize = 64;

/// The batches a group of events can share: one category, one set of grants, one install
/// secret, and whether they may name the install (see [`linkable`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct GroupKey {
    category: Category,
    grants: u16,
    current: bool,
    linkable: bool,
}

impl GroupKey {
    /// The group of `event` while `generation` is the install secret in force.
    pub(super) fn of(event: &Minimized, generation: u32) -> GroupKey {
        GroupKey {
            category: event.category(),
            grants: grant_bits(event),
            current: event.generation() == generation,
            linkable: linkable(event),
        }
    }

    #[cfg(test)]
    pub(super) fn for_tests(category: Category) -> GroupKey {
        GroupKey {
            category,
            grants: 0,
            current: true,
            linkable: true,
        }
    }
}

/// A round that happened.
pub(super) struct Round {
    /// Indexes into the round's events of those left for the next round, in order.
    pub carried: Vec<usize>,
    /// Tidying up after the commit point (see [`crate::outbox::Committed::tidied`]).
    pub tidied: io::Result<()>,
}

/// Seals `events`, which are everything the journal holds, into the outbox, as `seal` says.
/// Without a collector key it does nothing. The worker keeps the journal's events in memory,
/// so a round never reads back and decrypts what it has just written. An error means the
/// round did not commit: every event is still in the journal.
#[allow(clippy::too_many_arguments)]
pub(super) fn round(
    shared: &Runtime,
    pseudonymizer: &Pseudonymizer,
    journal: &mut Journal,
    outbox: &mut Outbox,
    openings: &mut OpeningKeys,
    events: &[Minimized],
    device_sent: &mut DeviceSent,
    seal: Seal<'_>,
) -> io::Result<Round> {
    let Some(key) = &shared.config.collector else {
        return Ok(Round {
            carried: Vec::new(),
            tidied: Ok(()),
        });
    };
    let plan = plan(
        events,
        pseudonymizer.generation(),
        shared.config.batch_max_events,
        shared.config.batch_max_bytes,
        seal,
    );
    if plan.groups.is_empty() {
        let round = Round {
            carried: plan.carried,
            tidied: Ok(()),
        };
        if matches!(seal, Seal::All) {
            // Nothing held: what older segments remain is dropped.
            let through = journal.roll(&[])?;
            journal.rolled_committed();
            journal.drop_through(through)?;
        }
        // Otherwise nothing is full yet, and no file is touched.
        return Ok(round);
    }
    let carry: Vec<&Minimized> = plan.carried.iter().map(|&i| &events[i]).collect();
    let through = journal.roll(&carry)?;
    let sealed = seal_round(
        shared,
        key,
        pseudonymizer,
        openings,
        &plan.groups,
        device_sent,
    )
    .and_then(|(sealed, device)| {
        let committed = outbox.commit_round(sealed, through, |last| journal.drop_through(last))?;
        if device.is_some() {
            *device_sent = device;
        }
        Ok(committed)
    });
    match sealed {
        Ok(committed) => {
            journal.rolled_committed();
            for entry in &committed.entries {
                shared
                    .ledger
                    .add(entry.category, Entry::Batched, u64::from(entry.events));
            }
            Ok(Round {
                carried: plan.carried,
                tidied: committed.tidied,
            })
        }
        Err(e) => {
            // The rolled segment still holds the events that did not reach the outbox.
            journal.sync_rolled()?;
            Err(e)
        }
    }
}

/// The device context this process last put in a batch, and the UTC day it did.
pub(super) type DeviceSent = Option<(u64, BTreeMap<String, WireValue>)>;

/// What a round seals, batch by batch, and what it carries.
struct Plan<'a> {
    groups: Vec<(GroupKey, Vec<Vec<&'a Minimized>>)>,
    carried: Vec<usize>,
}

fn plan<'a>(
    events: &'a [Minimized],
    generation: u32,
    max_events: usize,
    max_bytes: usize,
    seal: Seal<'_>,
) -> Plan<'a> {
    let mut groups: BTreeMap<GroupKey, Vec<usize>> = BTreeMap::new();
    for (i, event) in events.iter().enumerate() {
        groups
            .entry(GroupKey::of(event, generation))
            .or_default()
            .push(i);
    }
    let mut plan = Plan {
        groups: Vec::with_capacity(groups.len()),
        carried: Vec::new(),
    };
    for (key, indexes) in groups {
        let members: Vec<&Minimized> = indexes.iter().map(|&i| &events[i]).collect();
        let mut chunks = chunks(&members, max_events, max_bytes);
        let carries = match seal {
            Seal::All => false,
            Seal::Full { aged } => !aged(&key),
        };
        if carries
            && chunks
                .last()
                .is_some_and(|c| c.len() < max_events && c.len() < CARRY_AT_MOST)
        {
            let tail = chunks.pop().map_or(0, |c| c.len());
            plan.carried
                .extend_from_slice(&indexes[indexes.len() - tail..]);
        }
        if !chunks.is_empty() {
            plan.groups.push((key, chunks));
        }
    }
    plan.carried.sort_unstable();
    plan
}

/// Seals the planned batches, ready to commit; also returns the device context they carry,
/// if one does, to remember once they are committed.
fn seal_round(
    shared: &Runtime,
    key: &CollectorKey,
    pseudonymizer: &Pseudonymizer,
    openings: &mut OpeningKeys,
    groups: &[(GroupKey, Vec<Vec<&Minimized>>)],
    device_sent: &DeviceSent,
) -> io::Result<(Vec<Sealed>, DeviceSent)> {
    let now = shared.now_ms();
    shared.refresh_device();
    // The install pseudonym names the sender only when the user allowed identifiers, and only
    // in batches whose events were all hashed under the secret in force: never a new install
    // pseudonym beside identifiers hashed before `reset_identifiers`.
    let install = shared
        .permits()
        .permit(Category::Identifiers)
        .map(|_| pseudonymizer.install_pseudonym(now));
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
    let mut sealed = Vec::new();
    for (group, chunks) in groups {
        let GroupKey {
            category,
            grants: bits,
            current,
            linkable,
        } = *group;
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
        for chunk in chunks {
            if linkable && device_due {
                meta.device = device.clone();
                device_due = false;
                device_carried = true;
            } else {
                meta.device.clear();
            }
            let payload = wire::encode_events(&meta, chunk).map_err(io::Error::other)?;
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
    Ok((sealed, device_carried.then_some((today, device))))
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
