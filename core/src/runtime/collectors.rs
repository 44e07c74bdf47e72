//! What the collectors record through the runtime: crash and hang reports, HTTP metrics,
//! connectivity, device context and sensor samples. Each becomes an ordinary event (or, for
//! device context, the batch's context) and is minimized by policy like any other.

use std::time::Duration;

use super::{Modicum, Runtime};
use crate::collect::crash::CrashReport;
use crate::collect::device::DeviceInfo;
use crate::collect::providers::NetworkState;
use crate::collect::sensors::{SensorError, WindowSummary};
use crate::collect::url_template;
use crate::{Category, DataClass, Error, Event, Value, MAX_TEXT_BYTES};

/// One HTTP request the app made, as `record_http` takes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpMetric {
    pub method: String,
    /// The full URL: only its template (host and path, IDs and query removed) is kept.
    pub url: String,
    pub status: u16,
    pub duration_ms: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// One sensor sample: when, and one value per axis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SensorSample<'a> {
    pub at_ms: u64,
    pub values: &'a [f64],
}

const AXES: [&str; 4] = ["x", "y", "z", "w"];

impl Modicum {
    /// Records a crash (a Kotlin or Swift uncaught exception, or a native record found at
    /// start) and returns once it is durable, so the platform's handler can let the process
    /// die afterwards. Crash reports are essential processing when the app declares it, and
    /// diagnostics otherwise.
    pub fn record_crash(&self, report: &CrashReport, timeout: Duration) -> Result<bool, Error> {
        // The session ends crashed; the flush below makes that durable too.
        self.shared.session_crashed();
        let kept = self.record(crash_event(report, &self.shared.config))?;
        self.flush(timeout)?;
        Ok(kept)
    }

    /// Records a hang (an ANR-like stall of the main thread past the platform's threshold):
    /// how long, and where it was. The session it happened in counts as abnormal.
    pub fn record_hang(
        &self,
        duration_ms: u64,
        main_thread_stack: &[String],
    ) -> Result<bool, Error> {
        self.shared.session_hung();
        self.record(
            Event::new("hang")
                .in_category(Category::Diagnostics)
                .with_class(
                    "duration_ms",
                    Value::Int(i64::try_from(duration_ms).unwrap_or(i64::MAX)),
                    DataClass::Custom,
                )
                .with("stack", Value::Text(clip(&main_thread_stack.join("\n")))),
        )
    }

    /// Records an HTTP request's metrics; the URL is reduced to its template first.
    pub fn record_http(&self, metric: &HttpMetric) -> Result<bool, Error> {
        let int = |v: u64| Value::Int(i64::try_from(v).unwrap_or(i64::MAX));
        self.record(
            Event::new("http_request")
                .in_category(Category::Diagnostics)
                .with_class(
                    "method",
                    Value::Text(clip(&metric.method)),
                    DataClass::NetworkBasic,
                )
                .with("url", Value::Text(clip(&url_template(&metric.url))))
                .with_class(
                    "status",
                    int(u64::from(metric.status)),
                    DataClass::NetworkBasic,
                )
                .with_class("duration_ms", int(metric.duration_ms), DataClass::Custom)
                .with_class("bytes_sent", int(metric.bytes_sent), DataClass::Custom)
                .with_class(
                    "bytes_received",
                    int(metric.bytes_received),
                    DataClass::Custom,
                ),
        )
    }

    /// Records a change of connectivity: type and metered as they are, the carrier by its
    /// data class, the IP generalized by policy.
    pub fn record_connectivity(&self, state: &NetworkState) -> Result<bool, Error> {
        let mut event = Event::new("connectivity")
            .in_category(Category::Diagnostics)
            .with_class(
                "connected",
                Value::Bool(state.connected),
                DataClass::NetworkBasic,
            )
            .with_class(
                "type",
                Value::Text(clip(&state.kind)),
                DataClass::NetworkBasic,
            )
            .with_class(
                "metered",
                Value::Bool(state.metered),
                DataClass::NetworkBasic,
            );
        if let Some(carrier) = &state.carrier {
            event = event.with_class(
                "carrier",
                Value::Text(clip(carrier)),
                DataClass::NetworkCarrier,
            );
        }
        if let Some(ip) = &state.ip {
            event = event.with_class("ip", Value::Text(clip(ip)), DataClass::NetworkIp);
        }
        self.record(event)
    }

    /// Sets the device context attached to each batch from now on (minimized by policy when
    /// a batch is sealed, so a consent change applies to it at once).
    pub fn set_device_info(&self, info: DeviceInfo) {
        *self
            .shared
            .device
            .write()
            .unwrap_or_else(|p| p.into_inner()) = Some(info);
    }

    /// Folds sensor samples into windows; each closed window is recorded as a `sensor_window`
    /// event (sensors category). Raw samples are recorded too only with `sensors_raw`
    /// consent. Returns how many windows closed.
    pub fn record_sensor_samples(
        &self,
        sensor: &str,
        samples: &[SensorSample<'_>],
    ) -> Result<usize, Error> {
        let permitted = self.shared.consent.bits();
        let aggregate = permitted & (1 << Category::Sensors as u16) != 0;
        let raw = permitted & (1 << Category::SensorsRaw as u16) != 0;
        if !aggregate && !raw {
            return Ok(0);
        }
        let axes = samples.first().map_or(1, |s| s.values.len());
        let mut closed = Vec::new();
        if aggregate {
            let mut aggregator = self
                .shared
                .sensors
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            let id = aggregator.sensor(sensor, axes).map_err(sensor_error)?;
            for sample in samples {
                closed.extend(
                    aggregator
                        .add(id, sample.at_ms, sample.values)
                        .map_err(sensor_error)?,
                );
            }
        }
        if raw {
            for sample in samples {
                let mut event = Event::new("sensor_sample")
                    .in_category(Category::SensorsRaw)
                    .with("sensor", Value::Text(clip(sensor)))
                    .with_class(
                        "at_ms",
                        Value::Int(i64::try_from(sample.at_ms).unwrap_or(i64::MAX)),
                        DataClass::Custom,
                    );
                for (axis, value) in AXES.iter().zip(sample.values) {
                    event = event.with_class(*axis, Value::Double(*value), DataClass::Sensor);
                }
                self.record(event)?;
            }
        }
        let count = closed.len();
        for window in closed {
            self.record(window_event(&window))?;
        }
        Ok(count)
    }

    /// Closes every open sensor window and records it (before a shutdown, say).
    pub fn close_sensor_windows(&self) -> Result<usize, Error> {
        let closed = self
            .shared
            .sensors
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .close_all();
        let count = closed.len();
        for window in closed {
            self.record(window_event(&window))?;
        }
        Ok(count)
    }

    /// Upload conditions from the platform's network provider and the device's battery;
    /// `Conditions::ideal()` without a network provider.
    pub fn conditions(&self) -> crate::upload::Conditions {
        let Some(network) = &self.shared.network_provider else {
            return crate::upload::Conditions::ideal();
        };
        let state = network.network();
        let battery_low = self
            .shared
            .device
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .as_ref()
            .is_some_and(|d| d.battery_level.is_some_and(|l| l < 15) && d.charging != Some(true));
        crate::upload::Conditions {
            connected: state.connected,
            metered: state.metered,
            battery_low,
        }
    }
}

/// A crash report as an event: essential processing when the app declares it, diagnostics
/// otherwise. Text is clipped to what a property may hold (and scrubbed by policy).
pub(super) fn crash_event(report: &CrashReport, config: &crate::Config) -> Event {
    let category = if config.policy.essential_purpose().is_some() {
        Category::Essential
    } else {
        Category::Diagnostics
    };
    Event::new("crash")
        .in_category(category)
        .with("kind", Value::Text(clip(&report.kind)))
        .with("message", Value::Text(clip(&report.message)))
        .with("frames", Value::Text(clip(&report.frames.join("\n"))))
        .with(
            "thread",
            Value::Text(clip(report.thread.as_deref().unwrap_or("unknown"))),
        )
        .with_class(
            "crashed_at_ms",
            Value::Int(i64::try_from(report.at_ms).unwrap_or(i64::MAX)),
            DataClass::Custom,
        )
}

fn window_event(window: &WindowSummary) -> Event {
    let mut event = Event::new("sensor_window")
        .in_category(Category::Sensors)
        .with("sensor", Value::Text(clip(&window.sensor)))
        .with_class(
            "start_ms",
            Value::Int(i64::try_from(window.start_ms).unwrap_or(i64::MAX)),
            DataClass::Custom,
        )
        .with_class(
            "window_ms",
            Value::Int(i64::try_from(window.window_ms).unwrap_or(i64::MAX)),
            DataClass::Custom,
        );
    for (axis, summary) in AXES.iter().zip(&window.axes) {
        event = event
            .with_class(
                format!("{axis}_count"),
                Value::Int(i64::try_from(summary.count).unwrap_or(i64::MAX)),
                DataClass::Custom,
            )
            .with_class(
                format!("{axis}_min"),
                Value::Double(summary.min),
                DataClass::Custom,
            )
            .with_class(
                format!("{axis}_max"),
                Value::Double(summary.max),
                DataClass::Custom,
            )
            .with_class(
                format!("{axis}_mean"),
                Value::Double(summary.mean),
                DataClass::Custom,
            )
            .with_class(
                format!("{axis}_variance"),
                Value::Double(summary.variance),
                DataClass::Custom,
            );
    }
    event
}

fn sensor_error(e: SensorError) -> Error {
    Error::InvalidProperty {
        key: "sensor".into(),
        reason: e.to_string(),
    }
}

/// Text cut to what an event property may hold, at a character boundary.
fn clip(text: &str) -> String {
    if text.len() <= MAX_TEXT_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_TEXT_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_owned()
}

impl Runtime {
    /// The device context as it may leave the device now: minimized under current consent.
    pub(super) fn device_context(
        &self,
        pseudonymizer: &crate::transform::Pseudonymizer,
        now_ms: u64,
    ) -> std::collections::BTreeMap<String, crate::wire::WireValue> {
        let Some(info) = self
            .device
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
        else {
            return Default::default();
        };
        let cx = crate::minimize::Context {
            permits: self.permits(),
            policy: &self.config.policy,
            pseudonymizer,
            now_ms,
        };
        let (minimized, _) = crate::minimize::minimize(info.to_event(), &cx);
        minimized
            .map(|m| {
                crate::wire::WireEvent::from(&m)
                    .properties
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect()
            })
            .unwrap_or_default()
    }
}
