//! Modicum's core: what is held on the device, and in what minimized form.
//!
//! This crate is plain Rust with no FFI types, so it can be used from any Rust program and
//! tested without a foreign runtime; `modicum-ffi` adapts it for Kotlin and Swift.
//!
//! The one-way data flow starts here: a caller's [`Event`] is validated, checked against the
//! user's [`Consent`] and the app's [`Policy`], and turned into a [`Minimized`] event by
//! [`minimize()`]. Only a `Minimized` value is ever held, and only `minimize` can make one, so
//! raw input cannot reach storage by accident.

pub mod collect;
mod config;
pub mod consent;
pub mod envelope;
mod error;
mod event;
pub mod journal;
pub mod minimize;
pub mod outbox;
pub mod policy;
mod runtime;
mod scrub;
pub mod secret_store;
pub mod storage;
pub mod transform;
pub mod upload;
pub mod wire;

pub use config::{check_app_id, Config};
pub use consent::{AgeBand, Basis, Category, Consent, Decision};
pub use error::Error;
pub use event::{Event, Property, Value, MAX_NAME_BYTES, MAX_PROPERTIES, MAX_TEXT_BYTES};
pub use minimize::{minimize, Minimized, Trace};
pub use policy::{DataClass, Policy};
pub use runtime::{
    DropReason, HttpMetric, Ledger, LedgerEntry, Modicum, Providers, Recovered, SensorSample,
};
pub use scrub::{
    identifier_in_number, scrub, scrub_report, scrub_with, Families, PiiKind, Scrubbed, Span,
    UnknownFamily,
};
