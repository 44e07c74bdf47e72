//! How a minimized event is written inside a journal record (before encryption). Tagged
//! explicitly, so reading back never has to guess a value's kind.

use serde::{Deserialize, Serialize};

use crate::consent::{Basis, Category};
use crate::minimize::{Field, Minimized, MinimizedValue};

#[derive(Debug, Serialize, Deserialize)]
pub(super) struct StoredEvent {
    name: String,
    category: Category,
    basis: Basis,
    at: u64,
    props: Vec<StoredField>,
}

#[derive(Debug, Serialize, Deserialize)]
struct StoredField {
    key: String,
    value: StoredValue,
    grant: Option<Category>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "t", content = "v")]
enum StoredValue {
    B(bool),
    I(i64),
    D(f64),
    T(String),
    L(f64, f64),
}

impl From<&Minimized> for StoredEvent {
    fn from(m: &Minimized) -> StoredEvent {
        let props = m
            .properties()
            .iter()
            .map(|(key, field)| StoredField {
                key: key.clone(),
                value: match field.value() {
                    MinimizedValue::Bool(b) => StoredValue::B(*b),
                    MinimizedValue::Int(i) => StoredValue::I(*i),
                    MinimizedValue::Double(d) => StoredValue::D(*d),
                    MinimizedValue::Text(t) => StoredValue::T(t.clone()),
                    MinimizedValue::Location { lat, lon } => StoredValue::L(*lat, *lon),
                },
                grant: field.grant(),
            })
            .collect();
        StoredEvent {
            name: m.name().to_owned(),
            category: m.category(),
            basis: m.basis(),
            at: m.recorded_at_ms(),
            props,
        }
    }
}

impl StoredEvent {
    /// Back to the event it was written from. Only the journal restores minimized events, and
    /// only from records it encrypted itself.
    pub(super) fn restore(self) -> Minimized {
        let properties = self
            .props
            .into_iter()
            .map(|f| {
                let value = match f.value {
                    StoredValue::B(b) => MinimizedValue::Bool(b),
                    StoredValue::I(i) => MinimizedValue::Int(i),
                    StoredValue::D(d) => MinimizedValue::Double(d),
                    StoredValue::T(t) => MinimizedValue::Text(t),
                    StoredValue::L(lat, lon) => MinimizedValue::Location { lat, lon },
                };
                (f.key, Field::new(value, f.grant))
            })
            .collect();
        Minimized::restore(self.name, self.category, self.basis, self.at, properties)
    }
}
