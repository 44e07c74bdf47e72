use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use super::TransformError;

/// A unit a timestamp is rounded down to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeUnit {
    Second,
    Minute,
    Hour,
    Day,
}

impl TimeUnit {
    pub fn millis(self) -> u64 {
        match self {
            TimeUnit::Second => 1_000,
            TimeUnit::Minute => 60_000,
            TimeUnit::Hour => 3_600_000,
            TimeUnit::Day => 86_400_000,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            TimeUnit::Second => "second",
            TimeUnit::Minute => "minute",
            TimeUnit::Hour => "hour",
            TimeUnit::Day => "day",
        }
    }
}

impl fmt::Display for TimeUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for TimeUnit {
    type Err = TransformError;

    fn from_str(name: &str) -> Result<Self, TransformError> {
        [
            TimeUnit::Second,
            TimeUnit::Minute,
            TimeUnit::Hour,
            TimeUnit::Day,
        ]
        .into_iter()
        .find(|u| u.name() == name)
        .ok_or_else(|| TransformError::InvalidParameter {
            name: "unit",
            reason: format!("unknown unit `{name}`"),
        })
    }
}

/// `ms` (since the Unix epoch) rounded down to a whole `unit`.
pub fn coarsen_time(ms: u64, unit: TimeUnit) -> u64 {
    ms - ms % unit.millis()
}

/// `ms` rounded down to a whole multiple of `unit_ms`, for units the enum does not name.
pub fn coarsen_time_ms(ms: u64, unit_ms: u64) -> Result<u64, TransformError> {
    if unit_ms == 0 {
        return Err(TransformError::InvalidParameter {
            name: "unit_ms",
            reason: "must be above zero".into(),
        });
    }
    Ok(ms - ms % unit_ms)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_down_to_each_unit() {
        let t = 1_795_359_944_414; // 2026-11-22T15:05:44.414Z
        assert_eq!(coarsen_time(t, TimeUnit::Second), 1_795_359_944_000);
        assert_eq!(coarsen_time(t, TimeUnit::Minute), 1_795_359_900_000);
        assert_eq!(coarsen_time(t, TimeUnit::Hour), 1_795_359_600_000);
        assert_eq!(coarsen_time(t, TimeUnit::Day), 1_795_305_600_000);
        assert_eq!(coarsen_time(0, TimeUnit::Day), 0);
        assert_eq!(
            coarsen_time(u64::MAX, TimeUnit::Second),
            u64::MAX - u64::MAX % 1000
        );
    }

    #[test]
    fn arbitrary_units_and_names() {
        assert_eq!(coarsen_time_ms(12_345, 5_000), Ok(10_000));
        assert!(coarsen_time_ms(1, 0).is_err());
        assert_eq!("hour".parse::<TimeUnit>(), Ok(TimeUnit::Hour));
        assert!("fortnight".parse::<TimeUnit>().is_err());
    }
}
