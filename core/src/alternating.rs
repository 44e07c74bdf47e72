//! A small file rewritten often (the ledger, at every group commit): two slots written in
//! turn, each carrying a sequence number and a checksum. A save is one write and one sync of a
//! file that already exists, where [`crate::storage::write_atomic`] creates a file, syncs it,
//! renames it and syncs the directory. A torn write spoils only the slot being written; the
//! other still holds the save before, so a crash leaves the old content or the new, as
//! `write_atomic` does.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::storage::{read_if_present, Storage};

const MAGIC: &[u8; 4] = b"MAL1";
/// Magic, sequence number (u64), checksum (u32) and length (u32), little-endian.
const HEADER: usize = 4 + 8 + 4 + 4;

pub struct Alternating {
    dir: PathBuf,
    slots: [PathBuf; 2],
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The sequence number of the newest valid save.
    seq: u64,
    /// Whether each slot's directory entry is known to be durable.
    exists: [bool; 2],
}

impl Alternating {
    /// Slots `<stem>.0` and `<stem>.1` in `dir`.
    pub fn new(dir: &Path, stem: &str) -> Alternating {
        Alternating {
            dir: dir.to_path_buf(),
            slots: [0, 1].map(|i| dir.join(format!("{stem}.{i}"))),
            state: Mutex::new(State::default()),
        }
    }

    /// The newest save whose checksum holds, `None` if neither slot has one. Later saves
    /// continue from it.
    pub fn load(&self, storage: &dyn Storage) -> io::Result<Option<Vec<u8>>> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let mut newest: Option<(u64, Vec<u8>)> = None;
        for (i, path) in self.slots.iter().enumerate() {
            let Some(bytes) = read_if_present(storage, path)? else {
                continue;
            };
            state.exists[i] = true;
            if let Some((seq, body)) = parse(&bytes) {
                if newest.as_ref().is_none_or(|(s, _)| seq > *s) {
                    newest = Some((seq, body.to_vec()));
                }
            }
        }
        state.seq = newest.as_ref().map_or(0, |(seq, _)| *seq);
        Ok(newest.map(|(_, body)| body))
    }

    /// Writes `body` over the slot not holding the newest save, and syncs it. On failure the
    /// newest save is untouched, and the next save tries the same slot again.
    pub fn save(&self, storage: &dyn Storage, body: &[u8]) -> io::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let seq = state.seq + 1;
        let slot = usize::from(seq % 2 == 1);
        let mut bytes = Vec::with_capacity(HEADER + body.len());
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&seq.to_le_bytes());
        bytes.extend_from_slice(&checksum(seq, body).to_le_bytes());
        let len = u32::try_from(body.len()).map_err(io::Error::other)?;
        bytes.extend_from_slice(&len.to_le_bytes());
        bytes.extend_from_slice(body);
        let mut file = storage.create(&self.slots[slot])?;
        file.write_all(&bytes)?;
        file.sync_data()?;
        drop(file);
        if !state.exists[slot] {
            // A new file: its name is durable once the directory is.
            storage.sync_dir(&self.dir)?;
            state.exists[slot] = true;
        }
        state.seq = seq;
        Ok(())
    }
}

fn checksum(seq: u64, body: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(&seq.to_le_bytes());
    hasher.update(body);
    hasher.finalize()
}

/// The sequence number and body of a slot, if it is whole.
fn parse(bytes: &[u8]) -> Option<(u64, &[u8])> {
    let header = bytes.get(..HEADER)?;
    if &header[..4] != MAGIC {
        return None;
    }
    let seq = u64::from_le_bytes(header[4..12].try_into().ok()?);
    let crc = u32::from_le_bytes(header[12..16].try_into().ok()?);
    let len = usize::try_from(u32::from_le_bytes(header[16..20].try_into().ok()?)).ok()?;
    let body = bytes.get(HEADER..HEADER.checked_add(len)?)?;
    (bytes.len() == HEADER + len && checksum(seq, body) == crc).then_some((seq, body))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Filesystem;

    #[test]
    fn saves_alternate_and_a_torn_slot_falls_back_to_the_one_before() {
        let tmp = tempfile::tempdir().unwrap();
        let fs = Filesystem::shared();
        let file = Alternating::new(tmp.path(), "ledger");
        assert_eq!(file.load(fs.as_ref()).unwrap(), None);
        for n in 1..=5u8 {
            file.save(fs.as_ref(), &[n; 3]).unwrap();
        }
        let again = Alternating::new(tmp.path(), "ledger");
        assert_eq!(again.load(fs.as_ref()).unwrap(), Some(vec![5; 3]));
        // Save 5 went to slot 1; tear it: save 4, in slot 0, is what is left.
        let torn = tmp.path().join("ledger.1");
        let mut bytes = std::fs::read(&torn).unwrap();
        bytes.truncate(bytes.len() - 1);
        std::fs::write(&torn, &bytes).unwrap();
        let after_crash = Alternating::new(tmp.path(), "ledger");
        assert_eq!(after_crash.load(fs.as_ref()).unwrap(), Some(vec![4; 3]));
        // The next save replaces the torn slot, not the good one.
        after_crash.save(fs.as_ref(), &[6; 3]).unwrap();
        let last = Alternating::new(tmp.path(), "ledger");
        assert_eq!(last.load(fs.as_ref()).unwrap(), Some(vec![6; 3]));
        std::fs::write(tmp.path().join("ledger.0"), b"MAL1 not a slot").unwrap();
        assert_eq!(last.load(fs.as_ref()).unwrap(), Some(vec![6; 3]));
    }
}
