//! Release health: the lifecycle calls the facades make, and the counts not yet reported.

use crate::ModicumCore;

/// One app version's sessions on one day (UTC), not yet reported.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SessionCount {
    /// Days since 1970-01-01 (UTC).
    pub day: u64,
    pub version: String,
    pub started: u32,
    pub ended: u32,
    pub crashed: u32,
    pub abnormal: u32,
}

#[uniffi::export]
impl ModicumCore {
    /// The app came to the foreground: a session starts (if `diagnostics` is permitted).
    /// Never waits; safe on the main thread.
    pub fn entered_foreground(&self) {
        self.inner.entered_foreground();
    }

    /// The app left the foreground: the session ends. Never waits.
    pub fn entered_background(&self) {
        self.inner.entered_background();
    }

    /// The session counts the next daily reports will carry. Waits for the worker: not on
    /// the main thread.
    pub fn session_counts(&self) -> Vec<SessionCount> {
        self.inner
            .session_counts()
            .into_iter()
            .map(|t| SessionCount {
                day: t.day,
                version: t.version,
                started: t.started,
                ended: t.ended,
                crashed: t.crashed,
                abnormal: t.abnormal,
            })
            .collect()
    }
}
