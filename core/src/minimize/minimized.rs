use std::collections::BTreeMap;

use serde::Serialize;

use crate::consent::{Basis, Category, Permit};

/// An event after minimization: the only form in which Modicum holds data. Its fields are
/// private and only [`super::minimize`] constructs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minimized {
    name: String,
    category: Category,
    /// Consent or essential: shown with every event so essential processing is never
    /// mistaken for consent.
    basis: Basis,
    recorded_at_ms: u64,
    properties: BTreeMap<String, Field>,
}

/// One property of a minimized event: its value, and the category whose grant let it through
/// (if the rule required one), so withdrawing that category can take it back.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    value: MinimizedValue,
    grant: Option<Category>,
}

impl Field {
    pub(crate) fn new(value: MinimizedValue, grant: Option<Category>) -> Field {
        Field { value, grant }
    }

    pub fn value(&self) -> &MinimizedValue {
        &self.value
    }

    pub fn grant(&self) -> Option<Category> {
        self.grant
    }
}

/// A field serializes as its value: the grant is bookkeeping on the device, not data.
impl Serialize for Field {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

/// A property value after minimization.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum MinimizedValue {
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(String),
    Location { lat: f64, lon: f64 },
}

impl Minimized {
    pub(super) fn new(
        name: String,
        permit: Permit,
        recorded_at_ms: u64,
        properties: BTreeMap<String, Field>,
    ) -> Minimized {
        Minimized {
            name,
            category: permit.category(),
            basis: permit.basis(),
            recorded_at_ms,
            properties,
        }
    }

    /// An event read back from the journal, which only ever holds what `minimize` made.
    pub(crate) fn restore(
        name: String,
        category: Category,
        basis: Basis,
        recorded_at_ms: u64,
        properties: BTreeMap<String, Field>,
    ) -> Minimized {
        Minimized {
            name,
            category,
            basis,
            recorded_at_ms,
            properties,
        }
    }

    /// Applies the withdrawal of `category`: `false` if the whole event must go, otherwise
    /// the properties that category allowed are removed and `true` is returned.
    pub fn withdraw(&mut self, category: Category) -> bool {
        if self.category == category {
            return false;
        }
        self.properties
            .retain(|_, field| field.grant != Some(category));
        true
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn category(&self) -> Category {
        self.category
    }

    pub fn basis(&self) -> Basis {
        self.basis
    }

    pub fn recorded_at_ms(&self) -> u64 {
        self.recorded_at_ms
    }

    pub fn properties(&self) -> &BTreeMap<String, Field> {
        &self.properties
    }
}
