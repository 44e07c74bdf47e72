//! How long the collector keeps what it stores.

use std::time::Duration;

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

/// What a sweep keeps. Events (and the batches that carried them) are kept for `events` after
/// they were received: 90 days by default, the log retention our apps' privacy policies
/// promise. The record of a deletion (the pseudonyms deleted, when) and the tombstone that
/// refuses a replay are kept for `deletion_records`: three years by default, the general
/// limitation period for civil claims under the PRC Civil Code (art. 188), so the collector
/// can show it honoured a request for as long as someone may claim it did not. A tombstone
/// must also outlive the oldest batch the server accepts (`max_batch_age`), which it does by
/// far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub events: Duration,
    pub deletion_records: Duration,
}

impl Default for Retention {
    fn default() -> Retention {
        Retention {
            events: DAY * 90,
            deletion_records: DAY * 3 * 365,
        }
    }
}

impl Retention {
    /// Keeps events for `days`, deletion records for the default.
    pub fn events_for_days(days: u32) -> Retention {
        Retention {
            events: DAY * days,
            ..Retention::default()
        }
    }

    /// Received before this (milliseconds since the epoch), an event is past retention.
    pub fn events_cutoff_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(millis(self.events))
    }

    /// Made before this, a deletion record or tombstone is past retention.
    pub fn deletion_records_cutoff_ms(&self, now_ms: u64) -> u64 {
        now_ms.saturating_sub(millis(self.deletion_records))
    }
}

fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// What one sweep deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Swept {
    pub events: u64,
    pub batches: u64,
    /// Whole day partitions dropped (PostgreSQL; SQLite deletes rows).
    pub partitions: u64,
    pub deletion_records: u64,
    pub tombstones: u64,
}
