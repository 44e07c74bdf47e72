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
//! - Reading never fails on damaged bytes: torn tails and corrupt records are skipped and
//!   counted, and records after them are still read.

mod entry;
mod key;
pub mod record;

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use key::{DataKey, DATA_KEY_NAME};

use crate::minimize::Minimized;
use crate::secret_store::sync_dir;
use entry::StoredEvent;

const SEGMENT_PREFIX: &str = "segment-";
const SEGMENT_SUFFIX: &str = ".log";

/// What a record holds once decrypted.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    /// First record of every segment: segments numbered up to `supersedes` are replaced by
    /// this one (0 when it replaces none).
    Segment {
        supersedes: u64,
    },
    Event(StoredEvent),
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
    dir: PathBuf,
    key: DataKey,
    active: File,
    active_seq: u64,
    dirty: bool,
}

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
    pub fn open(dir: &Path, key: DataKey) -> io::Result<(Journal, Contents)> {
        fs::create_dir_all(dir)?;
        let (segments, contents) = read_segments(dir, &key)?;
        let next = segments.last().map_or(1, |s| s + 1);
        let active = create_segment(dir, &key, next, 0)?;
        let journal = Journal {
            dir: dir.to_path_buf(),
            key,
            active,
            active_seq: next,
            dirty: false,
        };
        Ok((journal, contents))
    }

    /// Appends `event`; durable after the next [`Journal::sync`].
    pub fn append(&mut self, event: &Minimized) -> io::Result<()> {
        let plain = serde_json::to_vec(&Entry::Event(StoredEvent::from(event)))
            .map_err(io::Error::other)?;
        let sealed = self.key.seal(&context(self.active_seq), &plain)?;
        self.active.write_all(&record::frame(&sealed))?;
        self.dirty = true;
        Ok(())
    }

    /// Makes every append so far durable.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.dirty {
            self.active.sync_data()?;
            self.dirty = false;
        }
        Ok(())
    }

    /// Whether appends are waiting for [`Journal::sync`].
    pub fn is_dirty(&self) -> bool {
        self.dirty
    }

    /// Everything the journal holds now.
    pub fn read(&self) -> io::Result<Contents> {
        read_segments(&self.dir, &self.key).map(|(_, contents)| contents)
    }

    /// Replaces the whole journal with `events` (after a purge, or once events are batched):
    /// a new segment is written and synced, then older segments are deleted.
    pub fn replace(&mut self, events: &[Minimized]) -> io::Result<()> {
        self.sync()?;
        let seq = self.active_seq + 1;
        let tmp = self.dir.join(format!("{SEGMENT_PREFIX}{seq:016}.tmp"));
        {
            let mut file = File::create(&tmp)?;
            let mut bytes = sealed_entry(
                &self.key,
                seq,
                &Entry::Segment {
                    supersedes: self.active_seq,
                },
            )?;
            for event in events {
                bytes.extend(sealed_entry(
                    &self.key,
                    seq,
                    &Entry::Event(StoredEvent::from(event)),
                )?);
            }
            file.write_all(&bytes)?;
            file.sync_all()?;
        }
        fs::rename(&tmp, segment_path(&self.dir, seq))?;
        sync_dir(&self.dir)?;
        self.active = OpenOptions::new()
            .append(true)
            .open(segment_path(&self.dir, seq))?;
        self.active_seq = seq;
        remove_segments_up_to(&self.dir, seq - 1)?;
        Ok(())
    }

    /// Deletes every segment and starts over, empty, under `key`. With the old key already
    /// destroyed, nothing the deleted files held could be read even if the bytes survived on
    /// the flash (crypto-shredding).
    pub fn wipe(&mut self, key: DataKey) -> io::Result<()> {
        remove_segments_up_to(&self.dir, u64::MAX)?;
        self.key = key;
        self.active_seq += 1;
        self.active = create_segment(&self.dir, &self.key, self.active_seq, 0)?;
        self.dirty = false;
        Ok(())
    }

    /// Bytes the journal takes on disk.
    pub fn size_on_disk(&self) -> u64 {
        list_segments(&self.dir)
            .unwrap_or_default()
            .iter()
            .filter_map(|&s| fs::metadata(segment_path(&self.dir, s)).ok())
            .map(|m| m.len())
            .sum()
    }
}

fn context(seq: u64) -> Vec<u8> {
    let mut c = b"modicum/journal/v1/".to_vec();
    c.extend_from_slice(&seq.to_be_bytes());
    c
}

fn sealed_entry(key: &DataKey, seq: u64, entry: &Entry) -> io::Result<Vec<u8>> {
    let plain = serde_json::to_vec(entry).map_err(io::Error::other)?;
    Ok(record::frame(&key.seal(&context(seq), &plain)?))
}

fn create_segment(dir: &Path, key: &DataKey, seq: u64, supersedes: u64) -> io::Result<File> {
    let mut file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(segment_path(dir, seq))?;
    file.write_all(&sealed_entry(key, seq, &Entry::Segment { supersedes })?)?;
    file.sync_all()?;
    sync_dir(dir)?;
    Ok(file)
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{SEGMENT_PREFIX}{seq:016}{SEGMENT_SUFFIX}"))
}

/// Segment numbers present, ascending. Files that are not segments are left alone.
fn list_segments(dir: &Path) -> io::Result<Vec<u64>> {
    let mut seqs: Vec<u64> = fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            name.strip_prefix(SEGMENT_PREFIX)?
                .strip_suffix(SEGMENT_SUFFIX)?
                .parse()
                .ok()
        })
        .collect();
    seqs.sort_unstable();
    Ok(seqs)
}

fn remove_segments_up_to(dir: &Path, last: u64) -> io::Result<()> {
    for seq in list_segments(dir)?.into_iter().filter(|&s| s <= last) {
        fs::remove_file(segment_path(dir, seq))?;
    }
    sync_dir(dir)
}

fn read_segments(dir: &Path, key: &DataKey) -> io::Result<(Vec<u64>, Contents)> {
    let seqs = list_segments(dir)?;
    let mut contents = Contents::default();
    let mut per_segment = Vec::with_capacity(seqs.len());
    let mut superseded = 0;
    for &seq in &seqs {
        let bytes = fs::read(segment_path(dir, seq))?;
        let scan = record::scan(&bytes);
        contents.corrupt += scan.corrupt;
        contents.torn_tails += u64::from(scan.torn_tail);
        let mut events = Vec::new();
        for payload in scan.payloads {
            let entry = key
                .open(&context(seq), payload)
                .and_then(|plain| serde_json::from_slice::<Entry>(&plain).ok());
            match entry {
                Some(Entry::Segment { supersedes }) => superseded = superseded.max(supersedes),
                Some(Entry::Event(stored)) => events.push(stored.restore()),
                None => contents.unreadable += 1,
            }
        }
        per_segment.push((seq, events));
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
