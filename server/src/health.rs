//! Release health from the devices' daily reports: crash-free sessions and crash-free installs
//! per app version and day, computed from aggregates that identify no one.
//!
//! Each install sends at most one `modicum.daily_health` report per app version and day (the
//! device removes a day from its book before it writes the report), so the number of reports
//! for a release and day is the number of installs that ran it that day, and the number that
//! say `crashed_today` is the number of those that crashed. No install id is needed to count
//! either, and none arrives: a report travels in a batch of its own that names no install
//! and carries no device context, which [`check_report_batch`] enforces.

use std::collections::BTreeMap;

use modicum_wire::{Batch, DAY_MS};
use serde::Serialize;

use crate::rejection::Rejection;
use crate::store::{Store, StoreError};

pub use modicum_wire::HEALTH_EVENT;

/// Refuses a batch that puts a release health report beside anything that could link it: an
/// install pseudonym, device context, or other events.
pub fn check_report_batch(batch: &Batch) -> Result<(), Rejection> {
    let reports = batch
        .events
        .iter()
        .filter(|e| &*e.name == HEALTH_EVENT)
        .count();
    if reports == 0 {
        return Ok(());
    }
    if batch.meta.install.is_some() || !batch.meta.device.is_empty() {
        return Err(Rejection::malformed(
            "a release health report in a batch that names an install or describes a device",
        ));
    }
    if reports != batch.events.len() {
        return Err(Rejection::malformed(
            "a release health report in a batch with other events",
        ));
    }
    Ok(())
}

/// One report's fields, read from an event as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub version: String,
    /// The UTC date, `YYYY-MM-DD`.
    pub day: String,
    pub sessions: u64,
    pub crashed: u64,
    pub abnormal: u64,
    pub crashed_today: bool,
}

impl Report {
    /// The report an event holds, or `None` if a field its policy dropped, or an impossible
    /// count, leaves it unusable.
    pub fn from_properties(properties: &serde_json::Value) -> Option<Report> {
        let count = |key: &str| properties.get(key)?.as_u64();
        let version = properties.get("version")?.as_str()?.to_owned();
        let day = properties.get("day")?.as_u64()?;
        let (sessions, ended, crashed, abnormal) = (
            count("sessions")?,
            count("ended")?,
            count("crashed")?,
            count("abnormal")?,
        );
        let crashed_today = properties.get("crashed_today")?.as_bool()?;
        if ended.checked_add(crashed)?.checked_add(abnormal)? != sessions
            || crashed_today != (crashed > 0)
        {
            return None;
        }
        Some(Report {
            version,
            day: date(day / DAY_MS),
            sessions,
            crashed,
            abnormal,
            crashed_today,
        })
    }
}

/// One release on one day, across every install that reported it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ReleaseDay {
    pub version: String,
    pub day: String,
    /// Installs that reported (one report each).
    pub installs: u64,
    pub crashed_installs: u64,
    pub sessions: u64,
    pub crashed_sessions: u64,
    pub abnormal_sessions: u64,
}

impl ReleaseDay {
    /// 1 − crashed sessions ÷ sessions; `None` without sessions.
    pub fn crash_free_sessions(&self) -> Option<f64> {
        ratio_free(self.crashed_sessions, self.sessions)
    }

    /// 1 − installs that crashed ÷ installs that reported; `None` without reports.
    pub fn crash_free_installs(&self) -> Option<f64> {
        ratio_free(self.crashed_installs, self.installs)
    }
}

fn ratio_free(bad: u64, all: u64) -> Option<f64> {
    (all > 0).then(|| 1.0 - bad as f64 / all as f64)
}

/// Sums reports into one row per release and day, by day then version.
pub fn aggregate(reports: impl IntoIterator<Item = Report>) -> Vec<ReleaseDay> {
    let mut rows: BTreeMap<(String, String), ReleaseDay> = BTreeMap::new();
    for r in reports {
        let row = rows
            .entry((r.day.clone(), r.version.clone()))
            .or_insert_with(|| ReleaseDay {
                version: r.version.clone(),
                day: r.day.clone(),
                ..ReleaseDay::default()
            });
        row.installs += 1;
        row.crashed_installs += u64::from(r.crashed_today);
        row.sessions += r.sessions;
        row.crashed_sessions += r.crashed;
        row.abnormal_sessions += r.abnormal;
    }
    rows.into_values().collect()
}

/// Every stored report, summed per release and day; also how many reports could not be read
/// (a field the app's policy dropped, or an impossible count).
pub fn release_health(store: &dyn Store) -> Result<(Vec<ReleaseDay>, u64), StoreError> {
    let stored = store.health_reports()?;
    let total = stored.len();
    let reports: Vec<Report> = stored.iter().filter_map(Report::from_properties).collect();
    let unusable = (total - reports.len()) as u64;
    Ok((aggregate(reports), unusable))
}

/// A per-release table, for `modicum report` and the demo.
pub fn table(rows: &[ReleaseDay]) -> String {
    let percent = |v: Option<f64>| v.map_or("-".to_owned(), |v| format!("{:.2}%", 100.0 * v));
    let mut out = format!(
        "{:<10} {:<12} {:>8} {:>9} {:>8} {:>9} {:>19} {:>19}\n",
        "day",
        "version",
        "installs",
        "sessions",
        "crashed",
        "abnormal",
        "crash-free sessions",
        "crash-free installs"
    );
    for r in rows {
        out.push_str(&format!(
            "{:<10} {:<12} {:>8} {:>9} {:>8} {:>9} {:>19} {:>19}\n",
            r.day,
            r.version,
            r.installs,
            r.sessions,
            r.crashed_sessions,
            r.abnormal_sessions,
            percent(r.crash_free_sessions()),
            percent(r.crash_free_installs()),
        ));
    }
    out
}

/// The UTC date of day `days` since 1970-01-01, as `YYYY-MM-DD`.
fn date(days: u64) -> String {
    let (y, m, d) = modicum_wire::utc_date(days);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn report(version: &str, day: u64, sessions: u64, crashed: u64) -> serde_json::Value {
        json!({
            "version": version, "day": day * DAY_MS, "sessions": sessions,
            "ended": sessions - crashed, "crashed": crashed, "abnormal": 0,
            "crashed_today": crashed > 0,
        })
    }

    #[test]
    fn rates_are_computed_per_release_and_day() {
        let reports = [
            report("1.0", 20_400, 4, 1),
            report("1.0", 20_400, 6, 0),
            report("1.1", 20_400, 2, 2),
            report("1.0", 20_401, 1, 0),
        ];
        let rows = aggregate(reports.iter().filter_map(Report::from_properties));
        assert_eq!(rows.len(), 3);
        let first = &rows[0];
        assert_eq!(
            (first.day.as_str(), first.version.as_str()),
            ("2025-11-08", "1.0")
        );
        assert_eq!((first.installs, first.crashed_installs), (2, 1));
        assert_eq!(first.crash_free_sessions(), Some(0.9));
        assert_eq!(first.crash_free_installs(), Some(0.5));
        assert_eq!(rows[1].crash_free_installs(), Some(0.0));
        assert!(table(&rows).contains("90.00%"));
    }

    #[test]
    fn impossible_or_incomplete_reports_are_not_counted() {
        let mut bad = report("1.0", 1, 3, 1);
        bad["ended"] = json!(5);
        assert_eq!(Report::from_properties(&bad), None);
        let mut lying = report("1.0", 1, 3, 1);
        lying["crashed_today"] = json!(false);
        assert_eq!(Report::from_properties(&lying), None);
        let mut dropped = report("1.0", 1, 3, 1);
        dropped.as_object_mut().unwrap().remove("version");
        assert_eq!(Report::from_properties(&dropped), None);
        assert_eq!(Report::from_properties(&json!({"sessions": -1})), None);
    }
}
