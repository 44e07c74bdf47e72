//! Modicum's wire format, shared by devices and collectors: the batch payload (columnar
//! MessagePack, deflated with a preset [`dictionary`]), the [`envelope`] that seals it with
//! HPKE (RFC 9180) to a collector's key, the deletion request and its [`DeletionToken`]s, and
//! the names a batch carries ([`Category`], [`Basis`]). `docs/wire-format.md` is the
//! specification; this crate is its reference implementation.
//!
//! A collector written in Rust needs this crate with its `collector` feature and nothing of the
//! device's runtime:
//!
//! ```
//! # #[cfg(feature = "collector")]
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use modicum_wire::collector::{open_envelope, KeyPair, KeyRing};
//! use modicum_wire::envelope::{seal, Aead, CollectorKey, Purpose};
//! use modicum_wire::{decode_sealed, encode, sample, Limits};
//!
//! // The collector's key pair; apps embed its public half.
//! let pair = KeyPair::generate()?;
//! let key = CollectorKey::from_public_bytes(pair.public_bytes())?;
//! let keys = KeyRing::new([pair]);
//!
//! // What a device sends: a payload, sealed.
//! let batch = sample::session(7, 20);
//! let sealed = seal(&key, Aead::ChaCha20Poly1305, &encode(&batch)?, 20, batch.meta.created_at_ms)?;
//!
//! // What a collector does with the body of a POST: the header says which format (and so
//! // which dictionary) the payload is in, and how many events it holds.
//! let (header, payload) = open_envelope(&keys, &sealed.bytes, Purpose::Batch)?;
//! let opened = decode_sealed(&header, &payload, Limits::default())?;
//! assert_eq!(opened, batch);
//! # Ok(())
//! # }
//! # #[cfg(not(feature = "collector"))]
//! # fn main() {}
//! ```
//!
//! Decoding inflates under a hard output limit and checks every index, length and count before
//! it builds anything, so hostile bytes yield a typed error, never a panic or unbounded memory
//! ([`Limits`]).
//!
//! Devices POST each sealed batch, as `application/octet-stream`, to `/v1/batches` under the
//! collector's base URL, and deletion requests (sealed under [`envelope::Purpose::Deletion`],
//! decoded with [`decode_deletion`]) to `/v1/deletions`. What a device does with each answer:
//! 2xx and 409 (already stored: batch ids repeat only on retries) mean delivered; 413 makes it
//! split the batch in two; 408, 429 and 503 (honouring `Retry-After`), other 5xx and network
//! errors make it retry later with the same batch id; any other 4xx drops the batch for good, counted. A
//! deletion request proves each pseudonym it names: keep a proof only when
//! [`DeletionToken::pseudonym`] of its token equals the pseudonym. The reference collector
//! (`modicum-server`, `docs/server.md`) shows the checks worth making before storing anything.

mod app_id;
mod budget;
mod codec;
#[cfg(feature = "collector")]
pub mod collector;
mod compress;
mod date;
mod deletion;
pub mod dictionary;
pub mod envelope;
pub mod hostile;
mod layout;
mod names;
pub mod sample;
mod token;

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;

pub use app_id::{check_app_id, MAX_APP_ID_BYTES};
pub use codec::{
    decode, decode_as, decode_expecting, decode_sealed, encode, encode_events, encode_events_as,
    pack,
};
pub use date::{utc_date, DAY_MS};
pub use deletion::{
    decode_deletion, encode_deletion, DeletionPayload, Proof, DELETION_SCHEMA, MAX_PROOFS,
};
pub use names::{Basis, Category, UnknownCategory, HEALTH_EVENT};
pub use token::DeletionToken;

/// The schema version this code writes; it also reads schema 1. The layout is the same; in
/// schema 2 the install pseudonym is the hash of the install's deletion token for its period
/// (see [`DeletionToken::pseudonym`]), so a deletion request can prove it.
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

/// An event as a collector decodes it. A device encodes its own minimized events through
/// [`EncodeEvent`]; a collector reads these.
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

/// A property value as the encoder reads it, borrowed from a [`WireEvent`] or straight from
/// the sender's own event type, so sealing a batch copies no strings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ValueRef<'a> {
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

impl From<ValueRef<'_>> for WireValue {
    fn from(v: ValueRef<'_>) -> WireValue {
        match v {
            ValueRef::Bool(b) => WireValue::Bool(b),
            ValueRef::Int(i) => WireValue::Int(i),
            ValueRef::Double(d) => WireValue::Double(d),
            ValueRef::Text(t) => WireValue::Text(t.into()),
            ValueRef::Location { lat, lon } => WireValue::Location { lat, lon },
        }
    }
}

/// What the encoder needs of an event. [`WireEvent`] provides it; a device implements it for
/// its own event type so [`encode_events`] reads events in place.
pub trait EncodeEvent {
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

#[cfg(test)]
mod tests;
