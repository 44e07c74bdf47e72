//! Uploading, as Kotlin and Swift see it: the pull model for WorkManager/JobScheduler and
//! BGTaskScheduler (`next_upload`, `upload_finished`), and the push helper driving an
//! `Uploader` the platform implements (HttpURLConnection, URLSession).

use std::sync::Arc;
use std::time::Duration;

use modicum_core::upload as core;
use modicum_core::upload::WaitReason;

use crate::{ModicumCore, ModicumError};

/// What the platform knows about the device right now.
#[derive(Debug, Clone, Copy, uniffi::Record)]
pub struct UploadConditions {
    pub connected: bool,
    pub metered: bool,
    pub battery_low: bool,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// One HTTP POST for the platform to send.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UploadRequest {
    /// Names the request when its outcome is reported.
    pub id: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    pub body: Vec<u8>,
}

/// Why an upload waits: the core's own enum, crossing as a Kotlin and Swift enum (uniffi's
/// remote-type support: this mirrors its variants, the core's definition is the one compiled).
#[uniffi::remote(Enum)]
pub enum WaitReason {
    InFlight,
    Backoff,
    RetryAfter,
    NoNetwork,
    Unmetered,
    LowBattery,
    CrossBorderConsent,
    NoEndpoint,
}

#[derive(Debug, Clone, uniffi::Enum)]
pub enum NextUpload {
    /// Send this, then report the outcome with `upload_finished`.
    Send { request: UploadRequest },
    /// Ask again after `retry_in_ms`, or when conditions change (`None`).
    Wait {
        reason: WaitReason,
        retry_in_ms: Option<u64>,
    },
    /// Nothing waits to be uploaded.
    Idle,
}

#[derive(Debug, Clone, uniffi::Enum)]
pub enum UploadOutcome {
    Response {
        status: u16,
        retry_after: Option<String>,
    },
    NetworkError {
        message: String,
    },
}

/// What one run of the push helper did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct UploadReport {
    pub requests: u32,
    pub delivered_batches: u32,
    pub delivered_events: u64,
    pub splits: u32,
    pub dropped_events: u64,
    /// Why it stopped, if something still waits.
    pub waiting: Option<WaitReason>,
}

/// Sends one request; the platform implements it. An exception it throws counts as a network
/// error, never a crash.
#[uniffi::export(foreign)]
pub trait Uploader: Send + Sync {
    fn upload(&self, request: UploadRequest) -> Result<UploadOutcome, ModicumError>;
}

struct Adapter(Arc<dyn Uploader>);

impl core::Uploader for Adapter {
    fn upload(&self, request: &core::UploadRequest) -> core::UploadOutcome {
        match self.0.upload(request.clone().into()) {
            Ok(outcome) => outcome.into(),
            Err(e) => core::UploadOutcome::NetworkError {
                message: e.to_string(),
            },
        }
    }
}

#[uniffi::export]
impl ModicumCore {
    /// The next request to send, or why there is none now.
    pub fn next_upload(&self, conditions: UploadConditions) -> Result<NextUpload, ModicumError> {
        Ok(self.inner.next_upload(conditions.into())?.into())
    }

    /// Conditions as the platform's network provider and the device's battery report them
    /// (ideal without a network provider): what a job passes to `upload_pending`.
    pub fn current_conditions(&self) -> UploadConditions {
        let c = self.inner.conditions();
        UploadConditions {
            connected: c.connected,
            metered: c.metered,
            battery_low: c.battery_low,
        }
    }

    /// Reports what became of request `id`; returns how many events were delivered.
    pub fn upload_finished(&self, id: String, outcome: UploadOutcome) -> Result<u64, ModicumError> {
        Ok(self
            .inner
            .upload_finished(&id, outcome.into())?
            .delivered_events)
    }

    /// Seals what is journaled and sends requests through `uploader` until nothing is left or
    /// the next attempt is further off than `budget_ms`. Call it from a background job.
    pub fn upload_pending(
        &self,
        uploader: Arc<dyn Uploader>,
        conditions: UploadConditions,
        budget_ms: u64,
    ) -> Result<UploadReport, ModicumError> {
        let report = self.inner.upload_pending(
            &Adapter(uploader),
            conditions.into(),
            Duration::from_millis(budget_ms),
        )?;
        Ok(UploadReport {
            requests: report.requests,
            delivered_batches: report.delivered_batches,
            delivered_events: report.delivered_events,
            splits: report.splits,
            dropped_events: report.dropped_events,
            waiting: report.waiting,
        })
    }
}

impl From<UploadConditions> for core::Conditions {
    fn from(c: UploadConditions) -> core::Conditions {
        core::Conditions {
            connected: c.connected,
            metered: c.metered,
            battery_low: c.battery_low,
        }
    }
}

impl From<core::UploadRequest> for UploadRequest {
    fn from(r: core::UploadRequest) -> UploadRequest {
        UploadRequest {
            id: r.id,
            url: r.url,
            headers: r
                .headers
                .into_iter()
                .map(|(name, value)| HttpHeader { name, value })
                .collect(),
            body: r.body,
        }
    }
}

impl From<core::NextUpload> for NextUpload {
    fn from(n: core::NextUpload) -> NextUpload {
        match n {
            core::NextUpload::Send(request) => NextUpload::Send {
                request: request.into(),
            },
            core::NextUpload::Wait { reason, retry_in } => NextUpload::Wait {
                reason,
                retry_in_ms: retry_in.map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
            },
            core::NextUpload::Idle => NextUpload::Idle,
        }
    }
}

impl From<UploadOutcome> for core::UploadOutcome {
    fn from(o: UploadOutcome) -> core::UploadOutcome {
        match o {
            UploadOutcome::Response {
                status,
                retry_after,
            } => core::UploadOutcome::Response {
                status,
                retry_after,
            },
            UploadOutcome::NetworkError { message } => {
                core::UploadOutcome::NetworkError { message }
            }
        }
    }
}

impl From<core::UploadOutcome> for UploadOutcome {
    fn from(o: core::UploadOutcome) -> UploadOutcome {
        match o {
            core::UploadOutcome::Response {
                status,
                retry_after,
            } => UploadOutcome::Response {
                status,
                retry_after,
            },
            core::UploadOutcome::NetworkError { message } => {
                UploadOutcome::NetworkError { message }
            }
        }
    }
}
