//! Crashes and hangs.
//!
//! - [`panic`]: a panic hook, chained to the one before it, writes a scrubbed record durably
//!   before unwinding goes on.
//! - [`signal`]: fatal signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP) write a
//!   preformatted record of numbers only (signal, code, addresses) to a file opened in
//!   advance, with async-signal-safe calls only, then chain to the previous handler so the
//!   platform's own reporting still runs.
//! - [`CrashReport`]: what becomes an event, from a record found at the next start or from the
//!   platform (Kotlin/Swift uncaught exceptions) through `Modicum::record_crash`.
//!
//! Records live in `<storage>/crashes/`. Nothing raw reaches them: the panic hook scrubs the
//! message and frames before writing, and the signal handler writes no text but numbers.

pub mod panic;
mod pending;
pub mod signal;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

pub use pending::{take_pending, Pending};

/// A crash as reported: what kind, the message (or signal), the frames, the thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrashReport {
    /// "panic", "signal", or the platform's kind ("java.lang.IllegalStateException").
    pub kind: String,
    pub message: String,
    /// One frame per line: symbols, offsets and line numbers are kept when scrubbed.
    pub frames: Vec<String>,
    pub thread: Option<String>,
    pub at_ms: u64,
}

pub fn dir(storage: &Path) -> PathBuf {
    storage.join("crashes")
}
