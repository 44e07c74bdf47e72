//! The session counts and the session in progress: a state machine with no I/O.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use modicum_wire::DAY_MS;

/// A session in the foreground: the day it started (the day it is counted under), the app
/// version, the process it runs in (to match the crash records a process leaves), and whether
/// a hang was recorded during it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenSession {
    pub day: u64,
    pub version: String,
    pub pid: u32,
    #[serde(default)]
    pub hung: bool,
}

/// One app version's sessions on one day. Every session started is counted once more when it
/// ends: `started == ended + crashed + abnormal` once none of the day's sessions is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub day: u64,
    pub version: String,
    pub started: u32,
    pub ended: u32,
    pub crashed: u32,
    pub abnormal: u32,
    /// When the first of these sessions was counted: a withdrawal of consent after it keeps
    /// the tally from leaving.
    pub since_ms: u64,
}

/// What the device keeps between processes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Book {
    /// Sessions an earlier process left in the foreground, resolved at the next start.
    #[serde(default)]
    pub previous: Vec<OpenSession>,
    /// This process's session, if the app is in the foreground.
    #[serde(default)]
    pub open: Option<OpenSession>,
    /// Counts not yet reported, ordered by day and version.
    #[serde(default)]
    pub tallies: Vec<Tally>,
}

impl Book {
    /// The book as an earlier process saved it: its open session is now a previous one.
    pub fn restored(mut saved: Book) -> Book {
        if let Some(open) = saved.open.take() {
            saved.previous.push(open);
        }
        saved
    }

    /// The app came to the foreground at `now_ms`: a session starts, unless one is open
    /// already (a second activity, a return from a system dialog). True if it started.
    pub fn foreground(&mut self, now_ms: u64, version: &str, pid: u32) -> bool {
        if self.open.is_some() {
            return false;
        }
        let day = now_ms / DAY_MS;
        self.tally(day, version, now_ms).started += 1;
        self.open = Some(OpenSession {
            day,
            version: version.to_owned(),
            pid,
            hung: false,
        });
        true
    }

    /// The app left the foreground: the session ends normally, or abnormally if it hung.
    pub fn background(&mut self) -> bool {
        let Some(open) = self.open.take() else {
            return false;
        };
        let tally = self.tally(open.day, &open.version, u64::MAX);
        if open.hung {
            tally.abnormal += 1;
        } else {
            tally.ended += 1;
        }
        true
    }

    /// A hang past the platform's threshold was recorded: the session ends abnormally.
    pub fn hang(&mut self) -> bool {
        match &mut self.open {
            Some(open) if !open.hung => {
                open.hung = true;
                true
            }
            _ => false,
        }
    }

    /// The process is crashing (an uncaught exception the platform reported): the session
    /// ends crashed.
    pub fn crash(&mut self) -> bool {
        let Some(open) = self.open.take() else {
            return false;
        };
        self.tally(open.day, &open.version, u64::MAX).crashed += 1;
        true
    }

    /// Resolves the sessions earlier processes left open: crashed if the process left a
    /// crash record (`crashed_pids`), abnormal otherwise (killed in the foreground, by the
    /// user, the OS or a watchdog). True if there were any.
    pub fn resolve_previous(&mut self, crashed_pids: &BTreeSet<u32>) -> bool {
        let previous = std::mem::take(&mut self.previous);
        for session in &previous {
            let tally = self.tally(session.day, &session.version, u64::MAX);
            if crashed_pids.contains(&session.pid) {
                tally.crashed += 1;
            } else {
                tally.abnormal += 1;
            }
        }
        !previous.is_empty()
    }

    /// Takes the tallies whose day is over as of `today`, and whose sessions have all ended:
    /// what may be reported now. The rest stay.
    pub fn take_due(&mut self, today: u64) -> Vec<Tally> {
        let unfinished: BTreeSet<u64> = self
            .open
            .iter()
            .chain(&self.previous)
            .map(|s| s.day)
            .collect();
        let (due, kept) = std::mem::take(&mut self.tallies)
            .into_iter()
            .partition(|t| t.day < today && !unfinished.contains(&t.day));
        self.tallies = kept;
        due
    }

    /// Forgets every count (erasure, or a withdrawal of the consent they were counted under);
    /// the session in progress, if any, is no longer counted either.
    pub fn clear(&mut self) {
        *self = Book::default();
    }

    fn tally(&mut self, day: u64, version: &str, now_ms: u64) -> &mut Tally {
        let at = self
            .tallies
            .binary_search_by(|t| (t.day, t.version.as_str()).cmp(&(day, version)));
        let index = match at {
            Ok(i) => i,
            Err(i) => {
                self.tallies.insert(
                    i,
                    Tally {
                        day,
                        version: version.to_owned(),
                        started: 0,
                        ended: 0,
                        crashed: 0,
                        abnormal: 0,
                        since_ms: now_ms,
                    },
                );
                i
            }
        };
        let tally = &mut self.tallies[index];
        tally.since_ms = tally.since_ms.min(now_ms);
        tally
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: u64 = 20_000;
    fn at(day: u64, hour: u64) -> u64 {
        day * DAY_MS + hour * 3_600_000
    }

    #[test]
    fn sessions_end_normally_crashed_or_abnormal_and_are_reported_when_the_day_is_over() {
        let mut book = Book::default();
        assert!(book.foreground(at(D, 9), "1.0", 7));
        assert!(!book.foreground(at(D, 9), "1.0", 7), "already open");
        assert!(book.background());
        assert!(!book.background(), "nothing open");
        book.foreground(at(D, 10), "1.0", 7);
        book.crash();
        book.foreground(at(D, 11), "1.0", 8);
        book.hang();
        book.background();
        // A session left open by a process that died: crashed if it left a record.
        book.foreground(at(D, 12), "1.0", 9);
        let mut book = Book::restored(book);
        book.foreground(at(D, 13), "1.1", 10);
        let mut book = Book::restored(book);
        assert_eq!(book.previous.len(), 2);
        assert!(
            book.take_due(D + 1).is_empty(),
            "sessions of the day unresolved"
        );
        book.resolve_previous(&BTreeSet::from([9]));
        assert!(book.take_due(D).is_empty(), "the day is not over");
        let due = book.take_due(D + 1);
        let counts: Vec<_> = due
            .iter()
            .map(|t| {
                (
                    t.version.as_str(),
                    t.started,
                    t.ended,
                    t.crashed,
                    t.abnormal,
                )
            })
            .collect();
        assert_eq!(counts, [("1.0", 4, 1, 2, 1), ("1.1", 1, 0, 0, 1)]);
        assert_eq!(due[0].since_ms, at(D, 9));
        assert!(book.tallies.is_empty());
    }

    #[test]
    fn a_session_across_midnight_counts_on_its_first_day_and_holds_that_day_back() {
        let mut book = Book::default();
        book.foreground(at(D, 23), "2.0", 1);
        assert!(book.take_due(D + 1).is_empty());
        book.background();
        book.foreground(at(D + 1, 1), "2.0", 1);
        let due = book.take_due(D + 1);
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].day, due[0].started, due[0].ended), (D, 1, 1));
        assert_eq!(book.tallies.len(), 1, "the new day stays");
    }

    #[test]
    fn the_book_survives_serialization_and_clear_forgets_everything() {
        let mut book = Book::default();
        book.foreground(at(D, 8), "3.0", 4);
        let json = serde_json::to_vec(&book).unwrap();
        let back: Book = serde_json::from_slice(&json).unwrap();
        assert_eq!(back, book);
        let mut restored = Book::restored(back);
        assert_eq!(restored.open, None);
        assert_eq!(restored.previous.len(), 1);
        restored.clear();
        assert_eq!(restored, Book::default());
    }
}
