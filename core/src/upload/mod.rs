//! Upload scheduling rules: which batch may go where, when, and what an answer means. The
//! platform owns the network (WorkManager, BGTaskScheduler, a CLI): the runtime hands it one
//! [`UploadRequest`] at a time and is told the [`UploadOutcome`] (the pull model), or drives an
//! [`Uploader`] the platform implements (the push helper, `Modicum::upload_pending`).
//!
//! Nothing here touches the network or the disk; the runtime applies these rules to the
//! outbox in its worker.

mod backoff;
mod conditions;
mod outcome;
mod retry_after;
mod route;

use std::time::Duration;

pub use backoff::Backoff;
pub use conditions::{Conditions, Hold};
pub use outcome::{UploadOutcome, Verdict};
pub use retry_after::parse_retry_after;
pub use route::{Endpoint, Route};

use crate::consent::Category;

/// How and where batches are uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct UploadConfig {
    /// Where the user's data is meant to stay (for example "eu"). `None`: the region of the
    /// first endpoint, the same default on every platform.
    pub home_region: Option<String>,
    /// Collector endpoints by region. One in the home region is used; another only with
    /// `cross_border` consent.
    pub endpoints: Vec<Endpoint>,
    /// Backoff after a failure: full jitter over `base × 2^(failures−1)`, at most `cap`.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Categories whose batches wait for an unmetered network.
    pub unmetered_only: Vec<Category>,
    /// On low battery only essential batches (crash reports) and deletion requests go.
    pub pause_on_low_battery: bool,
    /// A request handed out and never answered counts as a network failure after this long.
    pub request_timeout: Duration,
}

impl Default for UploadConfig {
    fn default() -> UploadConfig {
        UploadConfig {
            home_region: None,
            endpoints: Vec::new(),
            backoff_base: Duration::from_secs(5),
            backoff_cap: Duration::from_secs(60 * 60),
            unmetered_only: vec![Category::SensorsRaw],
            pause_on_low_battery: true,
            request_timeout: Duration::from_secs(5 * 60),
        }
    }
}

impl UploadConfig {
    /// Holds every batch for an unmetered network (Wi-Fi, Ethernet) except essential ones
    /// (crash reports), which, like deletion requests, go on any network.
    pub fn upload_only_unmetered(&mut self) {
        self.unmetered_only = Category::ALL
            .into_iter()
            .filter(|&c| c != Category::Essential)
            .collect();
    }
}

/// One HTTP request for the platform to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRequest {
    /// Names the request when its outcome is reported. For a batch, its batch id (hex).
    pub id: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

/// What the platform should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextUpload {
    /// Send this, then report the outcome.
    Send(UploadRequest),
    /// Something is waiting, but not now: ask again after `retry_in` (when the reason is a
    /// timer), or when conditions change (`None`).
    Wait {
        reason: WaitReason,
        retry_in: Option<Duration>,
    },
    /// Nothing waits to be uploaded.
    Idle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// A request is out; its outcome comes first (one upload in flight at a time).
    InFlight,
    /// Backing off after a failure.
    Backoff,
    /// The collector asked for a pause (429/503 with Retry-After).
    RetryAfter,
    NoNetwork,
    /// Every waiting batch needs an unmetered network.
    Unmetered,
    /// Every waiting batch may wait for the battery.
    LowBattery,
    /// The only endpoint is outside the home region and `cross_border` is not granted.
    CrossBorderConsent,
    /// No endpoint is configured.
    NoEndpoint,
}

/// The request paths on a collector.
pub const BATCHES_PATH: &str = "/v1/batches";
pub const DELETIONS_PATH: &str = "/v1/deletions";

/// Sends requests for the push helper: the platform's HTTP stack (HttpURLConnection,
/// URLSession) or a host client. It reports what happened and never panics on a bad network.
pub trait Uploader: Send + Sync {
    fn upload(&self, request: &UploadRequest) -> UploadOutcome;
}

/// What one run of the push helper did.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct UploadReport {
    /// Requests sent, including retries and deletion requests.
    pub requests: u32,
    pub delivered_batches: u32,
    pub delivered_events: u64,
    /// Batches split in two after a 413.
    pub splits: u32,
    /// Events the collector refused for good, or too large even alone.
    pub dropped_events: u64,
    /// Why the run stopped: `None` when nothing is left to upload.
    pub waiting: Option<WaitReason>,
}
