use super::*;
use std::fs;

fn entry(category: Category, grants: Vec<Category>, id: &str) -> OutboxEntry {
    OutboxEntry {
        priority: priority(category),
        category,
        grants,
        created_ms: 1_795_000_000_000,
        events: 3,
        id: id.into(),
        size: 0,
    }
}

const ID_A: &str = "0123456789abcdef0123456789abcdef";
const ID_B: &str = "fedcba9876543210fedcba9876543210";

fn dirs() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let (outbox, journal) = (tmp.path().join("outbox"), tmp.path().join("journal"));
    fs::create_dir_all(&journal).unwrap();
    for seq in 1..=3u64 {
        fs::write(journal.join(format!("segment-{seq:016}.log")), b"segment").unwrap();
    }
    (tmp, outbox, journal)
}

fn segments(journal: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(journal)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn file_names_carry_the_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let e = entry(
        Category::Analytics,
        vec![Category::Identifiers, Category::Location],
        ID_A,
    );
    let path = tmp.path().join(format!("{}.batch", e.file_name()));
    fs::write(&path, b"sealed").unwrap();
    assert_eq!(
        OutboxEntry::from_path(&path),
        Some(OutboxEntry { size: 6, ..e })
    );
    for bad in [
        "x.batch",
        "3-analytics-none-1-3-short.batch",
        "3-telepathy-none-1-3-0123456789abcdef0123456789abcdef.batch",
    ] {
        fs::write(tmp.path().join(bad), b"").unwrap();
        assert_eq!(OutboxEntry::from_path(&tmp.path().join(bad)), None, "{bad}");
    }
}

#[test]
fn a_committed_round_is_finished_on_open() {
    let (_tmp, outbox_dir, journal) = dirs();
    let (mut outbox, _) = open(&outbox_dir, &journal).unwrap();
    let sealed = vec![Sealed {
        entry: entry(Category::Analytics, vec![], ID_A),
        bytes: b"batch a".to_vec(),
        wrapped_opening: b"wrapped key".to_vec(),
    }];
    // Commit, but "crash" before the journal is dropped and the files finished.
    let crash = outbox.commit_round(sealed, 2, |_| Err(io::Error::other("crash")));
    assert!(crash.unwrap().tidied.is_err(), "committed, not tidied");
    assert!(outbox_dir.join(MANIFEST).exists());
    let (outbox, recovery) = open(&outbox_dir, &journal).unwrap();
    assert!(recovery.finished_round);
    assert_eq!(
        segments(&journal),
        vec!["segment-0000000000000003.log"],
        "segments 1 and 2 were sealed"
    );
    let listed = outbox.list();
    assert_eq!(listed.len(), 1);
    assert_eq!(outbox.read(&listed[0]).unwrap(), b"batch a");
    assert!(!outbox_dir.join(MANIFEST).exists());
}

#[test]
fn an_uncommitted_round_is_discarded_and_its_events_stay_in_the_journal() {
    let (_tmp, outbox_dir, journal) = dirs();
    fs::create_dir_all(&outbox_dir).unwrap();
    let staged = entry(Category::Analytics, vec![], ID_B).file_name();
    fs::write(
        outbox_dir.join(format!("{staged}.{STAGED}")),
        b"half a round",
    )
    .unwrap();
    fs::write(outbox_dir.join(format!("{MANIFEST}.tmp")), b"{\"journal_th").unwrap();
    fs::write(outbox_dir.join("README.txt"), b"not ours").unwrap();
    let (outbox, recovery) = open(&outbox_dir, &journal).unwrap();
    assert_eq!(
        recovery,
        OutboxRecovery {
            finished_round: false,
            discarded_staged: 2,
            foreign_files: 1
        }
    );
    assert!(outbox.list().is_empty());
    assert_eq!(segments(&journal).len(), 3, "nothing left the journal");
    assert!(
        outbox_dir.join("README.txt").exists(),
        "foreign files are counted, not deleted"
    );
}

#[test]
fn a_corrupt_manifest_never_committed() {
    let (_tmp, outbox_dir, journal) = dirs();
    fs::create_dir_all(&outbox_dir).unwrap();
    fs::write(outbox_dir.join(MANIFEST), b"garbage").unwrap();
    let (_, recovery) = open(&outbox_dir, &journal).unwrap();
    assert!(!recovery.finished_round);
    assert_eq!(segments(&journal).len(), 3);
}

#[test]
fn a_replacement_is_exactly_once_and_keeps_the_opening_key_beside_the_batch() {
    let (_tmp, outbox_dir, journal) = dirs();
    let (mut outbox, _) = open(&outbox_dir, &journal).unwrap();
    let old = Sealed {
        entry: entry(Category::Analytics, vec![], ID_A),
        bytes: b"old batch".to_vec(),
        wrapped_opening: b"old key".to_vec(),
    };
    let old = outbox
        .commit_round(vec![old], 0, |_| Ok(()))
        .unwrap()
        .entries
        .remove(0);
    let (bytes, wrapped) = outbox.read_parts(&old).unwrap();
    assert_eq!(bytes, b"old batch");
    assert_eq!(wrapped.as_deref(), Some(&b"old key"[..]));
    assert_eq!(outbox.read(&old).unwrap(), b"old batch");
    // A file without a trailer (or a damaged one) reads whole, with no key.
    fs::write(
        outbox_dir.join(format!("{}.batch", old.file_name())),
        b"plain",
    )
    .unwrap();
    assert_eq!(outbox.read_parts(&old).unwrap(), (b"plain".to_vec(), None));

    let half = |id: &str| Sealed {
        entry: entry(Category::Analytics, vec![], id),
        bytes: b"half".to_vec(),
        wrapped_opening: Vec::new(),
    };
    outbox.replace(&old, vec![half(ID_B)]).unwrap();
    let ids: Vec<String> = outbox.list().into_iter().map(|e| e.id).collect();
    assert_eq!(ids, vec![ID_B.to_owned()]);
    let (reopened, _) = open(&outbox_dir, &journal).unwrap();
    let ids: Vec<String> = reopened.list().into_iter().map(|e| e.id).collect();
    assert_eq!(
        ids,
        vec![ID_B.to_owned()],
        "the old batch is gone, the halves stay"
    );
}

/// Opens the outbox as the runtime does: a finished round releases the journal's segments.
fn open(outbox_dir: &Path, journal: &Path) -> io::Result<(Outbox, OutboxRecovery)> {
    let storage = crate::storage::Filesystem::shared();
    Outbox::open(storage.clone(), outbox_dir, |last| {
        crate::journal::remove_segments_through(storage.as_ref(), journal, last)
    })
}

/// A round that committed but could not tidy up is finished before the next round writes its
/// manifest over the first one's: otherwise the first round's staged batches would be thrown
/// away at the next start while its journal segments were already gone.
#[test]
fn a_round_left_unfinished_is_finished_before_the_next_commits() {
    let (_tmp, outbox_dir, journal) = dirs();
    let (mut outbox, _) = open(&outbox_dir, &journal).unwrap();
    let sealed = |id: &str, bytes: &[u8]| Sealed {
        entry: entry(Category::Analytics, vec![], id),
        bytes: bytes.to_vec(),
        wrapped_opening: b"wrapped key".to_vec(),
    };
    let first = outbox
        .commit_round(vec![sealed(ID_A, b"batch a")], 2, |_| {
            Err(io::Error::other("the disk hiccups"))
        })
        .unwrap();
    assert!(first.tidied.is_err());
    assert!(
        outbox.list().is_empty(),
        "not listed before its files are finished"
    );
    let mut dropped = Vec::new();
    let second = outbox
        .commit_round(vec![sealed(ID_B, b"batch b")], 5, |through| {
            dropped.push(through);
            Ok(())
        })
        .unwrap();
    assert!(second.tidied.is_ok());
    assert_eq!(
        dropped,
        vec![2, 5],
        "the first round's segments are dropped first"
    );
    let listed = outbox.list();
    assert_eq!(listed.len(), 2);
    for entry in &listed {
        assert!(outbox.read(entry).is_ok(), "{entry:?} was finished");
    }
    let (reopened, recovery) = open(&outbox_dir, &journal).unwrap();
    assert!(!recovery.finished_round);
    assert_eq!(recovery.discarded_staged, 0);
    assert_eq!(reopened.list().len(), 2);
}
