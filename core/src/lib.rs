//! Modicum's core: what is held on the device, and in what minimized form.
//!
//! This crate is plain Rust with no FFI types, so it can be used from any Rust program and
//! tested without a foreign runtime; `modicum-ffi` adapts it for Kotlin and Swift.
//!
//! The one-way data flow starts here: a caller's [`Event`] is validated, checked against the
//! user's [`Consent`] and the app's [`Policy`], and turned into a [`Minimized`] event by
//! [`minimize()`]. Only a `Minimized` value is ever held, and only `minimize` can make one, so
//! raw input cannot reach storage by accident.

mod alternating;
mod at_rest;
pub mod clock;
pub mod collect;
mod config;
pub mod consent;
mod error;
mod event;
pub mod health;
pub mod journal;
pub mod minimize;
pub mod outbox;
pub mod policy;
mod properties;
mod runtime;
pub mod secret_store;
pub mod storage;
pub mod transform;
pub mod upload;

pub use config::Config;
pub use consent::{AgeBand, Basis, Category, Consent, Decision};
pub use error::Error;
pub use modicum_wire::check_app_id;
/// The wire format and the envelope, from `modicum-wire`: what the device writes is what a
/// collector reads.
pub use modicum_wire::{self as wire, envelope};

pub use event::{
    Event, Property, Value, MAX_NAME_BYTES, MAX_PROPERTIES, MAX_TEXT_BYTES, RESERVED_PREFIX,
};
pub use minimize::{minimize, Minimized, Trace};
pub use modicum_scrub::{
    identifier_in_number, scrub, scrub_report, scrub_with, Families, PiiKind, Scrubbed, Span,
    UnknownFamily,
};
pub use policy::{DataClass, Policy};
pub use properties::{Key, Properties};
pub use runtime::{
    DropReason, Durability, HttpMetric, Ledger, LedgerEntry, Modicum, Providers, Recovered,
    SensorSample,
};
// What a Rust app names to start, configure uploads and run the pull-upload loop, at the root
// so `use modicum_core::{...}` is enough.
pub use collect::device::DeviceInfo;
pub use envelope::CollectorKey;
pub use upload::{Conditions, Endpoint, NextUpload, UploadOutcome, UploadRequest, WaitReason};

#[cfg(test)]
mod batch_tests;
