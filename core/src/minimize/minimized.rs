use std::collections::BTreeMap;

use serde::Serialize;

use crate::consent::{Basis, Category, Permit};
use crate::properties::Key;

/// An event after minimization: the only form in which Modicum holds data. Its fields are
/// private and only [`super::minimize`] constructs it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Minimized {
    name: Key,
    category: Category,
    /// Consent or essential: shown with every event so essential processing is never
    /// mistaken for consent.
    basis: Basis,
    recorded_at_ms: u64,
    /// Keys stay borrowed when the app gave literals: no allocation per key on the worker.
    properties: BTreeMap<Key, Field>,
    /// Which install secret hashed its identifiers (see
    /// [`crate::transform::Pseudonymizer::generation`]): a batch names its sender only when
    /// every event in it was hashed under the secret in force, so `reset_identifiers` never
    /// lets a new install pseudonym travel with identifiers hashed under the old secret.
    #[serde(skip)]
    generation: u32,
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
        name: Key,
        permit: Permit,
        recorded_at_ms: u64,
        properties: BTreeMap<Key, Field>,
        generation: u32,
    ) -> Minimized {
        Minimized {
            name,
            category: permit.category(),
            basis: permit.basis(),
            recorded_at_ms,
            properties,
            generation,
        }
    }

    /// An event read back from the journal, which only ever holds what `minimize` made.
    pub(crate) fn restore(
        name: String,
        category: Category,
        basis: Basis,
        recorded_at_ms: u64,
        properties: BTreeMap<Key, Field>,
        generation: u32,
    ) -> Minimized {
        Minimized {
            name: name.into(),
            category,
            basis,
            recorded_at_ms,
            properties,
            generation,
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

    /// Keeps only what `allowed` still permits: `None` if the event's own category is not
    /// allowed (it must go whole); otherwise removes the fields whose grant is not allowed
    /// and says whether any were.
    pub fn restrict(&mut self, allowed: impl Fn(Category) -> bool) -> Option<bool> {
        if !allowed(self.category) {
            return None;
        }
        // Read first: a reconciliation usually finds nothing to remove, and `retain` would
        // walk the map mutably for every event of every round.
        if self
            .properties
            .values()
            .all(|field| field.grant.is_none_or(&allowed))
        {
            return Some(false);
        }
        self.properties
            .retain(|_, field| field.grant.is_none_or(&allowed));
        Some(true)
    }

    /// The install secret its identifiers were hashed under (see [`Minimized::generation`]'s
    /// field).
    pub fn generation(&self) -> u32 {
        self.generation
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

    pub fn properties(&self) -> &BTreeMap<Key, Field> {
        &self.properties
    }
}
