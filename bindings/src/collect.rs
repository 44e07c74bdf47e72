//! Collectors and bulk recording, as Kotlin and Swift see them.

use std::time::Duration;

use modicum_core::collect::crash::CrashReport as CoreCrash;
use modicum_core::collect::device::DeviceInfo as CoreDevice;
use modicum_core::collect::providers::NetworkState as CoreNetwork;
use modicum_core::{HttpMetric as CoreHttp, SensorSample as CoreSample};

use crate::{ModicumCore, ModicumError};

/// An event `record_batch` refused, by its position in the batch, with the typed error
/// `record` would have thrown.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RejectedEvent {
    pub index: u32,
    pub error: ModicumError,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct BatchRecordOutcome {
    /// Events queued for minimization.
    pub queued: u32,
    /// Events not queued because consent does not allow them, or the queue was full.
    pub not_queued: u32,
    /// Invalid events (empty name, bad property…), with why.
    pub rejected: Vec<RejectedEvent>,
}

/// A crash as the platform saw it (an uncaught exception).
#[derive(Debug, Clone, uniffi::Record)]
pub struct CrashReport {
    pub kind: String,
    pub message: String,
    pub frames: Vec<String>,
    pub thread: Option<String>,
    pub at_ms: u64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct HttpMetric {
    pub method: String,
    pub url: String,
    pub status: u16,
    pub duration_ms: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct NetworkState {
    pub connected: bool,
    pub kind: String,
    pub metered: bool,
    pub carrier: Option<String>,
    pub ip: Option<String>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct SensorReading {
    pub at_ms: u64,
    pub values: Vec<f64>,
}

/// What the platform reports about the device; absent fields are not sent.
#[derive(Debug, Clone, Default, uniffi::Record)]
pub struct DeviceInfo {
    #[uniffi(default = None)]
    pub brand: Option<String>,
    #[uniffi(default = None)]
    pub manufacturer: Option<String>,
    #[uniffi(default = None)]
    pub model: Option<String>,
    #[uniffi(default = None)]
    pub os_name: Option<String>,
    #[uniffi(default = None)]
    pub os_version: Option<String>,
    #[uniffi(default = None)]
    pub os_build: Option<String>,
    #[uniffi(default = None)]
    pub app_version: Option<String>,
    #[uniffi(default = None)]
    pub cpu_arch: Option<String>,
    #[uniffi(default = None)]
    pub cpu_cores: Option<u32>,
    #[uniffi(default = None)]
    pub ram_bytes: Option<u64>,
    #[uniffi(default = None)]
    pub storage_total_bytes: Option<u64>,
    #[uniffi(default = None)]
    pub storage_free_bytes: Option<u64>,
    #[uniffi(default = None)]
    pub screen_width: Option<u32>,
    #[uniffi(default = None)]
    pub screen_height: Option<u32>,
    #[uniffi(default = None)]
    pub screen_density: Option<f64>,
    #[uniffi(default = None)]
    pub locale: Option<String>,
    #[uniffi(default = None)]
    pub time_zone: Option<String>,
    #[uniffi(default = None)]
    pub emulator: Option<bool>,
    #[uniffi(default = None)]
    pub rooted: Option<bool>,
    #[uniffi(default = None)]
    pub battery_level: Option<u8>,
    #[uniffi(default = None)]
    pub charging: Option<bool>,
    #[uniffi(default = None)]
    pub network_type: Option<String>,
}

#[uniffi::export]
impl ModicumCore {
    /// Records many custom events in one call: what the facades use to cross the FFI in bulk,
    /// off the app's thread (the core's `record_many`, which waits a bounded time for room in
    /// its queue). An event that does not convert is refused alone, and counted.
    pub fn record_batch(&self, events: Vec<crate::CustomEvent>) -> BatchRecordOutcome {
        self.record_batch_as_of(events, self.inner.consent_epoch())
    }

    /// The count of consent changes that withdrew something (the core's `consent_epoch`): a
    /// facade reads it when the app records an event it buffers.
    pub fn consent_epoch(&self) -> u64 {
        self.inner.consent_epoch()
    }

    /// [`ModicumCore::record_batch`] for events the app recorded at `consent_epoch`: a
    /// withdrawal since then holds for them even if the category was granted again.
    pub fn record_batch_as_of(
        &self,
        events: Vec<crate::CustomEvent>,
        consent_epoch: u64,
    ) -> BatchRecordOutcome {
        let mut outcome = BatchRecordOutcome {
            queued: 0,
            not_queued: 0,
            rejected: Vec::new(),
        };
        let mut indices = Vec::with_capacity(events.len());
        let mut converted = Vec::with_capacity(events.len());
        for (index, event) in (0u32..).zip(events) {
            // An event refused before the core sees it is still counted, under its category
            // (analytics when that is what is wrong with it).
            let category = event
                .category
                .as_deref()
                .and_then(|c| c.parse().ok())
                .unwrap_or(modicum_core::Category::Analytics);
            match crate::modicum::core_event(event) {
                Ok(event) => {
                    indices.push(index);
                    converted.push(event);
                }
                Err(error) => {
                    self.inner
                        .note_dropped(category, modicum_core::DropReason::Invalid, 1);
                    outcome.rejected.push(RejectedEvent { index, error });
                }
            }
        }
        let recorded = self.inner.record_many_as_of(converted, consent_epoch);
        for (index, recorded) in indices.into_iter().zip(recorded) {
            match recorded {
                Ok(true) => outcome.queued += 1,
                Ok(false) => outcome.not_queued += 1,
                Err(error) => outcome.rejected.push(RejectedEvent {
                    index,
                    error: error.into(),
                }),
            }
        }
        outcome.rejected.sort_by_key(|r| r.index);
        outcome
    }

    /// Records a crash and returns once it is durable, so the platform's handler can let the
    /// process die afterwards.
    pub fn record_crash(&self, report: CrashReport, timeout_ms: u32) -> Result<bool, ModicumError> {
        let report = CoreCrash {
            kind: report.kind,
            message: report.message,
            frames: report.frames,
            thread: report.thread,
            at_ms: report.at_ms,
        };
        Ok(self
            .inner
            .record_crash(&report, Duration::from_millis(u64::from(timeout_ms)))?)
    }

    /// Records a hang of the main thread: how long, and its stack.
    pub fn record_hang(&self, duration_ms: u64, stack: Vec<String>) -> Result<bool, ModicumError> {
        Ok(self.inner.record_hang(duration_ms, &stack)?)
    }

    /// Records an HTTP request's metrics; only the URL's template is kept.
    pub fn record_http(&self, metric: HttpMetric) -> Result<bool, ModicumError> {
        Ok(self.inner.record_http(&CoreHttp {
            method: metric.method,
            url: metric.url,
            status: metric.status,
            duration_ms: metric.duration_ms,
            bytes_sent: metric.bytes_sent,
            bytes_received: metric.bytes_received,
        })?)
    }

    /// Records a change of connectivity.
    pub fn record_connectivity(&self, state: NetworkState) -> Result<bool, ModicumError> {
        Ok(self.inner.record_connectivity(&state.into())?)
    }

    /// Folds sensor readings into windows; returns how many windows closed.
    pub fn record_sensor_samples(
        &self,
        sensor: String,
        readings: Vec<SensorReading>,
    ) -> Result<u32, ModicumError> {
        let samples: Vec<CoreSample> = readings
            .iter()
            .map(|r| CoreSample {
                at_ms: r.at_ms,
                values: &r.values,
            })
            .collect();
        let closed = self.inner.record_sensor_samples(&sensor, &samples)?;
        // A count: past u32::MAX (it cannot be, for one call's readings) it saturates.
        Ok(u32::try_from(closed).unwrap_or(u32::MAX))
    }

    /// Sets the device context attached to each batch from now on.
    pub fn set_device_info(&self, info: DeviceInfo) {
        self.inner.set_device_info(info.into());
    }

    /// The privacy ledger: counters per category and what happened, as JSON.
    pub fn ledger_json(&self) -> String {
        serde_json::to_string(&self.inner.ledger().snapshot()).unwrap_or_else(|_| "{}".into())
    }
}

impl From<DeviceInfo> for CoreDevice {
    fn from(info: DeviceInfo) -> CoreDevice {
        CoreDevice {
            brand: info.brand,
            manufacturer: info.manufacturer,
            model: info.model,
            os_name: info.os_name,
            os_version: info.os_version,
            os_build: info.os_build,
            app_version: info.app_version,
            cpu_arch: info.cpu_arch,
            cpu_cores: info.cpu_cores,
            ram_bytes: info.ram_bytes,
            storage_total_bytes: info.storage_total_bytes,
            storage_free_bytes: info.storage_free_bytes,
            screen_width: info.screen_width,
            screen_height: info.screen_height,
            screen_density: info.screen_density,
            locale: info.locale,
            time_zone: info.time_zone,
            emulator: info.emulator,
            rooted: info.rooted,
            battery_level: info.battery_level,
            charging: info.charging,
            network_type: info.network_type,
        }
    }
}

impl From<NetworkState> for CoreNetwork {
    fn from(state: NetworkState) -> CoreNetwork {
        CoreNetwork {
            connected: state.connected,
            kind: state.kind,
            metered: state.metered,
            carrier: state.carrier,
            ip: state.ip,
        }
    }
}
