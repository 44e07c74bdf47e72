//! The uniffi surface of Modicum. Each item here adapts a `modicum-core` type for Kotlin and
//! Swift and holds no logic of its own: validation, consent and minimization live in the core.
//!
//! Every exported function returns a `Result` or cannot fail, and the core never panics on
//! input, so no Rust panic crosses into the host app; were one to happen anyway, uniffi turns
//! it into a foreign exception because the crate unwinds (`panic = "unwind"`).

mod collect;
mod durability;
mod error;
mod modicum;
mod providers;
mod sessions;
mod upload;
mod value;

pub use collect::{
    BatchRecordOutcome, CrashReport, DeviceInfo, HttpMetric, NetworkState, RejectedEvent,
    SensorReading,
};
pub use durability::{Durability, SettledListener};
pub use error::ModicumError;
pub use modicum::{scrub, CustomEvent, Endpoint, ModicumConfig, ModicumCore};
pub use providers::{Clock, DeviceInfoProvider, NetworkProvider, PlatformProviders, SecretStore};
pub use upload::{
    HttpHeader, NextUpload, UploadConditions, UploadOutcome, UploadReport, UploadRequest, Uploader,
};
pub use value::{AgeBand, DataClass, DropReason, PropertyValue};

uniffi::setup_scaffolding!();
