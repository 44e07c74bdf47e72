//! The journal: an append-only, encrypted, checksummed log of minimized events, in segment
//! files under `<storage>/journal/`.
//!
//! Invariants:
//! - Only minimized events are written: `append` takes a [`Minimized`].
//! - Every record is framed with a checksum ([`record`]) and encrypted with the data key
//!   ([`DataKey`]) bound to its segment number.
//! - Appends reach the OS at once and the disk at the next [`Journal::sync`]; the runtime calls
//!   it within the durability window, on `flush`, and before a crash report's `record` returns.
//! - Rewriting (purge, compaction) writes a new segment whose first record names the segments it
//!   supersedes; a reader ignores superseded segments, so a crash between writing the new
//!   segment and deleting the old ones never shows an event twice.
//! - A batching round that leaves events for the next round writes them to a carry segment,
//!   numbered between the rolled segment and the new active one, whose first record names the
//!   last segment the round read. A reader counts a carry segment only once no segment up to
//!   that one is left: the round committed and dropped them. Before that, the carried events
//!   are read from where they were first written, so they are never read twice or lost.
//! - Reading never fails on damaged bytes: torn tails and corrupt records are skipped and
//!   counted, and records after them are still read.

mod entry;
pub mod record;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use crate::at_rest::{DataKey, Nonces, DATA_KEY_NAME};

use crate::consent::Category;
use crate::minimize::Minimized;
use crate::storage::{remove_if_present, write_atomic, Storage, WriteFile};
use entry::{StoredEvent, StoredEventRef};

const SEGMENT_PREFIX: &str = "segment-";
const SEGMENT_SUFFIX: &str = ".log";

/// What a record holds once decrypted.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    /// First record of every segment: segments numbered up to `supersedes` are replaced by
    /// this one (0 when it replaces none).
    Segment {
        supersedes: u64,
        /// For a carry segment, the last segment of the round that wrote it; 0 otherwise.
        #[serde(default)]
        carried_from: u64,
    },
    Event(StoredEvent),
}

/// The writing side of [`Entry`]: the same shape, borrowing the event.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum EntryRef<'a> {
    Segment { supersedes: u64, carried_from: u64 },
    Event(StoredEventRef<'a>),
}

/// What reading the journal found.
#[derive(Debug, Default)]
pub struct Contents {
    pub events: Vec<Minimized>,
    /// Records skipped because their bytes were damaged.
    pub corrupt: u64,
    /// Segments that ended inside a record (a write the process did not finish).
    pub torn_tails: u64,
    /// Intact records that did not decrypt or decode (another key, or a foreign file).
    pub unreadable: u64,
}

pub struct Journal {
    storage: Arc<dyn Storage>,
    dir: PathBuf,
    key: Arc<DataKey>,
    active: Box<dyn WriteFile>,
    active_seq: u64,
    nonces: Nonces,
    /// Framed records not yet handed to the OS: one write call per group commit instead of
    /// one per event. Durability is promised only after a sync anyway.
    buffer: Vec<u8>,
    /// Events per category in `buffer`, and handed to the OS but not yet synced.
    buffered: PerCategory,
    written: PerCategory,
    /// The segment [`Journal::roll`] left, unsynced, and the events written to it: a round
    /// that commits makes them durable in the outbox; one that fails syncs it.
    rolled: Option<(Box<dyn WriteFile>, PerCategory)>,
    /// What became durable, and what was lost to a failed write or sync, since last taken.
    outcome: Outcome,
}

/// A count per consent category, indexed by `Category as usize`.
pub type PerCategory = [u64; Category::ALL.len()];

/// Events that became durable, and events lost because storage failed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub durable: PerCategory,
    pub lost: PerCategory,
    /// Failed writes and syncs.
    pub errors: u64,
}

/// When the buffer holds this much, it goes to the OS without waiting for a sync.
const BUFFER_LIMIT: usize = 64 * 1024;

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("dir", &self.dir)
            .field("active_seq", &self.active_seq)
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens the journal in `dir` and reads what it holds. Appends go to a fresh segment, so a
    /// damaged tail in an old one is never written after.
    pub fn open(
        storage: Arc<dyn Storage>,
        dir: &Path,
        key: impl Into<Arc<DataKey>>,
    ) -> io::Result<(Journal, Contents)> {
        let key = key.into();
        storage.create_dir_all(dir)?;
        let (segments, contents) = read_segments(storage.as_ref(), dir, &key)?;
        let next = segments.last().map_or(1, |s| s + 1);
        let (active, nonces) = create_segment(storage.as_ref(), dir, &key, next)?;
        let journal = Journal {
            storage,
            dir: dir.to_path_buf(),
            key,
            active,
            active_seq: next,
            nonces,
            buffer: Vec::with_capacity(BUFFER_LIMIT),
            buffered: PerCategory::default(),
            written: PerCategory::default(),
            rolled: None,
            outcome: Outcome::default(),
        };
        Ok((journal, contents))
    }

    /// Appends `event`; durable after the next [`Journal::sync`] succeeds. An error means the
    /// event could not even be encoded and is not in the journal; storage failures are settled
    /// in [`Journal::take_outcome`].
    pub fn append(&mut self, event: &Minimized) -> io::Result<()> {
        let entry = EntryRef::Event(StoredEventRef::from(event));
        append_sealed_entry(
            &mut self.buffer,
            &self.key,
            &mut self.nonces,
            self.active_seq,
            &entry,
        )?;
        self.buffered[event.category() as usize] += 1;
        if self.buffer.len() >= BUFFER_LIMIT {
            // A failure is settled in the outcome (the buffered events are counted as lost);
            // this event was accepted either way.
            let _ = self.write_out();
        }
        Ok(())
    }

    /// Makes every append so far durable. On failure the events not yet durable are counted
    /// as lost (a later record may still find some of them on disk; the count errs on the
    /// side of saying less was kept).
    pub fn sync(&mut self) -> io::Result<()> {
        // Each step settles its own events even when one before it failed: an event handed
        // to the OS is synced or counted lost, never left without an outcome.
        let rolled = self.sync_rolled();
        if !self.is_dirty() {
            return rolled;
        }
        let written_out = self.write_out();
        let synced = self.active.sync_data();
        self.outcome.errors += u64::from(synced.is_err());
        let settled = std::mem::take(&mut self.written);
        let into = if synced.is_ok() {
            &mut self.outcome.durable
        } else {
            &mut self.outcome.lost
        };
        add(into, &settled);
        rolled.and(written_out).and(synced)
    }

    /// Whether appends are waiting for [`Journal::sync`].
    pub fn is_dirty(&self) -> bool {
        !self.buffer.is_empty() || self.written.iter().any(|&n| n > 0)
    }

    /// What became durable or was lost since the last call.
    pub fn take_outcome(&mut self) -> Outcome {
        std::mem::take(&mut self.outcome)
    }

    /// Hands the buffer to the OS. On failure the buffered events are lost, and counted; a
    /// partial record the failure may leave is skipped by readers like any torn write.
    fn write_out(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let written = self.active.write_all(&self.buffer);
        self.outcome.errors += u64::from(written.is_err());
        self.buffer.clear();
        let moved = std::mem::take(&mut self.buffered);
        add(
            if written.is_ok() {
                &mut self.written
            } else {
                &mut self.outcome.lost
            },
            &moved,
        );
        written
    }

    /// Everything the journal holds now, including appends not yet synced (their bytes are
    /// handed to the OS first, so a rewrite based on this read cannot lose them).
    pub fn read(&mut self) -> io::Result<Contents> {
        self.write_out()?;
        read_segments(self.storage.as_ref(), &self.dir, &self.key).map(|(_, contents)| contents)
    }

    /// Replaces the whole journal with `events` (after a purge, or once events are batched):
    /// a new segment is written and synced, then older segments are deleted.
    pub fn replace(&mut self, events: &[Minimized]) -> io::Result<()> {
        self.sync()?;
        let seq = self.active_seq + 1;
        let head = EntryRef::Segment {
            supersedes: self.active_seq,
            carried_from: 0,
        };
        let (bytes, nonces) = self.segment_bytes(seq, &head, events)?;
        let path = segment_path(&self.dir, seq);
        if let Err(e) = write_atomic(self.storage.as_ref(), &path, &bytes) {
            // The rename may have happened: a segment left behind would supersede what the
            // journal still holds. Should removing it fail too, readers follow it, and so does
            // the worker, which reads the journal back after a failed rewrite.
            let _ = remove_if_present(self.storage.as_ref(), &path);
            return Err(e);
        }
        // From here the new segment is the journal: appends go to it, or fail and are counted
        // lost, never go to a segment it superseded.
        self.active_seq = seq;
        self.nonces = nonces;
        self.active = match self.storage.append(&path) {
            Ok(file) => file,
            Err(e) => {
                self.active = Box::new(Closed);
                return Err(e);
            }
        };
        remove_segments_up_to(self.storage.as_ref(), &self.dir, seq - 1)?;
        Ok(())
    }

    /// Deletes every segment and starts over, empty, under `key`. With the old key already
    /// destroyed, nothing the deleted files held could be read even if the bytes survived on
    /// the flash (crypto-shredding).
    pub fn wipe(&mut self, key: impl Into<Arc<DataKey>>) -> io::Result<()> {
        let key = key.into();
        remove_segments_up_to(self.storage.as_ref(), &self.dir, u64::MAX)?;
        self.key = key;
        self.active_seq += 1;
        (self.active, self.nonces) =
            create_segment(self.storage.as_ref(), &self.dir, &self.key, self.active_seq)?;
        // What was waiting is deleted on request, neither kept nor lost.
        self.buffer.clear();
        self.buffered = PerCategory::default();
        self.written = PerCategory::default();
        self.rolled = None;
        Ok(())
    }

    /// Ends the active segment and starts a new one; returns the number of the last segment
    /// that holds events now. A batching round reads, seals and then drops everything up to it
    /// while new appends go to the new segment. `carry` are the events the round leaves for
    /// the next one: they go to a carry segment between the two, which counts only once the
    /// round has dropped what it read (see the module's invariants).
    pub fn roll(&mut self, carry: &[&Minimized]) -> io::Result<u64> {
        // Handed to the OS but not synced: the round about to seal these events either makes
        // them durable in the outbox, or fails and syncs them then (`sync_rolled`). Syncing
        // first would write to disk what the round deletes a moment later.
        self.write_out()?;
        self.sync_rolled()?;
        let last = self.active_seq;
        if carry.is_empty() {
            // A carry segment an earlier, failed attempt at this roll left would count once
            // this round drops what it read.
            remove_if_present(self.storage.as_ref(), &segment_path(&self.dir, last + 1))?;
        } else {
            self.write_carry(last, carry)?;
        }
        // The number after `last` is the carry segment's, used or not.
        let next = last + 2;
        let (file, nonces) = create_segment(self.storage.as_ref(), &self.dir, &self.key, next)?;
        self.active_seq = next;
        self.nonces = nonces;
        let old = std::mem::replace(&mut self.active, file);
        self.rolled = Some((old, std::mem::take(&mut self.written)));
        Ok(last)
    }

    /// Writes and syncs the carry segment for a round that read through `last`; the directory
    /// is synced with the next segment's creation, before the round can commit.
    fn write_carry(&mut self, last: u64, events: &[&Minimized]) -> io::Result<()> {
        let seq = last + 1;
        let head = EntryRef::Segment {
            supersedes: 0,
            carried_from: last,
        };
        let (bytes, _) = self.segment_bytes(seq, &head, events.iter().copied())?;
        let mut file = self.storage.create(&segment_path(&self.dir, seq))?;
        file.write_all(&bytes)?;
        file.sync_all()
    }

    /// A whole segment numbered `seq`: `head`, then `events`, each sealed for that segment;
    /// also the nonces to go on appending to it with.
    fn segment_bytes<'e>(
        &self,
        seq: u64,
        head: &EntryRef<'_>,
        events: impl IntoIterator<Item = &'e Minimized>,
    ) -> io::Result<(Vec<u8>, Nonces)> {
        let mut nonces = self.key.nonces()?;
        let mut bytes = sealed_entry(&self.key, &mut nonces, seq, head)?;
        for event in events {
            let entry = EntryRef::Event(StoredEventRef::from(event));
            append_sealed_entry(&mut bytes, &self.key, &mut nonces, seq, &entry)?;
        }
        Ok((bytes, nonces))
    }

    /// The round that rolled committed: the rolled segment's events are durable in sealed
    /// batches, and the segment itself is deleted or about to be.
    pub fn rolled_committed(&mut self) {
        if let Some((_, events)) = self.rolled.take() {
            add(&mut self.outcome.durable, &events);
        }
    }

    /// Syncs the segment a failed round rolled away from, settling its events as durable or
    /// lost like [`Journal::sync`].
    pub fn sync_rolled(&mut self) -> io::Result<()> {
        let Some((mut file, events)) = self.rolled.take() else {
            return Ok(());
        };
        let synced = file.sync_data();
        self.outcome.errors += u64::from(synced.is_err());
        add(
            if synced.is_ok() {
                &mut self.outcome.durable
            } else {
                &mut self.outcome.lost
            },
            &events,
        );
        synced
    }

    /// Deletes segments up to and including `last` (their events are in the outbox now).
    pub fn drop_through(&mut self, last: u64) -> io::Result<()> {
        remove_segments_up_to(
            self.storage.as_ref(),
            &self.dir,
            last.min(self.active_seq.saturating_sub(1)),
        )
    }

    /// Bytes the journal takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        list_segments(self.storage.as_ref(), &self.dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|&s| self.storage.len(&segment_path(&self.dir, s)).ok())
            .sum()
    }
}

/// The active segment after a rewrite could not reopen it: every write fails (the events are
/// counted lost) until the next roll or rewrite opens another.
struct Closed;

impl WriteFile for Closed {
    fn write_all(&mut self, _: &[u8]) -> io::Result<()> {
        Err(io::Error::other(
            "the journal's segment could not be reopened",
        ))
    }
    fn sync_data(&mut self) -> io::Result<()> {
        self.write_all(&[])
    }
    fn sync_all(&mut self) -> io::Result<()> {
        self.write_all(&[])
    }
}

fn add(into: &mut PerCategory, from: &PerCategory) {
    for (a, b) in into.iter_mut().zip(from) {
        *a += b;
    }
}

const CONTEXT_PREFIX: &[u8] = b"modicum/journal/v1/";

/// What a record is bound to: its segment, so it cannot be moved to another unnoticed.
fn context(seq: u64) -> [u8; CONTEXT_PREFIX.len() + 8] {
    let mut c = [0u8; CONTEXT_PREFIX.len() + 8];
    c[..CONTEXT_PREFIX.len()].copy_from_slice(CONTEXT_PREFIX);
    c[CONTEXT_PREFIX.len()..].copy_from_slice(&seq.to_be_bytes());
    c
}

/// Encodes, encrypts and frames one entry. MessagePack: compact and fast, and the entry
/// types are tagged explicitly, so nothing is guessed when reading back.
fn sealed_entry(
    key: &DataKey,
    nonces: &mut Nonces,
    seq: u64,
    entry: &EntryRef<'_>,
) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    append_sealed_entry(&mut out, key, nonces, seq, entry)?;
    Ok(out)
}

/// [`sealed_entry`] appended to `out`, encoded, encrypted and framed where it lies (no copy
/// per record); `out` is unchanged on error.
fn append_sealed_entry(
    out: &mut Vec<u8>,
    key: &DataKey,
    nonces: &mut Nonces,
    seq: u64,
    entry: &EntryRef<'_>,
) -> io::Result<()> {
    record::frame_appending(out, |out| {
        key.seal_appending(nonces, &context(seq), out, |out| {
            rmp_serde::encode::write(out, entry).map_err(io::Error::other)
        })
    })
}

fn create_segment(
    storage: &dyn Storage,
    dir: &Path,
    key: &DataKey,
    seq: u64,
) -> io::Result<(Box<dyn WriteFile>, Nonces)> {
    let mut nonces = key.nonces()?;
    let mut file = storage.create(&segment_path(dir, seq))?;
    let head = EntryRef::Segment {
        supersedes: 0,
        carried_from: 0,
    };
    file.write_all(&sealed_entry(key, &mut nonces, seq, &head)?)?;
    // Only the directory entry must be durable before events are synced into the segment;
    // a plain segment's first record says nothing a reader needs, so it waits for the sync.
    storage.sync_dir(dir)?;
    Ok((file, nonces))
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{SEGMENT_PREFIX}{seq:016}{SEGMENT_SUFFIX}"))
}

/// Segment numbers present, ascending. Files that are not segments are left alone.
fn list_segments(storage: &dyn Storage, dir: &Path) -> io::Result<Vec<u64>> {
    let mut seqs: Vec<u64> = storage
        .list(dir)?
        .into_iter()
        .filter_map(|name| {
            name.strip_prefix(SEGMENT_PREFIX)?
                .strip_suffix(SEGMENT_SUFFIX)?
                .parse()
                .ok()
        })
        .collect();
    seqs.sort_unstable();
    Ok(seqs)
}

/// Deletes segments up to and including `last` in `dir` (used by outbox recovery, before the
/// journal is opened).
pub fn remove_segments_through(storage: &dyn Storage, dir: &Path, last: u64) -> io::Result<()> {
    match storage.list(dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        _ => remove_segments_up_to(storage, dir, last),
    }
}

/// Newest first: a carry segment goes before the segments whose removal would make it count,
/// so removal cut short never leaves it counting beside events already sealed.
fn remove_segments_up_to(storage: &dyn Storage, dir: &Path, last: u64) -> io::Result<()> {
    for seq in list_segments(storage, dir)?
        .into_iter()
        .rev()
        .filter(|&s| s <= last)
    {
        storage.remove(&segment_path(dir, seq))?;
    }
    storage.sync_dir(dir)
}

fn read_segments(
    storage: &dyn Storage,
    dir: &Path,
    key: &DataKey,
) -> io::Result<(Vec<u64>, Contents)> {
    let seqs = list_segments(storage, dir)?;
    let mut contents = Contents::default();
    let mut per_segment = Vec::with_capacity(seqs.len());
    let mut superseded = 0;
    // A carry segment counts once no segment up to the one it names is left.
    let oldest = seqs.first().copied().unwrap_or(0);
    for &seq in &seqs {
        let bytes = storage.read(&segment_path(dir, seq))?;
        let scan = record::scan(&bytes);
        contents.corrupt += scan.corrupt;
        contents.torn_tails += u64::from(scan.torn_tail);
        let mut events = Vec::new();
        let mut counts = true;
        for payload in scan.payloads {
            let entry = key
                .open(&context(seq), payload)
                .and_then(|plain| rmp_serde::from_slice::<Entry>(&plain).ok());
            match entry {
                Some(Entry::Segment {
                    supersedes,
                    carried_from,
                }) => {
                    superseded = superseded.max(supersedes);
                    counts = carried_from == 0 || oldest > carried_from;
                }
                Some(Entry::Event(stored)) => events.push(stored.restore()),
                None => contents.unreadable += 1,
            }
        }
        if counts {
            per_segment.push((seq, events));
        }
    }
    for (seq, events) in per_segment {
        if seq > superseded {
            contents.events.extend(events);
        }
    }
    Ok((seqs, contents))
}

#[cfg(test)]
mod tests;
