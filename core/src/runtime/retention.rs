//! Retention: what is older than its category allows is deleted unsent, journal and outbox
//! alike, and counted.

use std::io;

use super::ledger::Entry;
use super::worker::Worker;
use crate::consent::Category;

impl Worker {
    /// Drops journaled events and sealed batches older than their category's retention,
    /// counting every event.
    pub(super) fn expire(&mut self) -> io::Result<()> {
        let shared = &self.shared;
        let now = shared.now_ms();
        let expired_at = |category: Category, at: u64| {
            let retention = u64::try_from(shared.config.retention_for(category).as_millis())
                .unwrap_or(u64::MAX);
            at < now.saturating_sub(retention)
        };
        for entry in self.outbox.select(|e| expired_at(e.category, e.created_ms)) {
            self.outbox.remove(&entry)?;
            shared
                .ledger
                .add(entry.category, Entry::Expired, u64::from(entry.events));
        }
        let mut expired = Vec::new();
        self.pending.retain(|e| {
            let gone = expired_at(e.category(), e.recorded_at_ms());
            if gone {
                expired.push(e.category());
            }
            !gone
        });
        if expired.is_empty() {
            return Ok(());
        }
        let shared = std::sync::Arc::clone(&self.shared);
        let rewritten = super::batcher::rewrite_journal(
            &shared,
            &mut self.journal,
            &mut self.pending,
            &expired,
            Entry::Expired,
        );
        self.pending_changed();
        rewritten
    }
}
