//! The bundled store: one SQLite file behind a mutex, for one node.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use super::{basis_name, int, json, Deletion, Inserted, Retention, Store, StoreError, Swept};
use crate::open::Opened;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

pub struct SqliteStore {
    db: Mutex<Connection>,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS batches (
    batch_id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    app_id TEXT NOT NULL,
    install TEXT,
    sdk_version TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    event_count INTEGER NOT NULL,
    device TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    batch_id TEXT NOT NULL REFERENCES batches(batch_id) ON DELETE CASCADE,
    install TEXT,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    basis TEXT NOT NULL,
    recorded_at_ms INTEGER NOT NULL,
    properties TEXT NOT NULL
);
-- By batch, not by install: deleting a batch (retention, or an install's batches) cascades
-- to its events through this index, and an install's events are its batches' events.
CREATE INDEX IF NOT EXISTS events_batch ON events(batch_id);
CREATE INDEX IF NOT EXISTS batches_install ON batches(install);
CREATE TABLE IF NOT EXISTS deletion_requests (
    install_pseudonyms TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    rows_deleted INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tombstones (
    install TEXT PRIMARY KEY,
    deleted_at_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS batches_received ON batches(received_at_ms);
";

/// Rows a sweep deletes per transaction, so ingest waits for the lock only briefly.
const SWEEP_CHUNK: i64 = 500;

impl SqliteStore {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::with(Connection::open(path)?)
    }

    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::with(Connection::open_in_memory()?)
    }

    fn with(db: Connection) -> Result<SqliteStore, StoreError> {
        // WAL: readers in other processes (a dashboard, a query shell) never block ingest, and
        // they wait a while for a write to finish rather than failing at once.
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.busy_timeout(std::time::Duration::from_secs(5))?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        db.execute_batch(SCHEMA)?;
        Ok(SqliteStore { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Store for SqliteStore {
    fn tombstone_count(&self) -> Result<u64, StoreError> {
        // rusqlite checks the range: a negative count would be an error, not a wrapped one.
        let count: u64 = self
            .db()
            .query_row("SELECT COUNT(*) FROM tombstones", [], |row| row.get(0))?;
        Ok(count)
    }

    fn deletion_log(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let db = self.db();
        let mut query = db.prepare(
            "SELECT install_pseudonyms, requested_at_ms, received_at_ms, rows_deleted
             FROM deletion_requests ORDER BY rowid",
        )?;
        let rows = query.query_map([], |row| {
            let installs: String = row.get(0)?;
            Ok(serde_json::json!({
                "install_pseudonyms": serde_json::from_str::<serde_json::Value>(&installs)
                    .unwrap_or(serde_json::Value::Null),
                "requested_at_ms": row.get::<_, i64>(1)?,
                "received_at_ms": row.get::<_, i64>(2)?,
                "rows_deleted": row.get::<_, i64>(3)?,
            }))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn insert(&self, opened: &Opened, received_at_ms: u64) -> Result<Inserted, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let meta = &opened.batch.meta;
        if let Some(install) = &meta.install {
            let deleted = tx
                .query_row(
                    "SELECT 1 FROM tombstones WHERE install = ?1",
                    [install],
                    |_| Ok(()),
                )
                .optional()?;
            if deleted.is_some() {
                return Ok(Inserted::Deleted);
            }
        }
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO batches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                opened.batch_id,
                opened.key_id,
                meta.app_id,
                meta.install,
                meta.sdk_version,
                int(meta.created_at_ms),
                int(received_at_ms),
                // At most `Limits::max_events`, far below i64::MAX.
                i64::try_from(opened.batch.events.len()).unwrap_or(i64::MAX),
                json(&meta.device)?,
            ],
        )?;
        if inserted == 0 {
            return Ok(Inserted::Duplicate);
        }
        {
            let mut insert =
                tx.prepare_cached("INSERT INTO events VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
            for event in &opened.batch.events {
                insert.execute(params![
                    opened.batch_id,
                    meta.install,
                    &*event.name,
                    event.category.name(),
                    basis_name(event.basis),
                    int(event.recorded_at_ms),
                    json(&event.properties)?,
                ])?;
            }
        }
        tx.commit()?;
        Ok(Inserted::New)
    }

    fn contains_batch(&self, batch_id: &str) -> Result<bool, StoreError> {
        let found = self
            .db()
            .query_row(
                "SELECT 1 FROM batches WHERE batch_id = ?1",
                [batch_id],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    fn delete_installs(
        &self,
        installs: &[String],
        requested_at_ms: u64,
        received_at_ms: u64,
    ) -> Result<Deletion, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let mut deletion = Deletion::default();
        for install in installs {
            let rows = tx.execute(
                "DELETE FROM events WHERE batch_id IN
                   (SELECT batch_id FROM batches WHERE install = ?1)",
                [install],
            )? as u64
                + tx.execute("DELETE FROM batches WHERE install = ?1", [install])? as u64;
            if rows == 0 {
                continue;
            }
            // Only installs that had data: a proof costs its sender nothing to make, so
            // tombstones for pseudonyms that never sent anything would grow without limit.
            tx.execute(
                "INSERT OR IGNORE INTO tombstones VALUES (?1, ?2)",
                params![install, int(received_at_ms)],
            )?;
            deletion.rows_deleted += rows;
            deletion.installs_deleted.push(install.clone());
        }
        if !deletion.installs_deleted.is_empty() {
            tx.execute(
                "INSERT INTO deletion_requests VALUES (?1, ?2, ?3, ?4)",
                params![
                    json(&deletion.installs_deleted)?,
                    int(requested_at_ms),
                    int(received_at_ms),
                    int(deletion.rows_deleted)
                ],
            )?;
        }
        tx.commit()?;
        Ok(deletion)
    }

    fn events_by_category(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let db = self.db();
        let mut query = db.prepare("SELECT category, COUNT(*) FROM events GROUP BY category")?;
        let rows = query.query_map([], |row| Ok((row.get(0)?, row.get::<_, u64>(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn health_reports(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let db = self.db();
        let mut query = db.prepare(
            "SELECT properties FROM events WHERE name = ?1 AND category = 'diagnostics'",
        )?;
        let rows = query.query_map([crate::health::HEALTH_EVENT], |row| {
            let properties: String = row.get(0)?;
            Ok(serde_json::from_str(&properties).unwrap_or(serde_json::Value::Null))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn batch_count(&self) -> Result<u64, StoreError> {
        let count: u64 = self
            .db()
            .query_row("SELECT COUNT(*) FROM batches", [], |row| row.get(0))?;
        Ok(count)
    }

    fn contains_text(&self, needle: &str) -> Result<bool, StoreError> {
        // instr, not LIKE: the needle is matched literally, whatever characters it holds.
        // json_each reads property and device values unescaped, so a needle with a quote or
        // a backslash is found as the device sent it.
        let found = self
            .db()
            .query_row(
                "SELECT 1 FROM events
                   WHERE instr(name, ?1) OR instr(coalesce(install, ''), ?1)
                 UNION ALL
                 SELECT 1 FROM events, json_each(events.properties) AS p
                   WHERE instr(p.key, ?1) OR instr(CAST(p.value AS TEXT), ?1)
                 UNION ALL
                 SELECT 1 FROM batches
                   WHERE instr(app_id, ?1) OR instr(sdk_version, ?1)
                      OR instr(coalesce(install, ''), ?1)
                 UNION ALL
                 SELECT 1 FROM batches, json_each(batches.device) AS d
                   WHERE instr(d.key, ?1) OR instr(CAST(d.value AS TEXT), ?1)
                 LIMIT 1",
                [needle],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.db().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn sweep(&self, now_ms: u64, retention: &Retention) -> Result<Swept, StoreError> {
        let mut swept = Swept::default();
        let events_cutoff = int(retention.events_cutoff_ms(now_ms));
        // Batches in chunks, each its own transaction; their events go with them (ON DELETE
        // CASCADE), counted first.
        loop {
            let mut db = self.db();
            let tx = db.transaction()?;
            let chosen = "SELECT batch_id FROM batches WHERE received_at_ms < ?1
                          ORDER BY received_at_ms, batch_id LIMIT ?2";
            let events: u64 = tx.query_row(
                &format!("SELECT COUNT(*) FROM events WHERE batch_id IN ({chosen})"),
                params![events_cutoff, SWEEP_CHUNK],
                |row| row.get(0),
            )?;
            let batches = tx.execute(
                &format!("DELETE FROM batches WHERE batch_id IN ({chosen})"),
                params![events_cutoff, SWEEP_CHUNK],
            )?;
            tx.commit()?;
            swept.events += events;
            swept.batches += batches as u64;
            if batches == 0 {
                break;
            }
        }
        let records_cutoff = int(retention.deletion_records_cutoff_ms(now_ms));
        let db = self.db();
        swept.deletion_records = db.execute(
            "DELETE FROM deletion_requests WHERE received_at_ms < ?1",
            [records_cutoff],
        )? as u64;
        swept.tombstones = db.execute(
            "DELETE FROM tombstones WHERE deleted_at_ms < ?1",
            [records_cutoff],
        )? as u64;
        Ok(swept)
    }

    fn events(&self) -> Result<Vec<serde_json::Value>, StoreError> {
        let db = self.db();
        let mut query = db.prepare(
            "SELECT batch_id, install, name, category, basis, recorded_at_ms, properties
             FROM events ORDER BY rowid",
        )?;
        let rows = query.query_map([], |row| {
            let properties: String = row.get(6)?;
            Ok(serde_json::json!({
                "batch_id": row.get::<_, String>(0)?,
                "install": row.get::<_, Option<String>>(1)?,
                "name": row.get::<_, String>(2)?,
                "category": row.get::<_, String>(3)?,
                "basis": row.get::<_, String>(4)?,
                "recorded_at_ms": row.get::<_, i64>(5)?,
                "properties": serde_json::from_str::<serde_json::Value>(&properties)
                    .unwrap_or(serde_json::Value::Null),
            }))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

#[cfg(test)]
mod tests {
    use modicum_wire::{sample, WireValue};

    use super::*;

    fn opened(seed: u64, events: usize, install: &str) -> Opened {
        let mut batch = sample::session(seed, events);
        batch.meta.install = Some(install.to_owned());
        Opened {
            batch_id: format!("{seed:032x}"),
            key_id: "00112233aabbccdd".into(),
            batch,
        }
    }

    const A: &str = "p1_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "p1_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "p1_cccccccccccccccccccccccccccccccc";

    #[test]
    fn a_batch_is_stored_once_with_its_events_as_sent() {
        let store = SqliteStore::in_memory().unwrap();
        let mut first = opened(1, 30, A);
        first.batch.events[2]
            .properties
            .insert("quote".into(), WireValue::Text(r#"say "hi" \ bye"#.into()));
        assert_eq!(store.insert(&first, 10).unwrap(), Inserted::New);
        let mut again = opened(2, 5, A);
        again.batch_id = first.batch_id.clone();
        assert_eq!(store.insert(&again, 11).unwrap(), Inserted::Duplicate);
        assert_eq!(store.batch_count().unwrap(), 1);

        let stored = store.events().unwrap();
        assert_eq!(stored.len(), 30, "the duplicate added nothing");
        for (row, event) in stored.iter().zip(&first.batch.events) {
            assert_eq!(row["batch_id"], first.batch_id.as_str());
            assert_eq!(row["install"], A);
            assert_eq!(row["name"], &*event.name);
            assert_eq!(row["category"], event.category.name());
            assert_eq!(row["basis"], serde_json::to_value(event.basis).unwrap());
            assert_eq!(row["recorded_at_ms"], event.recorded_at_ms);
            assert_eq!(
                row["properties"],
                serde_json::to_value(&event.properties).unwrap()
            );
        }
        let mut by_category = BTreeMap::new();
        for event in &first.batch.events {
            *by_category
                .entry(event.category.name().to_owned())
                .or_insert(0) += 1;
        }
        assert_eq!(store.events_by_category().unwrap(), by_category);

        for needle in [
            A,
            r#"say "hi" \ bye"#,
            "quote",
            "com.example.shop",
            "Europe/Berlin",
        ] {
            assert!(store.contains_text(needle).unwrap(), "{needle}");
        }
        assert!(store.contains_text(&first.batch.events[0].name).unwrap());
        assert!(!store.contains_text("bo@example.com").unwrap());
        assert!(!store.contains_text(B).unwrap());
    }

    #[test]
    fn a_deletion_takes_those_installs_keeps_tombstones_and_is_recorded() {
        let tmp = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&tmp.path().join("ingest.sqlite3")).unwrap();
        store.insert(&opened(1, 10, A), 1).unwrap();
        store.insert(&opened(2, 12, A), 1).unwrap();
        store.insert(&opened(3, 7, B), 1).unwrap();
        assert!(store.contains_batch(&format!("{:032x}", 3)).unwrap());
        assert!(!store.contains_batch(&format!("{:032x}", 5)).unwrap());

        let done = store
            .delete_installs(&[A.into(), C.into()], 99, 100)
            .unwrap();
        assert_eq!(done.installs_deleted, vec![A.to_owned()]);
        assert_eq!(done.rows_deleted, 10 + 12 + 2);
        assert_eq!(store.batch_count().unwrap(), 1);
        let events = store.events().unwrap();
        assert_eq!(events.len(), 7);
        assert!(events.iter().all(|e| e["install"] == B));
        assert!(!store.contains_text(A).unwrap());
        assert_eq!(
            store.deletion_log().unwrap(),
            vec![serde_json::json!({
                "install_pseudonyms": [A],
                "requested_at_ms": 99, "received_at_ms": 100, "rows_deleted": 24,
            })]
        );
        // C sent nothing: no tombstone, nothing recorded for it.
        assert_eq!(store.tombstone_count().unwrap(), 1);
        // A replay of a deleted install's batch is refused, and so is a batch never stored.
        assert_eq!(
            store.insert(&opened(1, 10, A), 101).unwrap(),
            Inserted::Deleted
        );
        assert_eq!(
            store.insert(&opened(9, 10, A), 101).unwrap(),
            Inserted::Deleted
        );
        // Asking again deletes nothing and records nothing.
        let again = store.delete_installs(&[A.into()], 99, 102).unwrap();
        assert_eq!(again, Deletion::default());
        drop(store);
        let reopened = SqliteStore::open(&tmp.path().join("ingest.sqlite3")).unwrap();
        assert_eq!(
            reopened.batch_count().unwrap(),
            1,
            "the file keeps what was stored"
        );
        assert_eq!(reopened.tombstone_count().unwrap(), 1);
        assert_eq!(reopened.deletion_log().unwrap().len(), 1);
    }
}
