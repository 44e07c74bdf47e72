use std::collections::BTreeMap;

use serde::Serialize;

use crate::consent::{Category, Consent, Permit};
use crate::event::{Event, Value};
use crate::scrub::scrub;

/// An event after minimization: the only form in which Modicum holds data. Its fields are
/// private and only [`minimize`] constructs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minimized {
    name: String,
    category: Category,
    recorded_at_ms: u64,
    properties: BTreeMap<String, MinimizedValue>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
enum MinimizedValue {
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(String),
}

impl Serialize for Category {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl Minimized {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn category(&self) -> Category {
        self.category
    }

    pub fn recorded_at_ms(&self) -> u64 {
        self.recorded_at_ms
    }
}

/// Custom events serve product analytics, so they need the analytics grant.
const CUSTOM_EVENT_CATEGORY: Category = Category::Analytics;

/// Minimizes a validated custom event under the user's consent: `None` when the consent
/// does not allow it at all; otherwise every text value is scrubbed.
pub fn minimize(event: &Event, consent: &Consent, now_ms: u64) -> Option<Minimized> {
    let permit = consent.permit(CUSTOM_EVENT_CATEGORY)?;
    Some(minimize_permitted(event, permit, now_ms))
}

fn minimize_permitted(event: &Event, permit: Permit, now_ms: u64) -> Minimized {
    let properties = event
        .properties
        .iter()
        .map(|(key, value)| {
            let value = match value {
                Value::Bool(b) => MinimizedValue::Bool(*b),
                Value::Int(i) => MinimizedValue::Int(*i),
                Value::Double(d) => MinimizedValue::Double(*d),
                Value::Text(t) => MinimizedValue::Text(scrub(t).into_owned()),
            };
            (key.clone(), value)
        })
        .collect();
    Minimized { name: event.name.clone(), category: permit.category(), recorded_at_ms: now_ms, properties }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn granted(category: Category) -> Consent {
        let mut consent = Consent::default();
        consent.set(category, true, 0);
        consent
    }

    #[test]
    fn nothing_without_analytics_consent() {
        let event = Event::new("tap");
        assert_eq!(minimize(&event, &Consent::default(), 5), None);
        assert_eq!(minimize(&event, &granted(Category::Diagnostics), 5), None);
    }

    #[test]
    fn text_is_scrubbed_and_other_values_kept() {
        let event = Event::new("signup")
            .with("note", Value::Text("from ann@example.org".into()))
            .with("step", Value::Int(3))
            .with("ok", Value::Bool(true))
            .with("ratio", Value::Double(0.5));
        let min = minimize(&event, &granted(Category::Analytics), 7).unwrap();
        assert_eq!(min.name(), "signup");
        assert_eq!(min.category(), Category::Analytics);
        assert_eq!(min.recorded_at_ms(), 7);
        let json = serde_json::to_value(&min).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "name": "signup", "category": "analytics", "recorded_at_ms": 7,
                "properties": {"note": "from [email]", "step": 3, "ok": true, "ratio": 0.5}
            })
        );
    }
}
