//! Where accepted batches go. [`Store`] is small on purpose, so a production deployment can
//! write to a server database or a stream; [`SqliteStore`] is the bundled default.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};
use serde::Deserialize;

use crate::open::Opened;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage failed: {0}")]
pub struct StoreError(String);

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> StoreError {
        StoreError(e.to_string())
    }
}

/// Whether a batch was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// Its batch id was stored before: a retry after a lost answer. Nothing was written.
    Duplicate,
}

/// A deletion request as the device sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeletionRequest {
    pub install_pseudonyms: Vec<String>,
    pub requested_at_ms: u64,
}

pub trait Store: Send + Sync {
    /// Stores a batch and its events in one transaction, unless its id is already stored.
    fn insert(&self, opened: &Opened, received_at_ms: u64) -> Result<Inserted, StoreError>;
    /// Deletes every batch and event of these installs and records the request; returns the
    /// rows deleted.
    fn delete_installs(
        &self,
        request: &DeletionRequest,
        received_at_ms: u64,
    ) -> Result<u64, StoreError>;
    /// Stored events per category.
    fn events_by_category(&self) -> Result<BTreeMap<String, u64>, StoreError>;
    fn batch_count(&self) -> Result<u64, StoreError>;
    /// Whether `needle` appears in any stored text: event names, property values, device
    /// context, installs. How a test proves a planted identifier never arrived.
    fn contains_text(&self, needle: &str) -> Result<bool, StoreError>;
    /// Every stored event, as JSON: batch id, install, name, category, basis, time, properties.
    fn events(&self) -> Result<Vec<serde_json::Value>, StoreError>;
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
CREATE INDEX IF NOT EXISTS events_install ON events(install);
CREATE INDEX IF NOT EXISTS batches_install ON batches(install);
CREATE TABLE IF NOT EXISTS deletion_requests (
    install_pseudonyms TEXT NOT NULL,
    requested_at_ms INTEGER NOT NULL,
    received_at_ms INTEGER NOT NULL,
    rows_deleted INTEGER NOT NULL
);
";

impl SqliteStore {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        SqliteStore::with(Connection::open(path)?)
    }

    pub fn in_memory() -> Result<SqliteStore, StoreError> {
        SqliteStore::with(Connection::open_in_memory()?)
    }

    fn with(db: Connection) -> Result<SqliteStore, StoreError> {
        // WAL: readers (a dashboard, the demo's summary) never block ingest.
        db.pragma_update(None, "journal_mode", "WAL")?;
        db.pragma_update(None, "synchronous", "NORMAL")?;
        db.pragma_update(None, "foreign_keys", "ON")?;
        db.execute_batch(SCHEMA)?;
        Ok(SqliteStore { db: Mutex::new(db) })
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError(e.to_string()))
}

impl Store for SqliteStore {
    fn insert(&self, opened: &Opened, received_at_ms: u64) -> Result<Inserted, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let meta = &opened.batch.meta;
        let inserted = tx.execute(
            "INSERT OR IGNORE INTO batches VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                opened.batch_id,
                opened.key_id,
                meta.app_id,
                meta.install,
                meta.sdk_version,
                meta.created_at_ms as i64,
                received_at_ms as i64,
                opened.batch.events.len() as i64,
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
                    event.name,
                    event.category.name(),
                    json(&event.basis)?.trim_matches('"'),
                    event.recorded_at_ms as i64,
                    json(&event.properties)?,
                ])?;
            }
        }
        tx.commit()?;
        Ok(Inserted::New)
    }

    fn delete_installs(
        &self,
        request: &DeletionRequest,
        received_at_ms: u64,
    ) -> Result<u64, StoreError> {
        let mut db = self.db();
        let tx = db.transaction()?;
        let mut deleted = 0u64;
        for install in &request.install_pseudonyms {
            deleted += tx.execute("DELETE FROM events WHERE install = ?1", [install])? as u64;
            deleted += tx.execute("DELETE FROM batches WHERE install = ?1", [install])? as u64;
        }
        tx.execute(
            "INSERT INTO deletion_requests VALUES (?1, ?2, ?3, ?4)",
            params![
                json(&request.install_pseudonyms)?,
                request.requested_at_ms as i64,
                received_at_ms as i64,
                deleted as i64
            ],
        )?;
        tx.commit()?;
        Ok(deleted)
    }

    fn events_by_category(&self) -> Result<BTreeMap<String, u64>, StoreError> {
        let db = self.db();
        let mut query = db.prepare("SELECT category, COUNT(*) FROM events GROUP BY category")?;
        let rows = query.query_map([], |row| Ok((row.get(0)?, row.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn batch_count(&self) -> Result<u64, StoreError> {
        let count: i64 = self
            .db()
            .query_row("SELECT COUNT(*) FROM batches", [], |row| row.get(0))?;
        Ok(count as u64)
    }

    fn contains_text(&self, needle: &str) -> Result<bool, StoreError> {
        // instr, not LIKE: the needle is matched literally, whatever characters it holds.
        let found = self
            .db()
            .query_row(
                "SELECT 1 FROM events WHERE instr(name, ?1) OR instr(properties, ?1)
                   OR instr(coalesce(install, ''), ?1)
                 UNION ALL
                 SELECT 1 FROM batches WHERE instr(device, ?1) OR instr(app_id, ?1)
                 LIMIT 1",
                [needle],
                |_| Ok(()),
            )
            .optional()?;
        Ok(found.is_some())
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
