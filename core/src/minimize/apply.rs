//! Carrying out one action on one value.

use std::borrow::Cow;

use super::{Context, FieldOutcome, MinimizedValue};
use crate::policy::{Action, DataClass, Generalization};
use crate::transform::{bucket_capacity, coarsen_location, coarsen_time, generalize_ip};
use crate::{scrub_report, Value};

pub(super) fn apply(
    action: &Action,
    class: DataClass,
    value: Value,
    cx: &Context<'_>,
) -> (Option<MinimizedValue>, FieldOutcome) {
    match action {
        Action::Drop => (None, FieldOutcome::Dropped),
        Action::Aggregate => (None, FieldOutcome::Aggregated),
        Action::Keep if class == DataClass::Custom => keep_custom(value),
        Action::Keep => (Some(value.into()), FieldOutcome::Kept),
        Action::Hash { .. } => {
            let pseudonym = cx
                .pseudonymizer
                .pseudonym(class.name(), &canonical(&value), cx.now_ms);
            (Some(MinimizedValue::Text(pseudonym)), FieldOutcome::Hashed)
        }
        Action::Scrub => scrub_value(value),
        Action::Generalize(g) => match generalize(g, &value) {
            Some(v) => (Some(v), FieldOutcome::Generalized),
            None => (None, FieldOutcome::Unusable),
        },
    }
}

fn generalize(g: &Generalization, value: &Value) -> Option<MinimizedValue> {
    match (g, value) {
        (Generalization::Ip, Value::Text(t)) => generalize_ip(t).ok().map(MinimizedValue::Text),
        (Generalization::Grid { cell_m }, Value::Location { lat, lon }) => {
            coarsen_location(*lat, *lon, *cell_m)
                .ok()
                .map(|(lat, lon)| MinimizedValue::Location { lat, lon })
        }
        (Generalization::Bucket, Value::Int(n)) => {
            let n = u64::try_from(*n).ok()?;
            i64::try_from(bucket_capacity(n))
                .ok()
                .map(MinimizedValue::Int)
        }
        (Generalization::Time { unit }, Value::Int(ms)) => {
            let ms = u64::try_from(*ms).ok()?;
            i64::try_from(coarsen_time(ms, *unit))
                .ok()
                .map(MinimizedValue::Int)
        }
        _ => None,
    }
}

/// App-defined numbers are kept, unless their digits read as personal data (an IMEI or a
/// card number stored as an integer), in which case the scrubber's tag replaces them.
fn keep_custom(value: Value) -> (Option<MinimizedValue>, FieldOutcome) {
    match value {
        Value::Int(_) | Value::Double(_) => scrub_value(value),
        other => (Some(other.into()), FieldOutcome::Kept),
    }
}

fn scrub_value(value: Value) -> (Option<MinimizedValue>, FieldOutcome) {
    if too_short_to_hold_pii(&value) {
        return (Some(value.into()), FieldOutcome::Scrubbed { removed: 0 });
    }
    let text = canonical(&value);
    let scrubbed = scrub_report(&text);
    let removed = scrubbed.removed();
    let kept = match scrubbed.text {
        Cow::Owned(changed) => MinimizedValue::Text(changed),
        Cow::Borrowed(_) => value.into(),
    };
    (Some(kept), FieldOutcome::Scrubbed { removed })
}

/// The largest whole number of six digits: the shortest number-shaped detector needs seven.
const SIX_DIGITS: u64 = 999_999;

/// Values whose text no detector can match, known without formatting them: a boolean, or a
/// whole number of at most six digits. The shortest number-shaped detector (phone numbers)
/// needs seven digits, and the others need letters, `@`, or several separators.
fn too_short_to_hold_pii(value: &Value) -> bool {
    match value {
        Value::Bool(_) => true,
        Value::Int(i) => i.unsigned_abs() <= SIX_DIGITS,
        Value::Double(d) => short_decimal(*d),
        Value::Text(_) | Value::Location { .. } => false,
    }
}

/// Whether `d` prints with at most six digits in all (counting the `0` before the point of
/// a fraction): it is exactly `n / 10^scale` for a small enough `n`, and Rust prints the
/// shortest decimal that reads back as `d`, so it prints no more digits than `n` has.
fn short_decimal(d: f64) -> bool {
    (0..=5).any(|scale| {
        let factor = 10f64.powi(scale);
        let n = (d * factor).round();
        // A fraction's leading `0` is one of its six digits.
        let limit = if d.abs() < 1.0 {
            SIX_DIGITS / 10
        } else {
            SIX_DIGITS
        } as f64;
        n.abs() <= limit && n / factor == d
    })
}

impl From<Value> for MinimizedValue {
    fn from(value: Value) -> MinimizedValue {
        match value {
            Value::Bool(b) => MinimizedValue::Bool(b),
            Value::Int(i) => MinimizedValue::Int(i),
            Value::Double(d) => MinimizedValue::Double(d),
            Value::Text(t) => MinimizedValue::Text(t),
            Value::Location { lat, lon } => MinimizedValue::Location { lat, lon },
        }
    }
}

/// The value as text: what a pseudonym is computed over and what the scrubber reads.
fn canonical(value: &Value) -> Cow<'_, str> {
    match value {
        Value::Text(t) => Cow::Borrowed(t),
        Value::Bool(b) => Cow::Owned(b.to_string()),
        Value::Int(i) => Cow::Owned(i.to_string()),
        Value::Double(d) => Cow::Owned(d.to_string()),
        Value::Location { lat, lon } => Cow::Owned(format!("{lat},{lon}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shortcut must agree with the scrubber on every value it skips, and the boundary
    /// (seven digits) must still reach the scrubber.
    #[test]
    fn values_skipped_by_the_shortcut_are_ones_the_scrubber_leaves_alone() {
        let mut skipped = vec![Value::Bool(true), Value::Bool(false), Value::Double(-0.0)];
        for n in [0i64, 7, 42, 123_456, 999_999, -999_999, 100_000, 555_123] {
            skipped.push(Value::Int(n));
            skipped.push(Value::Double(n as f64));
        }
        for d in [0.25, 0.5, -3.125, 12.75, 99_999.9, 0.00001, 1234.56] {
            skipped.push(Value::Double(d));
        }
        for value in skipped {
            assert!(too_short_to_hold_pii(&value), "{value:?}");
            let text = canonical(&value);
            let report = scrub_report(&text);
            assert_eq!(report.removed(), 0, "{value:?}");
            assert_eq!(report.text, text, "{value:?}");
        }
        for value in [
            Value::Int(5_551_234),
            Value::Double(555.1234),
            Value::Double(0.123456),
            Value::Double(1e-7),
            Value::Double(0.1 + 0.2),
            Value::Int(-1_000_000),
            Value::Double(5_551_234.0),
            Value::Double(f64::NAN),
            Value::Double(f64::INFINITY),
            Value::Text("1".into()),
        ] {
            assert!(!too_short_to_hold_pii(&value), "{value:?}");
        }
    }
}
