//! Release health through the runtime: the lifecycle calls on the caller's thread, and the
//! worker's side (saving the book, resolving what an earlier process left open, sending the
//! daily reports). See [`crate::health`].

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use super::ledger::Entry;
use super::worker::{Command, Worker};
use super::{Modicum, Runtime};
use crate::health::{Book, DailyHealth, Tally, DAY_MS, UNKNOWN_VERSION};
use crate::Category;

/// Release health reports leave under this category.
const CATEGORY: Category = Category::Diagnostics;

impl Runtime {
    /// Changes the book in memory; the worker saves it at its next turn.
    fn change_book(&self, change: impl FnOnce(&mut Book) -> bool) -> bool {
        let changed = change(&mut self.health.lock().unwrap_or_else(|p| p.into_inner()));
        if changed {
            self.health_unsaved.store(true, Ordering::Release);
        }
        changed
    }

    /// Saves a changed book where the journal could not open: session counts still work,
    /// though no report can be sent until it does.
    pub(super) fn save_health_alone(&self) {
        if self.health_unsaved.swap(false, Ordering::AcqRel) {
            let book = self
                .health
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone();
            if self.health_store.save(&book).is_err() {
                self.health_unsaved.store(true, Ordering::Release);
            }
        }
    }

    /// A crash the platform reported in this process ends the session crashed.
    pub(super) fn session_crashed(&self) {
        self.change_book(Book::crash);
    }

    /// A hang past the platform's threshold makes the session abnormal.
    pub(super) fn session_hung(&self) {
        self.change_book(Book::hang);
    }
}

impl Modicum {
    /// The app came to the foreground: a session starts, counted under
    /// [`crate::Config::app_version`] on today's (UTC) date, if `diagnostics` is permitted now.
    /// Calling it while a session is open does nothing. Never waits: the count changes in
    /// memory and the worker saves it.
    pub fn entered_foreground(&self) {
        if !self.shared.consent.allows(CATEGORY) {
            return;
        }
        let now = self.shared.now_ms();
        let version = self
            .shared
            .config
            .app_version
            .as_deref()
            .unwrap_or(UNKNOWN_VERSION);
        let pid = std::process::id();
        if self.shared.change_book(|b| b.foreground(now, version, pid)) {
            let _ = self.tx.try_send(Command::Wake);
        }
    }

    /// The app left the foreground: the session ends (normally, unless a hang was recorded
    /// during it). Never waits.
    pub fn entered_background(&self) {
        if self.shared.change_book(Book::background) {
            let _ = self.tx.try_send(Command::Wake);
        }
    }

    /// The session counts not yet reported, oldest day first: what the next daily reports
    /// will say (for inspection and tests; nothing here identifies anyone). Waits for the
    /// worker to take what was queued before (at start, to resolve the sessions an earlier
    /// process left open), so call it off the app's main thread.
    pub fn session_counts(&self) -> Vec<Tally> {
        let _ = self.ask(super::BLOCKING_TIMEOUT, Command::Ping);
        self.shared
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .tallies
            .clone()
    }
}

impl Worker {
    /// Saves the book if it changed since the last save, then sends the reports that are due.
    /// Runs every turn, so a lifecycle hook's change is durable before the worker handles
    /// anything queued after it (a crash report's flush, say).
    pub(super) fn save_health(&mut self) {
        if !self.shared.health_unsaved.swap(false, Ordering::AcqRel) {
            return;
        }
        self.withhold_withdrawn_health();
        let saved = self.write_book();
        self.note(saved);
        self.send_health_reports();
    }

    /// At start: what the last process left open is resolved (crashed if it left a crash
    /// record, abnormal if not) and saved before its crash records are removed, then the
    /// reports that are due go.
    pub(super) fn resolve_sessions(&mut self, crashed_pids: &BTreeSet<u32>) {
        if self
            .shared
            .change_book(|b| b.resolve_previous(crashed_pids))
        {
            let saved = self.write_book();
            self.note(saved);
        }
        self.withhold_withdrawn_health();
        self.send_health_reports();
    }

    /// Counts made under a grant of `diagnostics` since withdrawn never leave: they go, with
    /// the sessions still open on their day. Runs at every save and report.
    pub(super) fn withhold_withdrawn_health(&mut self) {
        let admission = self.shared.consent.admission();
        self.shared.change_book(|book| {
            let before = book.tallies.len();
            let mut gone = BTreeSet::new();
            book.tallies.retain(|t| {
                let admitted = admission.admits(CATEGORY, t.since_ms);
                if !admitted {
                    gone.insert((t.day, t.version.clone()));
                }
                admitted
            });
            let counted =
                |s: &crate::health::OpenSession| !gone.contains(&(s.day, s.version.clone()));
            book.open = book.open.take().filter(counted);
            book.previous.retain(counted);
            book.tallies.len() != before
        });
    }

    /// Takes the tallies whose day is over, saves the book without them, and only then
    /// records their reports: a report is sent at most once, even if the process dies between
    /// the two (it is then lost, never doubled, so the collector may count installs by
    /// reports).
    fn send_health_reports(&mut self) {
        let today = self.shared.now_ms() / DAY_MS;
        let due = self
            .shared
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take_due(today);
        if due.is_empty() {
            return;
        }
        self.shared.health_unsaved.store(false, Ordering::Release);
        if let Err(e) = self.write_book() {
            // Not taken after all: they stay for the next try.
            let mut book = self.shared.health.lock().unwrap_or_else(|p| p.into_inner());
            book.tallies.extend(due);
            book.tallies
                .sort_by(|a, b| (a.day, &a.version).cmp(&(b.day, &b.version)));
            self.shared.health_unsaved.store(true, Ordering::Release);
            return self.note(Err(e));
        }
        let shared = std::sync::Arc::clone(&self.shared);
        let ledger = &shared.ledger;
        for tally in due {
            ledger.count_on_caller(CATEGORY, Entry::Collected);
            if self.shared.permits().permit(CATEGORY).is_none() {
                ledger.count_on_caller(CATEGORY, Entry::DroppedForConsent);
                continue;
            }
            let epoch = self.shared.consent.epoch();
            self.record(DailyHealth { tally }.event(), epoch);
        }
    }

    fn write_book(&self) -> std::io::Result<()> {
        let book = self
            .shared
            .health
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        self.shared.health_store.save(&book).inspect_err(|_| {
            self.shared.health_unsaved.store(true, Ordering::Release);
        })
    }

    /// Forgets every count: part of erasure.
    pub(super) fn clear_health(&mut self) -> std::io::Result<()> {
        self.shared.change_book(|b| {
            b.clear();
            true
        });
        self.shared.health_unsaved.store(false, Ordering::Release);
        self.write_book()
    }
}
