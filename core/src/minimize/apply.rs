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
    let text = canonical(&value);
    let scrubbed = scrub_report(&text);
    let removed = scrubbed.removed();
    let kept = match scrubbed.text {
        Cow::Owned(changed) => MinimizedValue::Text(changed),
        Cow::Borrowed(_) => value.into(),
    };
    (Some(kept), FieldOutcome::Scrubbed { removed })
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
