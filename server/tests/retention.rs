//! Retention, with the clock injected (`Store::sweep` takes the time): stored events go once
//! they are older than the retention period, deletion records and tombstones once they are
//! older than theirs, in SQLite and in PostgreSQL (dropping whole day partitions).
//! PostgreSQL comes from `MODICUM_TEST_POSTGRES`, as in `tests/postgres.rs`.

mod support;

use modicum_server::open::Opened;
use modicum_server::store::{PgStore, Retention, SqliteStore, Store, Swept};
use support::{good, install};

const DAY: u64 = 24 * 60 * 60 * 1000;
/// Midnight UTC, so day partitions line up with the days below.
const T0: u64 = 20_400 * DAY;

fn batch(n: u64, events: usize, seq: u64) -> Opened {
    Opened {
        batch_id: format!("{n:016x}{seq:016x}"),
        key_id: "00".into(),
        batch: good(n, events),
    }
}

/// The same story for any store: returns what each sweep deleted.
fn story(store: &dyn Store) -> [Swept; 4] {
    let retention = Retention::default();
    store.insert(&batch(1, 10, 0), T0 + DAY / 2).unwrap();
    store.insert(&batch(2, 5, 0), T0 + DAY + 1).unwrap();
    store.insert(&batch(3, 7, 0), T0 + 50 * DAY).unwrap();
    // Install 2 asks for deletion on day 10: a record and a tombstone.
    let deletion = store
        .delete_installs(&[install(2)], T0 + 10 * DAY, T0 + 10 * DAY)
        .unwrap();
    assert_eq!(deletion.rows_deleted, 6);

    // Day 89: nothing is 90 days old yet.
    let early = store.sweep(T0 + 89 * DAY, &retention).unwrap();
    assert_eq!(store.batch_count().unwrap(), 2);
    // Day 92: the first batch is past retention, the day-50 one is not.
    let due = store.sweep(T0 + 92 * DAY, &retention).unwrap();
    assert_eq!(store.batch_count().unwrap(), 1);
    assert_eq!(store.events().unwrap().len(), 7);
    assert!(store.contains_text(&install(3)).unwrap());
    assert!(!store.contains_text(&install(1)).unwrap());
    assert_eq!(
        store.deletion_log().unwrap().len(),
        1,
        "deletion records stay"
    );
    assert_eq!(store.tombstone_count().unwrap(), 1);
    // Three years after the deletion, plus a day: its record and tombstone go too.
    let years = store
        .sweep(T0 + 10 * DAY + 3 * 365 * DAY + DAY, &retention)
        .unwrap();
    assert!(store.deletion_log().unwrap().is_empty());
    assert_eq!(store.tombstone_count().unwrap(), 0);
    assert_eq!(store.batch_count().unwrap(), 0);
    // A shorter period, as `--retention-days 30` sets: what is left of a new batch goes at day 31.
    store.insert(&batch(4, 3, 1), T0 + 2_000 * DAY).unwrap();
    let short = store
        .sweep(T0 + 2_031 * DAY, &Retention::events_for_days(30))
        .unwrap();
    assert_eq!(store.batch_count().unwrap(), 0);
    [early, due, years, short]
}

#[test]
fn sqlite_deletes_what_is_past_retention_and_keeps_the_rest() {
    let store = SqliteStore::in_memory().unwrap();
    let [early, due, years, short] = story(&store);
    assert_eq!(early, Swept::default());
    assert_eq!((due.batches, due.events), (1, 10));
    assert_eq!(
        (
            years.batches,
            years.events,
            years.deletion_records,
            years.tombstones
        ),
        (1, 7, 1, 1)
    );
    assert_eq!((short.batches, short.events), (1, 3));
}

#[test]
fn postgres_drops_whole_day_partitions_past_retention() {
    let Some(url) = support::postgres_database("retention") else {
        return;
    };
    let store = PgStore::connect(&url).unwrap();
    let [early, due, years, short] = story(&store);
    assert_eq!(
        (early.events, early.batches, early.partitions),
        (0, 0, 0),
        "nothing dropped at day 89"
    );
    // Day 0's partition (10 events) and day 1's (emptied by the deletion) are dropped.
    assert_eq!((due.batches, due.events, due.partitions), (1, 10, 2));
    assert_eq!(
        (
            years.batches,
            years.events,
            years.partitions,
            years.deletion_records,
            years.tombstones
        ),
        (1, 7, 1, 1, 1)
    );
    assert_eq!((short.batches, short.events, short.partitions), (1, 3, 1));
    assert!(store.partitions().unwrap().is_empty());
}
