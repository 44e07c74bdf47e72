//! Calendar dates from Unix time: the JSON rows of a sample and the collector's release
//! health name UTC days, and neither needs a time-zone library for it.

/// Milliseconds in a day: days are UTC days, numbered from the Unix epoch.
pub const DAY_MS: u64 = 86_400_000;

/// The UTC date (year, month, day) of day `days` since 1970-01-01, proleptic Gregorian (the
/// civil-from-days algorithm). Unsigned throughout: days before 1970 do not occur here.
pub fn utc_date(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_utc_calendar_days() {
        assert_eq!(utc_date(0), (1970, 1, 1));
        assert_eq!(utc_date(19_782), (2024, 2, 29));
        assert_eq!(utc_date(20_400), (2025, 11, 8));
        assert_eq!(utc_date(10_956), (1999, 12, 31));
    }
}
