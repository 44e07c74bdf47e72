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
    properties: BTreeMap<String, MinimizedValue>,
    /// For each property a rule let through only with a category granted, that category:
    /// withdrawing it removes the property (see [`Minimized::withdraw`]).
    #[serde(skip)]
    grants: BTreeMap<String, Category>,
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
        properties: BTreeMap<String, MinimizedValue>,
        grants: BTreeMap<String, Category>,
    ) -> Minimized {
        Minimized {
            name,
            category: permit.category(),
            basis: permit.basis(),
            recorded_at_ms,
            properties,
            grants,
        }
    }

    /// Applies the withdrawal of `category`: `false` if the whole event must go, otherwise
    /// the properties that category allowed are removed and `true` is returned.
    pub fn withdraw(&mut self, category: Category) -> bool {
        if self.category == category {
            return false;
        }
        let properties = &mut self.properties;
        self.grants.retain(|key, granted| {
            let keep = *granted != category;
            if !keep {
                properties.remove(key);
            }
            keep
        });
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

    pub fn properties(&self) -> &BTreeMap<String, MinimizedValue> {
        &self.properties
    }
}
