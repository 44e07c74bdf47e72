//! How a minimized event is written inside a journal record (before encryption). Tagged
//! explicitly, so reading back never has to guess a value's kind.

use serde::{Deserialize, Serialize};

use crate::consent::{Basis, Category};
use crate::minimize::{Field, Minimized, MinimizedValue};

#[derive(Debug, Deserialize)]
pub(super) struct StoredEvent {
    name: String,
    category: Category,
    basis: Basis,
    at: u64,
    props: Vec<StoredField>,
    /// Absent in records written before generations were kept: read as 0, "unknown".
    #[serde(default)]
    generation: u32,
}

#[derive(Debug, Deserialize)]
struct StoredField {
    key: String,
    value: StoredValue,
    grant: Option<Category>,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "t", content = "v")]
enum StoredValue {
    B(bool),
    I(i64),
    D(f64),
    T(String),
    L(f64, f64),
}

/// The writing side of [`StoredEvent`]: the same shape, borrowing from the event, so
/// journaling copies no string.
#[derive(Serialize)]
pub(super) struct StoredEventRef<'a> {
    name: &'a str,
    category: Category,
    basis: Basis,
    at: u64,
    props: Props<'a>,
    generation: u32,
}

struct Props<'a>(&'a std::collections::BTreeMap<crate::properties::Key, Field>);

#[derive(Serialize)]
struct StoredFieldRef<'a> {
    key: &'a str,
    value: StoredValueRef<'a>,
    grant: Option<Category>,
}

#[derive(Serialize)]
#[serde(tag = "t", content = "v")]
enum StoredValueRef<'a> {
    B(bool),
    I(i64),
    D(f64),
    T(&'a str),
    L(f64, f64),
}

impl Serialize for Props<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.iter().map(|(key, field)| StoredFieldRef {
            key,
            value: match field.value() {
                MinimizedValue::Bool(b) => StoredValueRef::B(*b),
                MinimizedValue::Int(i) => StoredValueRef::I(*i),
                MinimizedValue::Double(d) => StoredValueRef::D(*d),
                MinimizedValue::Text(t) => StoredValueRef::T(t),
                MinimizedValue::Location { lat, lon } => StoredValueRef::L(*lat, *lon),
            },
            grant: field.grant(),
        }))
    }
}

impl<'a> From<&'a Minimized> for StoredEventRef<'a> {
    fn from(m: &'a Minimized) -> StoredEventRef<'a> {
        StoredEventRef {
            name: m.name(),
            category: m.category(),
            basis: m.basis(),
            at: m.recorded_at_ms(),
            props: Props(m.properties()),
            generation: m.generation(),
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
                (f.key.into(), Field::new(value, f.grant))
            })
            .collect();
        Minimized::restore(
            self.name,
            self.category,
            self.basis,
            self.at,
            properties,
            self.generation,
        )
    }
}
