//! Where accepted batches go. [`Store`] is small on purpose, so a production deployment can
//! write to a server database or a stream. [`SqliteStore`] is the bundled default, for one
//! node; [`PgStore`] lets any number of nodes share one PostgreSQL database. [`open`] picks by
//! the `--db` argument: a `postgres://` URL or a file path.

mod postgres;
mod retention;
mod sqlite;

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::open::Opened;

pub use postgres::PgStore;
pub use retention::{Retention, Swept};
pub use sqlite::SqliteStore;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("storage failed: {0}")]
pub struct StoreError(pub String);

impl StoreError {
    /// For other [`Store`] implementations: any failure, described.
    pub fn new(reason: impl std::fmt::Display) -> StoreError {
        StoreError(reason.to_string())
    }
}

/// Whether a batch was new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New,
    /// Its batch id was stored before: a retry after a lost answer. Nothing was written.
    Duplicate,
    /// Its install's data was deleted on a proven request: a replay, or a batch that arrived
    /// after its install asked for deletion. Nothing was written.
    Deleted,
}

/// What a deletion did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Deletion {
    /// The installs that had data here, now deleted and tombstoned.
    pub installs_deleted: Vec<String>,
    pub rows_deleted: u64,
}

pub trait Store: Send + Sync {
    /// Stores a batch and its events in one transaction, unless its id is already stored or
    /// its install's data was deleted. Atomic across nodes sharing a store: of two inserts of
    /// one batch id, exactly one is `New`.
    fn insert(&self, opened: &Opened, received_at_ms: u64) -> Result<Inserted, StoreError>;
    /// Whether a batch with this id (lowercase hex) is stored: how a retry is answered before
    /// anything is decrypted.
    fn contains_batch(&self, batch_id: &str) -> Result<bool, StoreError>;
    /// Deletes every batch and event of these installs, whose deletion the caller has checked
    /// was proven; each that had data gets a tombstone, so a later batch of it is refused, and
    /// the deletion is logged if it deleted anything. One transaction.
    fn delete_installs(
        &self,
        installs: &[String],
        requested_at_ms: u64,
        received_at_ms: u64,
    ) -> Result<Deletion, StoreError>;
    /// Stored events per category.
    fn events_by_category(&self) -> Result<BTreeMap<String, u64>, StoreError>;
    fn batch_count(&self) -> Result<u64, StoreError>;
    /// Whether `needle` appears in any stored text: event names, property values, device
    /// context, installs. How a test proves a planted identifier never arrived.
    fn contains_text(&self, needle: &str) -> Result<bool, StoreError>;
    /// Every stored event, as JSON: batch id, install, name, category, basis, time, properties.
    fn events(&self) -> Result<Vec<serde_json::Value>, StoreError>;
    /// The properties of every stored release health report (`health::HEALTH_EVENT`), as
    /// JSON objects: what [`crate::health::aggregate`] reads.
    fn health_reports(&self) -> Result<Vec<serde_json::Value>, StoreError>;
    /// Installs whose data was deleted on proof.
    fn tombstone_count(&self) -> Result<u64, StoreError>;
    /// Every deletion that deleted something, oldest first: the record that requests were
    /// honoured (the pseudonyms deleted, never a token).
    fn deletion_log(&self) -> Result<Vec<serde_json::Value>, StoreError>;
    /// Whether the store answers now: what `GET /v1/health` reports.
    fn ping(&self) -> Result<(), StoreError>;
    /// Deletes what `retention` no longer keeps as of `now_ms` (a parameter, so tests can move
    /// time): events and their batches by when they were received, deletion records and
    /// tombstones by when they were made.
    fn sweep(&self, now_ms: u64, retention: &Retention) -> Result<Swept, StoreError>;
}

/// Opens the store `db` names: a `postgres://` (or `postgresql://`) URL opens [`PgStore`],
/// anything else is the path of a SQLite file, created if missing.
pub fn open(db: &str) -> Result<Arc<dyn Store>, StoreError> {
    if db.starts_with("postgres://") || db.starts_with("postgresql://") {
        Ok(Arc::new(PgStore::connect(db)?))
    } else {
        Ok(Arc::new(SqliteStore::open(std::path::Path::new(db))?))
    }
}

/// Databases keep signed integers; a hostile timestamp past `i64::MAX` is stored as the
/// maximum rather than wrapping negative.
fn int(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn basis_name(basis: modicum_wire::Basis) -> &'static str {
    match basis {
        modicum_wire::Basis::Consent => "consent",
        modicum_wire::Basis::Essential => "essential",
    }
}

fn json<T: serde::Serialize>(value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| StoreError(e.to_string()))
}
