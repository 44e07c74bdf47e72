//! The privacy ledger: a count for every way data is handled or lost, per category, so what
//! happened to the user's data can be shown to them (`export`) and to auditors.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::alternating::Alternating;
use crate::consent::Category;
use crate::minimize::{FieldOutcome, Trace, Verdict};
use crate::storage::{read_if_present, Storage};

/// What happened, counted per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Entry {
    /// Events accepted by `record` (before minimization).
    Collected,
    /// Events whose category was not permitted: nothing of them was kept.
    DroppedForConsent,
    /// Events dropped because the queue to the worker was full.
    DroppedQueueFull,
    /// Events a platform facade dropped because its own buffer was full.
    DroppedBufferFull,
    /// Events refused as invalid (an empty name, a property the platform could not convert,
    /// a NaN): the caller was told, and nothing of them was kept.
    DroppedInvalid,
    /// Events lost because storage failed (a full disk).
    DroppedStorage,
    /// Events minimized and stored in the journal.
    Kept,
    /// Fields, by what the policy did to them.
    FieldKept,
    FieldDropped,
    FieldHashed,
    FieldGeneralized,
    FieldScrubbed,
    FieldAggregated,
    FieldUnusable,
    /// Pieces of personal data the scrubber removed from text.
    PiiRemoved,
    /// Events removed because their category was withdrawn.
    Purged,
    /// Events removed because they outlived the retention period.
    Expired,
    /// Events sealed into outbox batches.
    Batched,
    /// Events in batches removed to keep within the storage budget.
    Evicted,
    /// Events in batches the collector confirmed it stored.
    Uploaded,
    /// Events in batches the collector refused for good (a 4xx other than 408, 409, 413, 429).
    RejectedByCollector,
    /// Events alone in a batch still too large for the collector.
    DroppedTooLarge,
}

impl Entry {
    pub const ALL: [Entry; 22] = [
        Entry::Collected,
        Entry::DroppedForConsent,
        Entry::DroppedQueueFull,
        Entry::DroppedBufferFull,
        Entry::DroppedInvalid,
        Entry::DroppedStorage,
        Entry::Kept,
        Entry::FieldKept,
        Entry::FieldDropped,
        Entry::FieldHashed,
        Entry::FieldGeneralized,
        Entry::FieldScrubbed,
        Entry::FieldAggregated,
        Entry::FieldUnusable,
        Entry::PiiRemoved,
        Entry::Purged,
        Entry::Expired,
        Entry::Batched,
        Entry::Evicted,
        Entry::Uploaded,
        Entry::RejectedByCollector,
        Entry::DroppedTooLarge,
    ];
}

/// The entries `record` and the facades' drop reports count on the caller's thread, where no
/// lock may be taken.
const CALLER_ENTRIES: [Entry; 5] = [
    Entry::Collected,
    Entry::DroppedForConsent,
    Entry::DroppedQueueFull,
    Entry::DroppedBufferFull,
    Entry::DroppedInvalid,
];

/// Counters, safe to bump from any thread: atomics for what the caller's thread counts, a map
/// behind a lock for what the worker counts.
#[derive(Debug, Default)]
pub struct Ledger {
    caller: [[AtomicU64; CALLER_ENTRIES.len()]; Category::ALL.len()],
    counts: Mutex<BTreeMap<(Category, Entry), u64>>,
}

impl Ledger {
    /// Counts one on the caller's thread: see [`Ledger::add_on_caller`].
    pub fn count_on_caller(&self, category: Category, entry: Entry) {
        self.add_on_caller(category, entry, 1);
    }

    /// Counts `n` on the caller's thread: lock-free for `Collected` and the drops that happen
    /// before the worker (consent, a full queue or buffer, an invalid event); other entries
    /// go through [`Ledger::add`].
    pub fn add_on_caller(&self, category: Category, entry: Entry, n: u64) {
        match CALLER_ENTRIES.iter().position(|&e| e == entry) {
            Some(i) => {
                self.caller[category as usize][i].fetch_add(n, Ordering::Relaxed);
            }
            None => self.add(category, entry, n),
        }
    }

    pub fn add(&self, category: Category, entry: Entry, n: u64) {
        if n > 0 {
            *self.lock().entry((category, entry)).or_default() += n;
        }
    }

    /// Counts what one minimization decided. Whether a kept event was then stored is counted
    /// by the caller (`Kept` or `DroppedStorage`), once it knows.
    pub fn trace(&self, trace: &Trace) {
        let mut counts = self.lock();
        let mut add = |entry, n| *counts.entry((trace.category, entry)).or_default() += n;
        if trace.verdict == Verdict::DroppedForConsent {
            add(Entry::DroppedForConsent, 1);
        }
        for field in &trace.fields {
            let entry = match field.outcome {
                FieldOutcome::Kept => Entry::FieldKept,
                FieldOutcome::Dropped => Entry::FieldDropped,
                FieldOutcome::Hashed => Entry::FieldHashed,
                FieldOutcome::Generalized => Entry::FieldGeneralized,
                FieldOutcome::Scrubbed { removed } => {
                    add(Entry::PiiRemoved, u64::from(removed));
                    Entry::FieldScrubbed
                }
                FieldOutcome::Aggregated => Entry::FieldAggregated,
                FieldOutcome::Unusable => Entry::FieldUnusable,
            };
            add(entry, 1);
        }
    }

    /// Every non-zero count, by category then entry.
    pub fn snapshot(&self) -> BTreeMap<Category, BTreeMap<Entry, u64>> {
        let mut out: BTreeMap<Category, BTreeMap<Entry, u64>> = BTreeMap::new();
        for (&(category, entry), &n) in self.lock().iter() {
            out.entry(category).or_default().insert(entry, n);
        }
        for category in Category::ALL {
            for (i, &entry) in CALLER_ENTRIES.iter().enumerate() {
                let n = self.caller[category as usize][i].load(Ordering::Relaxed);
                if n > 0 {
                    *out.entry(category).or_default().entry(entry).or_default() += n;
                }
            }
        }
        out
    }

    /// The count for one category and entry.
    pub fn get(&self, category: Category, entry: Entry) -> u64 {
        self.snapshot()
            .get(&category)
            .and_then(|m| m.get(&entry))
            .copied()
            .unwrap_or(0)
    }

    /// Adds the counts of `other` (a ledger saved by an earlier process) to these.
    pub fn absorb(&self, other: &Ledger) {
        for (category, entries) in other.snapshot() {
            for (entry, n) in entries {
                self.add(category, entry, n);
            }
        }
    }

    /// Whether any batch was ever handed out and answered (delivered, refused or too large).
    pub fn handed_out_before(&self) -> bool {
        let handed_out = [
            Entry::Uploaded,
            Entry::RejectedByCollector,
            Entry::DroppedTooLarge,
        ];
        self.lock()
            .iter()
            .any(|(&(_, entry), &n)| n > 0 && handed_out.contains(&entry))
    }

    /// A ledger starting from counts saved earlier (see [`Ledger::save`]).
    pub fn restored(saved: BTreeMap<Category, BTreeMap<Entry, u64>>) -> Ledger {
        let ledger = Ledger::default();
        for (category, entries) in saved {
            for (entry, n) in entries {
                ledger.add(category, entry, n);
            }
        }
        ledger
    }

    /// Reads the counts saved in `file` (or, from before the ledger alternated between two
    /// slots, in the single file `legacy`); nothing readable starts from zero (the counts
    /// describe the past; losing them loses no data).
    pub fn load(storage: &dyn Storage, file: &Alternating, legacy: &Path) -> Ledger {
        let saved = match file.load(storage) {
            Ok(Some(bytes)) => Some(bytes),
            _ => read_if_present(storage, legacy).ok().flatten(),
        };
        saved
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .map_or_else(Ledger::default, Ledger::restored)
    }

    /// Saves the counts: one write and one sync (see [`Alternating`]), since this runs at
    /// every group commit.
    pub fn save(&self, storage: &dyn Storage, file: &Alternating) -> io::Result<()> {
        let bytes = serde_json::to_vec(&self.snapshot()).map_err(io::Error::other)?;
        file.save(storage, &bytes)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<(Category, Entry), u64>> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }
}
