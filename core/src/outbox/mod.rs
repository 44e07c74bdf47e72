//! The outbox: sealed batches waiting for upload, one file each under `<storage>/outbox/`.
//!
//! File names carry what the device needs without opening a batch it cannot open (only the
//! collector holds the private key): `<priority>-<category>-<grants>-<created ms>-<events>-<batch id>.batch`.
//! Batches are formed per (category, set of grants that let fields in), so withdrawing a
//! category deletes exactly the batches holding its data.
//!
//! Moving events from the journal into the outbox is one round, exactly once across crashes:
//! 1. the journal rolls to a new segment; everything before it is read and sealed into
//!    `*.staged` files, each written and synced;
//! 2. the commit point: a manifest naming the staged files and the last journal segment read
//!    is written atomically (temporary file, sync, rename);
//! 3. the journal segments up to that one are deleted, the staged files renamed to `*.batch`,
//!    and the manifest removed.
//!
//! [`Outbox::open`] finishes a committed round (manifest present) and discards an uncommitted
//! one (staged files without a manifest: their events are still in the journal).

mod entry;
mod opening;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use entry::{priority, OutboxEntry};
pub use opening::OpeningKeys;

use crate::consent::Category;
use crate::storage::{remove_if_present, write_atomic, Storage};

const MANIFEST: &str = "round.manifest";
const STAGED: &str = "staged";
const BATCH: &str = "batch";
/// Staged files written before they are synced together: bounds the open descriptors.
const STAGE_AT_ONCE: usize = 32;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    journal_through: u64,
    files: Vec<String>,
    /// Batches the staged ones replace (a batch split in two), removed when the round finishes.
    #[serde(default)]
    replaces: Vec<String>,
}

/// Ends a batch file that carries its wrapped opening key after the sealed bytes:
/// `sealed | wrapped key | wrapped length (u32, big-endian) | TRAILER_MAGIC`.
const TRAILER_MAGIC: &[u8; 4] = b"MOK1";

/// What opening the outbox found and repaired.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxRecovery {
    /// A round had committed before the process stopped, and was finished.
    pub finished_round: bool,
    /// Staged files of a round that never committed, deleted (their events are in the journal).
    pub discarded_staged: u64,
    /// Files that are not batches, left alone and counted.
    pub foreign_files: u64,
}

pub struct Outbox {
    storage: Arc<dyn Storage>,
    dir: PathBuf,
    /// Every batch file, kept in step with the directory by the methods that change it, so
    /// listing and budgeting never rescan a directory that may hold thousands of batches.
    index: Vec<OutboxEntry>,
    /// A round that committed but could not finish (its journal segments or staged files are
    /// still there): finished before the next round may write its manifest over this one's.
    unfinished: Option<(Manifest, Vec<OutboxEntry>)>,
}

/// A round past its commit point: its batches are in the outbox whatever happens next.
#[derive(Debug)]
pub struct Committed {
    pub entries: Vec<OutboxEntry>,
    /// Dropping the journal and finishing the files; on failure they are finished before the
    /// next round commits, or by [`Outbox::open`] at the next start.
    pub tidied: io::Result<()>,
}

/// A batch sealed and ready to stage.
pub struct Sealed {
    pub entry: OutboxEntry,
    pub bytes: Vec<u8>,
    /// The batch's opening key, wrapped under the at-rest data key (see
    /// [`crate::envelope::OpeningKey`]), stored after the sealed bytes in the same file.
    pub wrapped_opening: Vec<u8>,
}

impl Sealed {
    fn file_bytes(&self) -> io::Result<Vec<u8>> {
        let wrapped_len = u32::try_from(self.wrapped_opening.len())
            .map_err(|_| io::Error::other("a wrapped opening key too long for its trailer"))?;
        let mut bytes = Vec::with_capacity(self.bytes.len() + self.wrapped_opening.len() + 8);
        bytes.extend_from_slice(&self.bytes);
        bytes.extend_from_slice(&self.wrapped_opening);
        bytes.extend_from_slice(&wrapped_len.to_be_bytes());
        bytes.extend_from_slice(TRAILER_MAGIC);
        Ok(bytes)
    }
}

impl std::fmt::Debug for Outbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbox")
            .field("dir", &self.dir)
            .field("batches", &self.index.len())
            .finish_non_exhaustive()
    }
}

impl Outbox {
    /// Opens the outbox in `dir`, finishing or discarding an interrupted round. Finishing one
    /// calls `release_through` with the last journal segment the round consumed, as
    /// [`Outbox::commit_round`] does: the outbox never reaches into the journal itself.
    pub fn open(
        storage: Arc<dyn Storage>,
        dir: &Path,
        release_through: impl FnOnce(u64) -> io::Result<()>,
    ) -> io::Result<(Outbox, OutboxRecovery)> {
        storage.create_dir_all(dir)?;
        let mut outbox = Outbox {
            storage,
            dir: dir.to_path_buf(),
            index: Vec::new(),
            unfinished: None,
        };
        let storage = outbox.storage.as_ref();
        let mut recovery = OutboxRecovery::default();
        if let Some(bytes) = crate::storage::read_if_present(storage, &dir.join(MANIFEST))? {
            match serde_json::from_slice::<Manifest>(&bytes) {
                Ok(manifest) => {
                    release_through(manifest.journal_through)?;
                    outbox.finish(&manifest)?;
                    recovery.finished_round = true;
                }
                // An unreadable manifest never committed (the rename is atomic): discard it.
                Err(_) => storage.remove(&dir.join(MANIFEST))?,
            }
        }
        for name in storage.list(dir)? {
            let path = dir.join(&name);
            match path.extension().and_then(|e| e.to_str()) {
                Some(STAGED) | Some("tmp") => {
                    storage.remove(&path)?;
                    recovery.discarded_staged += 1;
                }
                Some(BATCH) if OutboxEntry::from_name(&name, 0).is_some() => {}
                _ => recovery.foreign_files += 1,
            }
        }
        storage.sync_dir(dir)?;
        outbox.index = scan(storage, dir);
        Ok((outbox, recovery))
    }

    /// A read-only view for listing, from any thread: listing only reads file names.
    pub fn open_for_reading(storage: Arc<dyn Storage>, dir: &Path) -> Outbox {
        let index = scan(storage.as_ref(), dir);
        Outbox {
            storage,
            dir: dir.to_path_buf(),
            index,
            unfinished: None,
        }
    }

    /// A handle for reading batch files by entry, without listing the directory.
    pub fn open_for_reading_without_scan(storage: Arc<dyn Storage>, dir: &Path) -> Outbox {
        Outbox {
            storage,
            dir: dir.to_path_buf(),
            index: Vec::new(),
            unfinished: None,
        }
    }

    /// Commits a round: stages `batches`, writes the manifest (the commit point), then lets
    /// `drop_journal` delete the journal segments the round consumed, and finishes. An error
    /// is returned only if the round did not commit; one after the commit point is in
    /// [`Committed::tidied`]. A round left unfinished before is finished first.
    pub fn commit_round(
        &mut self,
        batches: Vec<Sealed>,
        journal_through: u64,
        drop_journal: impl FnMut(u64) -> io::Result<()>,
    ) -> io::Result<Committed> {
        self.commit(batches, journal_through, None, drop_journal)
    }

    /// Replaces `old` with `batches` (its events split in two), exactly once across crashes:
    /// the same round protocol, with the old batch named in the manifest.
    pub fn replace(
        &mut self,
        old: &OutboxEntry,
        batches: Vec<Sealed>,
    ) -> io::Result<Vec<OutboxEntry>> {
        // Segment 0 never exists: no journal segment is dropped.
        let committed = self.commit(batches, 0, Some(old), |_| Ok(()))?;
        self.index.retain(|e| e.id != old.id);
        committed.tidied?;
        Ok(committed.entries)
    }

    fn commit(
        &mut self,
        batches: Vec<Sealed>,
        journal_through: u64,
        replaces: Option<&OutboxEntry>,
        mut drop_journal: impl FnMut(u64) -> io::Result<()>,
    ) -> io::Result<Committed> {
        if let Some((manifest, entries)) = self.unfinished.take() {
            self.tidy(manifest, entries, &mut drop_journal)?;
        }
        let mut files = Vec::with_capacity(batches.len());
        let mut entries = Vec::with_capacity(batches.len());
        // Every staged file is written before any is synced: the first sync then commits the
        // filesystem's journal for all of them, and the rest find little left to do, where
        // write-sync pairs would pay one journal commit per batch.
        for chunk in batches.chunks(STAGE_AT_ONCE) {
            let mut written = Vec::with_capacity(chunk.len());
            for batch in chunk {
                let name = batch.entry.file_name();
                let bytes = batch.file_bytes()?;
                let mut file = self
                    .storage
                    .create(&self.dir.join(format!("{name}.{STAGED}")))?;
                file.write_all(&bytes)?;
                written.push(file);
                files.push(name);
                entries.push(OutboxEntry {
                    size: bytes.len() as u64,
                    ..batch.entry.clone()
                });
            }
            for mut file in written {
                file.sync_all()?;
            }
        }
        self.storage.sync_dir(&self.dir)?;
        let manifest = Manifest {
            journal_through,
            files,
            replaces: replaces.iter().map(|e| e.file_name()).collect(),
        };
        write_atomic(
            self.storage.as_ref(),
            &self.dir.join(MANIFEST),
            &serde_json::to_vec(&manifest).map_err(io::Error::other)?,
        )?;
        let tidied = self.tidy(manifest, entries.clone(), &mut drop_journal);
        Ok(Committed { entries, tidied })
    }

    /// Past a round's commit point: drops the journal it consumed and finishes its files, then
    /// lists its batches. On failure the round is kept, to be tidied before the next commits.
    fn tidy(
        &mut self,
        manifest: Manifest,
        entries: Vec<OutboxEntry>,
        drop_journal: &mut impl FnMut(u64) -> io::Result<()>,
    ) -> io::Result<()> {
        let tidied = drop_journal(manifest.journal_through).and_then(|()| self.finish(&manifest));
        match tidied {
            Ok(()) => self.index.extend(entries),
            Err(_) => self.unfinished = Some((manifest, entries)),
        }
        tidied
    }

    fn finish(&self, manifest: &Manifest) -> io::Result<()> {
        let storage = self.storage.as_ref();
        for name in &manifest.files {
            let staged = self.dir.join(format!("{name}.{STAGED}"));
            match storage.rename(&staged, &self.dir.join(format!("{name}.{BATCH}"))) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        for name in &manifest.replaces {
            remove_if_present(storage, &self.dir.join(format!("{name}.{BATCH}")))?;
        }
        storage.sync_dir(&self.dir)?;
        // Not synced: should the removal be lost, `open` finishes the round again, which
        // changes nothing the second time, and the next round's manifest replaces it anyway.
        storage.remove(&self.dir.join(MANIFEST))
    }

    /// The batches waiting, in upload order: by priority, then oldest first.
    pub fn list(&self) -> Vec<OutboxEntry> {
        let mut entries = self.index.clone();
        entries.sort_by_key(|e| (e.priority, e.created_ms, e.id.clone()));
        entries
    }

    /// The batches `keep` selects, unordered: for checks over every batch (expiry) that need
    /// neither a sorted copy of the whole index nor its strings.
    pub fn select(&self, keep: impl Fn(&OutboxEntry) -> bool) -> Vec<OutboxEntry> {
        self.index.iter().filter(|e| keep(e)).cloned().collect()
    }

    /// The sealed bytes of a batch: what is uploaded.
    pub fn read(&self, entry: &OutboxEntry) -> io::Result<Vec<u8>> {
        Ok(self.read_parts(entry)?.0)
    }

    /// The sealed bytes of a batch and its wrapped opening key, if the file carries one.
    pub fn read_parts(&self, entry: &OutboxEntry) -> io::Result<(Vec<u8>, Option<Vec<u8>>)> {
        let mut bytes = self
            .storage
            .read(&self.dir.join(entry.file_name() + "." + BATCH))?;
        let Some(split) = trailer_start(&bytes) else {
            return Ok((bytes, None));
        };
        let wrapped = bytes[split..bytes.len() - 8].to_vec();
        bytes.truncate(split);
        Ok((bytes, Some(wrapped)))
    }

    /// Removes a batch (uploaded, evicted or purged).
    pub fn remove(&mut self, entry: &OutboxEntry) -> io::Result<()> {
        remove_if_present(
            self.storage.as_ref(),
            &self.dir.join(entry.file_name() + "." + BATCH),
        )?;
        self.index.retain(|e| e.id != entry.id);
        self.storage.sync_dir(&self.dir)
    }

    /// Removes every batch holding data `category` allowed; returns them.
    pub fn purge(&mut self, category: Category) -> io::Result<Vec<OutboxEntry>> {
        let doomed: Vec<OutboxEntry> = self
            .list()
            .into_iter()
            .filter(|e| e.holds(category))
            .collect();
        for entry in &doomed {
            self.remove(entry)?;
        }
        Ok(doomed)
    }

    /// Bytes the outbox takes.
    pub fn size(&self) -> u64 {
        self.index.iter().map(|e| e.size).sum()
    }

    /// Removes batches until the outbox takes at most `budget` bytes: analytics first, essential
    /// last, oldest first within a priority. Returns what was evicted.
    pub fn evict_to(&mut self, budget: u64) -> io::Result<Vec<OutboxEntry>> {
        let mut evicted = Vec::new();
        for level in (0..=3u8).rev() {
            evicted.extend(self.evict_level_to(level, budget)?);
        }
        Ok(evicted)
    }

    /// Removes batches of priority `level`, oldest first, until the outbox takes at most
    /// `budget` bytes or none of that priority is left. Returns what was evicted.
    pub fn evict_level_to(&mut self, level: u8, budget: u64) -> io::Result<Vec<OutboxEntry>> {
        let mut evicted = Vec::new();
        let mut size = self.size();
        if size <= budget {
            return Ok(evicted);
        }
        let mut entries: Vec<OutboxEntry> = self
            .index
            .iter()
            .filter(|e| e.priority == level)
            .cloned()
            .collect();
        entries.sort_by_key(|e| e.created_ms);
        for entry in entries {
            if size <= budget {
                break;
            }
            self.remove(&entry)?;
            size -= entry.size;
            evicted.push(entry);
        }
        Ok(evicted)
    }
}

/// Every `.batch` file in `dir`.
fn scan(storage: &dyn Storage, dir: &Path) -> Vec<OutboxEntry> {
    let Ok(names) = storage.list(dir) else {
        return Vec::new();
    };
    names
        .into_iter()
        .filter(|name| name.ends_with(BATCH_SUFFIX))
        .filter_map(|name| {
            let size = storage.len(&dir.join(&name)).ok()?;
            OutboxEntry::from_name(&name, size)
        })
        .collect()
}

const BATCH_SUFFIX: &str = ".batch";

/// Where the wrapped opening key starts, if `bytes` end with a well-formed trailer.
fn trailer_start(bytes: &[u8]) -> Option<usize> {
    let (rest, magic) = bytes.split_at_checked(bytes.len().checked_sub(4)?)?;
    if magic != TRAILER_MAGIC {
        return None;
    }
    let (rest, len) = rest.split_at_checked(rest.len().checked_sub(4)?)?;
    let len = u32::from_be_bytes(len.try_into().ok()?) as usize;
    rest.len().checked_sub(len)
}

#[cfg(test)]
mod tests;
