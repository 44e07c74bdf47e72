use std::collections::BTreeMap;

use serde::Serialize;

use super::{DeletionRequest, LedgerEntry, Recovered};
use crate::minimize::{Minimized, Trace};
use crate::{Category, Consent};

/// Everything Modicum holds on the device about its user, for the user's right to a copy.
#[derive(Debug, Clone, Serialize)]
pub struct Export {
    pub app_id: String,
    pub exported_at_ms: u64,
    pub consent: Consent,
    pub permitted: Vec<Category>,
    pub pending_events: Vec<Minimized>,
    pub ledger: BTreeMap<Category, BTreeMap<LedgerEntry, u64>>,
    pub recent_decisions: Vec<Trace>,
    pub deletion_requests: Vec<DeletionRequest>,
    /// Sealed batches waiting for upload (their contents are readable only by the collector).
    pub outbox: Vec<crate::outbox::OutboxEntry>,
    /// Release health: the session counts not yet reported, per app version and day.
    pub session_counts: Vec<crate::health::Tally>,
    pub recovered: Recovered,
    pub storage_errors: u64,
}
