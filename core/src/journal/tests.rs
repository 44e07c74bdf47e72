use super::*;
use crate::consent::Consent;
use crate::minimize::{minimize, Context};
use crate::secret_store::{FileSecretStore, SecretStore};
use crate::transform::{InstallSecret, Pseudonymizer, DEFAULT_ROTATION};
use crate::{Category, DataClass, Event, Policy, Value};
use std::fs;

fn events(n: usize) -> Vec<Minimized> {
    let policy = Policy::default();
    let mut consent = Consent::default();
    for &c in Category::USER {
        consent.set(c, true, 0).unwrap();
    }
    let p = Pseudonymizer::new(&InstallSecret::from_bytes([1; 32]), DEFAULT_ROTATION).unwrap();
    let cx = Context {
        permits: consent.permits(&policy),
        policy: &policy,
        pseudonymizer: &p,
        now_ms: 1_000,
    };
    (0..n)
        .map(|i| {
            let event = Event::new(format!("journal-event-{i}"))
                .with("n", Value::Int(i64::try_from(i).unwrap()))
                .with("ratio", Value::Double(0.5))
                .with("ok", Value::Bool(true))
                .with(
                    "where",
                    Value::Location {
                        lat: 52.5,
                        lon: 13.4,
                    },
                )
                .with_class("id", Value::Text("install".into()), DataClass::IdInstall);
            minimize(event, &cx).0.unwrap()
        })
        .collect()
}

fn key(dir: &Path) -> DataKey {
    DataKey::load_or_create(&FileSecretStore::new(dir.join("keys"))).unwrap()
}

/// The journal in `dir`, under the data key kept beside it in `root`.
fn open(root: &Path, dir: &Path) -> (Journal, Contents) {
    Journal::open(crate::storage::Filesystem::shared(), dir, key(root)).unwrap()
}

/// The journal in `dir` with `events` appended and synced.
fn written(root: &Path, dir: &Path, events: &[Minimized]) -> Journal {
    let (mut journal, _) = open(root, dir);
    for e in events {
        journal.append(e).unwrap();
    }
    journal.sync().unwrap();
    journal
}

#[test]
fn what_is_appended_and_synced_reads_back_after_reopening() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let written = events(5);
    {
        let (mut journal, contents) = open(tmp.path(), &dir);
        assert!(contents.events.is_empty());
        for e in &written {
            journal.append(e).unwrap();
        }
        journal.sync().unwrap();
    }
    let (_journal, contents) = open(tmp.path(), &dir);
    assert_eq!(contents.events, written);
    assert_eq!(
        (contents.corrupt, contents.torn_tails, contents.unreadable),
        (0, 0, 0)
    );
}

#[test]
fn nothing_readable_is_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let _journal = written(tmp.path(), &dir, &events(1)[..1]);
    for entry in fs::read_dir(&dir).unwrap() {
        let bytes = fs::read(entry.unwrap().path()).unwrap();
        // Long enough that random ciphertext never holds it by chance (a 2-byte needle did,
        // once in about 400 runs).
        let name = b"journal-event-0";
        assert!(
            !bytes.windows(name.len()).any(|w| w == name),
            "the event name is on disk in the clear"
        );
        assert!(
            !bytes.windows(5).any(|w| w == b"ratio"),
            "a property key in the clear"
        );
    }
}

#[test]
fn replace_supersedes_even_if_old_segments_survive_a_crash() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let all = events(4);
    let mut journal = written(tmp.path(), &dir, &all);
    let old: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            (
                e.as_ref().unwrap().path(),
                fs::read(e.unwrap().path()).unwrap(),
            )
        })
        .collect();
    journal.replace(&all[2..]).unwrap();
    // Simulate a crash after the new segment was written but before the old ones were deleted.
    for (path, bytes) in old {
        fs::write(path, bytes).unwrap();
    }
    drop(journal);
    let (_journal, contents) = open(tmp.path(), &dir);
    assert_eq!(contents.events, all[2..].to_vec());
}

#[test]
fn damage_costs_only_damaged_records_and_is_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let all = events(6);
    {
        let _journal = written(tmp.path(), &dir, &all);
    }
    let segment = list_segments(&crate::storage::Filesystem, &dir).unwrap()[0];
    let path = segment_path(&dir, segment);
    let mut bytes = fs::read(&path).unwrap();
    let len = bytes.len();
    // Flip a bit in the middle, and tear the last record.
    bytes[len / 2] ^= 0x01;
    bytes.truncate(len - 3);
    fs::write(&path, &bytes).unwrap();
    // A foreign file in the folder is ignored.
    fs::write(dir.join("notes.txt"), b"hello").unwrap();
    let (_journal, contents) = open(tmp.path(), &dir);
    assert_eq!(contents.corrupt, 1);
    assert_eq!(contents.torn_tails, 1);
    assert_eq!(
        contents.events.len(),
        4,
        "one damaged, one torn, the rest intact"
    );
    assert!(contents.events.iter().all(|e| all.contains(e)));
}

#[test]
fn another_key_reads_nothing_and_counts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    {
        let _journal = written(tmp.path(), &dir, &events(1)[..1]);
    }
    let store = FileSecretStore::new(tmp.path().join("keys"));
    store.delete(DATA_KEY_NAME).unwrap();
    let (_journal, contents) = open(tmp.path(), &dir);
    assert!(contents.events.is_empty());
    assert_eq!(contents.unreadable, 2, "the segment marker and the event");
}

#[test]
fn positional_and_named_entries_read_back_alike() {
    // Records are written positionally (smaller, faster); journals written with field names
    // by earlier versions still read.
    for event in events(5) {
        let entry = EntryRef::Event(StoredEventRef::from(&event));
        for bytes in [
            rmp_serde::to_vec(&entry).unwrap(),
            rmp_serde::to_vec_named(&entry).unwrap(),
        ] {
            match rmp_serde::from_slice::<Entry>(&bytes).unwrap() {
                Entry::Event(stored) => assert_eq!(stored.restore(), event),
                Entry::Segment { .. } => panic!("an event"),
            }
        }
    }
}

/// A carry segment counts once the segments its round read are gone, never beside them: a
/// crash before the round commits reads the carried events where they were first written, and
/// one after reads them from the carry segment, once either way.
#[test]
fn a_carry_segment_counts_only_once_its_round_dropped_what_it_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let all = events(5);
    let mut journal = written(tmp.path(), &dir, &all);
    let carried: Vec<&Minimized> = all[3..].iter().collect();
    let through = journal.roll(&carried).unwrap();
    let after_roll = journal.read().unwrap().events;
    assert_eq!(
        after_roll, all,
        "the round has not committed: nothing read twice"
    );
    drop(journal);
    let (_, reopened) = open(tmp.path(), &dir);
    assert_eq!(reopened.events, all, "nor after a crash before the commit");

    let (mut journal, _) = open(tmp.path(), &dir);
    journal.drop_through(through).unwrap();
    assert_eq!(journal.read().unwrap().events, all[3..].to_vec());
    journal.append(&all[0]).unwrap();
    journal.sync().unwrap();
    drop(journal);
    let (_, reopened) = open(tmp.path(), &dir);
    let mut expected = all[3..].to_vec();
    expected.push(all[0].clone());
    assert_eq!(
        reopened.events, expected,
        "carried events first, then newer ones"
    );
}

/// A round that wrote a carry segment and never committed leaves it behind; the next round's
/// drop removes it before the segments that kept it from counting, so it never counts beside
/// events that round sealed.
#[test]
fn a_carry_segment_of_a_round_that_failed_never_counts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("journal");
    let all = events(4);
    let mut journal = written(tmp.path(), &dir, &all);
    let first: Vec<&Minimized> = all[2..].iter().collect();
    let failed = journal.roll(&first).unwrap();
    // The round failed before committing; the next one seals everything.
    journal.sync_rolled().unwrap();
    let through = journal.roll(&[]).unwrap();
    assert!(
        through > failed + 1,
        "the next round reads past the stale carry segment"
    );
    journal.drop_through(through).unwrap();
    assert!(journal.read().unwrap().events.is_empty());
    assert_eq!(
        list_segments(&crate::storage::Filesystem, &dir).unwrap(),
        vec![through + 2]
    );
}
