//! Carrying out one action on one value.

use std::borrow::Cow;

use super::{Context, FieldOutcome, MinimizedValue};
use crate::policy::{Action, DataClass, Generalization};
use crate::transform::{bucket_capacity, coarsen_location, coarsen_time, generalize_ip};
use crate::Value;
use modicum_scrub::{identifier_in_number, integer_digits};
use modicum_scrub::{scrub_with, Families};

pub(super) fn apply(
    action: &Action,
    class: DataClass,
    value: Value,
    cx: &Context<'_>,
) -> (Option<MinimizedValue>, FieldOutcome) {
    match action {
        Action::Drop => (None, FieldOutcome::Dropped),
        Action::Aggregate => (None, FieldOutcome::Aggregated),
        Action::Keep if class == DataClass::Custom => keep_custom(value, cx.policy.families()),
        Action::Keep => (Some(value.into()), FieldOutcome::Kept),
        Action::Hash { .. } => {
            let pseudonym = cx
                .pseudonymizer
                .pseudonym(class.name(), &canonical(&value), cx.now_ms);
            (Some(MinimizedValue::Text(pseudonym)), FieldOutcome::Hashed)
        }
        Action::Scrub => scrub_value(value, cx.policy.families()),
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

/// App-defined numbers are kept, unless their digits read as personal data (see
/// [`number`]).
fn keep_custom(value: Value, families: Families) -> (Option<MinimizedValue>, FieldOutcome) {
    match value {
        Value::Int(_) | Value::Double(_) => number(value, families),
        other => (Some(other.into()), FieldOutcome::Kept),
    }
}

fn scrub_value(value: Value, families: Families) -> (Option<MinimizedValue>, FieldOutcome) {
    match value {
        Value::Text(text) => {
            let scrubbed = scrub_with(&text, families);
            let removed = scrubbed.removed();
            let kept = match scrubbed.text {
                Cow::Owned(changed) => changed,
                Cow::Borrowed(_) => text,
            };
            (
                Some(MinimizedValue::Text(kept)),
                FieldOutcome::Scrubbed { removed },
            )
        }
        Value::Int(_) | Value::Double(_) => number(value, families),
        // Neither a boolean nor a coordinate pair has digits an identifier could hide in.
        other => (Some(other.into()), FieldOutcome::Scrubbed { removed: 0 }),
    }
}

/// A number stays a number of the same type: it is kept as it is, or dropped whole when its
/// integer digits are an identifier (an IMEI or a card number stored as an integer, say).
/// Never rewritten into text, and the fraction digits of a double are never read: they are
/// not an identifier, and a Luhn-valid run among them is chance.
fn number(value: Value, families: Families) -> (Option<MinimizedValue>, FieldOutcome) {
    let digits = match value {
        Value::Int(i) => Some(i.unsigned_abs()),
        Value::Double(d) => integer_digits(d),
        _ => None,
    };
    match digits.and_then(|n| identifier_in_number(n, families)) {
        Some(_) => (None, FieldOutcome::Scrubbed { removed: 1 }),
        None => (Some(value.into()), FieldOutcome::Scrubbed { removed: 0 }),
    }
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

    fn kept(value: Value) -> Option<MinimizedValue> {
        number(value, Families::ALL).0
    }

    /// Numbers keep their type and value exactly, whatever digits they show.
    #[test]
    fn numbers_stay_numbers() {
        for value in [
            Value::Double(16.285714285714285),
            Value::Double(-0.0),
            Value::Double(0.1 + 0.2),
            Value::Double(f64::MAX),
            Value::Double(1e-300),
            Value::Int(5_551_234),
            Value::Int(1_795_359_944_414),
            Value::Int(i64::MIN),
            Value::Double(4111.111111111111),
        ] {
            let expected = MinimizedValue::from(value.clone());
            let got = kept(value.clone()).unwrap_or_else(|| panic!("{value:?} was dropped"));
            match (&got, &expected) {
                (MinimizedValue::Double(a), MinimizedValue::Double(b)) => {
                    assert_eq!(a.to_bits(), b.to_bits(), "{value:?}")
                }
                _ => assert_eq!(got, expected, "{value:?}"),
            }
        }
    }

    /// A number whose integer digits are an IMEI or a card number is dropped, not rewritten.
    #[test]
    fn identifiers_stored_as_numbers_are_dropped() {
        for value in [
            Value::Int(490_154_203_237_518),
            Value::Int(4_111_111_111_111_111),
            Value::Int(-4_111_111_111_111_111),
            Value::Double(490_154_203_237_518.0),
        ] {
            assert_eq!(
                number(value.clone(), Families::ALL),
                (None, FieldOutcome::Scrubbed { removed: 1 }),
                "{value:?}"
            );
        }
    }
}
