//! The batch payload: what is sealed in an envelope. Encoding groups events into columns
//! ([`layout`]), writes MessagePack, and deflates with a preset dictionary ([`dictionary`]);
//! decoding inflates under a hard output limit and checks every index and length, so hostile
//! bytes yield a typed error, never a panic or unbounded memory. See `docs/wire-format.md`.

mod budget;
mod codec;
mod compress;
mod deletion;
pub mod dictionary;
pub mod hostile;
mod layout;
pub mod sample;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

pub use codec::{decode, decode_expecting, encode, encode_minimized, pack};
pub use deletion::{
    decode_deletion, encode_deletion, DeletionPayload, Proof, DELETION_SCHEMA, MAX_PROOFS,
};

use crate::consent::{Basis, Category};
use crate::minimize::{Minimized, MinimizedValue};

/// The schema version this code writes; it also reads schema 1. The layout is the same; in
/// schema 2 the install pseudonym is the hash of the install's deletion token for its period
/// (see [`crate::transform::DeletionToken::pseudonym`]), so a deletion request can prove it.
pub const SCHEMA: u16 = 2;

/// A property value on the wire. Text is shared: a decoded batch holds each distinct string
/// once however many events refer to it, so what decoding builds is bounded by the payload's
/// own size, not by the references it makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum WireValue {
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(Arc<str>),
    Location { lat: f64, lon: f64 },
}

/// An event as the collector decodes it. The device only ever encodes minimized events
/// ([`WireEvent::from`] a [`Minimized`]); the collector reads these without being able to make
/// a `Minimized`, which only minimization may construct.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WireEvent {
    pub name: Arc<str>,
    pub category: Category,
    pub basis: Basis,
    pub recorded_at_ms: u64,
    pub properties: BTreeMap<Arc<str>, WireValue>,
}

/// What a batch says about itself.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BatchMeta {
    pub app_id: String,
    /// The install's pseudonym for the current period (see `Pseudonymizer::install_pseudonym`).
    pub install: Option<String>,
    pub sdk_version: String,
    pub created_at_ms: u64,
    /// Device context, once per batch rather than in every event.
    pub device: BTreeMap<String, WireValue>,
}

/// A batch: its metadata and events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Batch {
    pub meta: BatchMeta,
    pub events: Vec<WireEvent>,
}

/// Bounds on what decoding accepts. Memory for one decode stays under `max_inflated` (the
/// inflated payload) plus `max_built` (everything built from it: tables, cells, events),
/// however the payload is crafted; `docs/server.md` gives the whole server's bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes inflating may produce: an inflate bomb stops here.
    pub max_inflated: usize,
    pub max_events: usize,
    /// The most bytes decoding may build from the inflated payload.
    pub max_built: usize,
    /// The longest string the payload may hold (a device's text property holds at most 64 KiB).
    pub max_string: usize,
}

impl Limits {
    /// Limits for `max_inflated` bytes inflated, building at most four times that.
    pub fn for_inflated(max_inflated: usize, max_events: usize) -> Limits {
        Limits {
            max_inflated,
            max_events,
            max_built: max_inflated.saturating_mul(4),
            max_string: 64 << 10,
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::for_inflated(4 << 20, 10_000)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("the payload inflates to more than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the payload is not valid deflate data: {0}")]
    Deflate(String),
    #[error("the payload is not a valid batch: {0}")]
    Malformed(String),
    #[error("unsupported schema version {0}")]
    UnknownSchema(u16),
    #[error("the batch holds more than {limit} events")]
    TooManyEvents { limit: usize },
    #[error("decoding the batch would build more than {limit} bytes")]
    TooMuchBuilt { limit: usize },
    #[error("could not encode the batch: {0}")]
    Encode(String),
}

impl From<&Minimized> for WireEvent {
    fn from(m: &Minimized) -> WireEvent {
        let properties = m
            .properties()
            .iter()
            .map(|(k, f)| {
                let value = match f.value() {
                    MinimizedValue::Bool(b) => WireValue::Bool(*b),
                    MinimizedValue::Int(i) => WireValue::Int(*i),
                    MinimizedValue::Double(d) => WireValue::Double(*d),
                    MinimizedValue::Text(t) => WireValue::Text(t.as_str().into()),
                    MinimizedValue::Location { lat, lon } => WireValue::Location {
                        lat: *lat,
                        lon: *lon,
                    },
                };
                (k.as_str().into(), value)
            })
            .collect();
        WireEvent {
            name: m.name().into(),
            category: m.category(),
            basis: m.basis(),
            recorded_at_ms: m.recorded_at_ms(),
            properties,
        }
    }
}

/// A property value as the encoder reads it, borrowed from a [`WireEvent`] or straight from a
/// [`Minimized`] event, so sealing a batch copies no strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum ValueRef<'a> {
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(&'a str),
    Location { lat: f64, lon: f64 },
}

impl<'a> From<&'a WireValue> for ValueRef<'a> {
    fn from(v: &'a WireValue) -> ValueRef<'a> {
        match v {
            WireValue::Bool(b) => ValueRef::Bool(*b),
            WireValue::Int(i) => ValueRef::Int(*i),
            WireValue::Double(d) => ValueRef::Double(*d),
            WireValue::Text(t) => ValueRef::Text(t),
            WireValue::Location { lat, lon } => ValueRef::Location {
                lat: *lat,
                lon: *lon,
            },
        }
    }
}

impl<'a> From<&'a MinimizedValue> for ValueRef<'a> {
    fn from(v: &'a MinimizedValue) -> ValueRef<'a> {
        match v {
            MinimizedValue::Bool(b) => ValueRef::Bool(*b),
            MinimizedValue::Int(i) => ValueRef::Int(*i),
            MinimizedValue::Double(d) => ValueRef::Double(*d),
            MinimizedValue::Text(t) => ValueRef::Text(t),
            MinimizedValue::Location { lat, lon } => ValueRef::Location {
                lat: *lat,
                lon: *lon,
            },
        }
    }
}

/// What the encoder needs of an event: both a decoded [`WireEvent`] and a [`Minimized`] one
/// provide it.
pub(crate) trait EncodeEvent {
    fn name(&self) -> &str;
    fn category(&self) -> Category;
    fn basis(&self) -> Basis;
    fn recorded_at_ms(&self) -> u64;
    /// Property keys, in ascending order.
    fn keys(&self) -> impl Iterator<Item = &str>;
    fn value(&self, key: &str) -> Option<ValueRef<'_>>;
}

impl EncodeEvent for WireEvent {
    fn name(&self) -> &str {
        &self.name
    }
    fn category(&self) -> Category {
        self.category
    }
    fn basis(&self) -> Basis {
        self.basis
    }
    fn recorded_at_ms(&self) -> u64 {
        self.recorded_at_ms
    }
    fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties.keys().map(|k| &**k)
    }
    fn value(&self, key: &str) -> Option<ValueRef<'_>> {
        self.properties.get(key).map(ValueRef::from)
    }
}

impl EncodeEvent for Minimized {
    fn name(&self) -> &str {
        Minimized::name(self)
    }
    fn category(&self) -> Category {
        Minimized::category(self)
    }
    fn basis(&self) -> Basis {
        Minimized::basis(self)
    }
    fn recorded_at_ms(&self) -> u64 {
        Minimized::recorded_at_ms(self)
    }
    fn keys(&self) -> impl Iterator<Item = &str> {
        self.properties().keys().map(String::as_str)
    }
    fn value(&self, key: &str) -> Option<ValueRef<'_>> {
        self.properties()
            .get(key)
            .map(|f| ValueRef::from(f.value()))
    }
}

#[cfg(test)]
mod tests;
