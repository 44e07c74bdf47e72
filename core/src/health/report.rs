//! One day's counts for one app version, as the event that carries them.

use super::book::Tally;
use crate::{Category, DataClass, Event, Value};

use modicum_wire::{DAY_MS, HEALTH_EVENT};

/// The version sessions are counted under when the app configured none.
pub const UNKNOWN_VERSION: &str = "unknown";

/// What one install says about one app version on one day. No session id, no install id, no
/// pseudonym: the batch it leaves in carries neither (see `runtime::batcher`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyHealth {
    pub tally: Tally,
}

impl DailyHealth {
    /// Whether the install crashed at least once that day, in that version.
    pub fn crashed(&self) -> bool {
        self.tally.crashed > 0
    }

    /// The report as an event in `diagnostics`. Each field declares its data class, so the
    /// policy decides what leaves as for any other event: the version is `device.basic`, the
    /// day (its first millisecond, UTC) is `time`, and the counts are `custom` numbers.
    pub fn event(&self) -> Event {
        let t = &self.tally;
        let count = |n: u32| Value::Int(i64::from(n));
        Event::new(HEALTH_EVENT)
            .in_category(Category::Diagnostics)
            .with_class(
                "version",
                Value::Text(t.version.clone()),
                DataClass::DeviceBasic,
            )
            .with_class(
                "day",
                Value::Int(i64::try_from(t.day * DAY_MS).unwrap_or(i64::MAX)),
                DataClass::Time,
            )
            .with_class("sessions", count(t.started), DataClass::Custom)
            .with_class("ended", count(t.ended), DataClass::Custom)
            .with_class("crashed", count(t.crashed), DataClass::Custom)
            .with_class("abnormal", count(t.abnormal), DataClass::Custom)
            .with_class(
                "crashed_today",
                Value::Bool(self.crashed()),
                DataClass::Custom,
            )
    }
}
