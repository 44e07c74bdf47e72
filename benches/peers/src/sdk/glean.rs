//! Mozilla Glean through its Rust SDK: one event metric per event name, defined by hand
//! (the `CommonMetricData` glean_parser would generate), sent in the built-in "events" ping.
//! The uploader keeps every ping body in memory as Glean hands it over: gzip-compressed, with
//! `Content-Encoding: gzip`. Glean takes no wall clock: the session is paced in real time,
//! and each event's monotonic timestamp is passed with `record_with_time` so the ping holds
//! the session's own gaps. Its upload throttle is scaled to the pace (see [`rate_limit`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use glean::net::{CapablePingUploadRequest, PingUploader, UploadResult};
use glean::private::EventMetric;
use glean::traits::NoExtraKeys;
use glean::{
    ClientInfoMetrics, CommonMetricData, ConfigurationBuilder, ErrorType, Lifetime, PingRateLimit,
};

use super::{gunzip, Body, Opened, Result, Sdk};
use crate::measure::{timed, Pacer, Sample};
use crate::workload::{Prop, Session, Step};

/// The metrics' category: events appear as `app.<name>`.
const CATEGORY: &str = "app";

pub struct Glean {
    metrics: HashMap<&'static str, EventMetric<NoExtraKeys>>,
    /// Glean's monotonic clock when the session began, in milliseconds.
    mono_start: u64,
    data_path: PathBuf,
    bodies: Arc<Mutex<Vec<Body>>>,
}

/// Keeps each ping body as it would be sent.
#[derive(Debug)]
struct Capture(Arc<Mutex<Vec<Body>>>);

impl PingUploader for Capture {
    fn upload(&self, request: CapablePingUploadRequest) -> UploadResult {
        // Like Glean's own HTTP uploader: no special capabilities.
        let Some(request) = request.capable(|capabilities| capabilities.is_empty()) else {
            return UploadResult::incapable();
        };
        let gzip = request
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("content-encoding") && v == "gzip");
        if let Ok(mut bodies) = self.0.lock() {
            bodies.push(Body {
                gzip,
                bytes: request.body,
            });
        }
        UploadResult::http_status(200)
    }
}

impl Glean {
    pub fn start(
        batch: Option<usize>,
        dir: &Path,
        pacer: &Pacer,
        session: &Session,
    ) -> Result<Glean> {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let mut builder = ConfigurationBuilder::new(true, dir.join("glean"), session.device.app_id)
            .with_server_endpoint("https://incoming.telemetry.example")
            .with_uploader(Capture(Arc::clone(&bodies)))
            .with_use_core_mps(false)
            .with_rate_limit(rate_limit(pacer.factor()));
        if let Some(n) = batch {
            builder = builder.with_max_events(n);
        }
        let device = &session.device;
        glean::initialize(
            builder.build(),
            ClientInfoMetrics {
                app_build: device.app_build.into(),
                app_display_version: device.app_version.into(),
                channel: Some("release".into()),
                locale: Some(device.locale.into()),
                os_version: Some(device.os_version.into()),
            },
        );
        // One metric per event name, with the extra keys its events carry.
        let mut metrics = HashMap::new();
        for step in &session.steps {
            let name = step.event.name();
            metrics.entry(name).or_insert_with(|| {
                let keys = step.event.props().into_iter().map(|(k, _)| k.to_string());
                EventMetric::with_runtime_extra_keys(
                    CommonMetricData {
                        name: name.into(),
                        category: CATEGORY.into(),
                        send_in_pings: vec!["events".into()],
                        lifetime: Lifetime::Ping,
                        ..Default::default()
                    },
                    keys.collect(),
                )
            });
        }
        // Initialization runs on Glean's own thread; this waits for its dispatcher.
        if let Some(metric) = metrics.values().next() {
            metric.test_get_num_recorded_errors(ErrorType::InvalidValue);
        }
        Ok(Glean {
            metrics,
            mono_start: glean::get_timestamp_ms(),
            data_path: dir.join("glean"),
            bodies,
        })
    }
}

/// Glean's upload throttle (15 pings a minute) on the session's clock: it counts real
/// seconds, and the session runs `factor` times faster, so it would throttle pings that real
/// time would let through.
fn rate_limit(factor: u64) -> PingRateLimit {
    const PINGS: u64 = 15;
    const SECONDS: u64 = 60;
    if factor >= SECONDS {
        PingRateLimit {
            seconds_per_interval: 1,
            pings_per_interval: u32::try_from(PINGS * factor / SECONDS).unwrap_or(u32::MAX),
        }
    } else {
        PingRateLimit {
            seconds_per_interval: SECONDS / factor.max(1),
            pings_per_interval: PINGS as u32,
        }
    }
}

impl Glean {
    /// Waits until Glean's dispatcher has run everything queued and every ping on disk has
    /// been uploaded (and deleted), or 30 s.
    fn wait_for_uploads(&self) {
        if let Some(metric) = self.metrics.values().next() {
            metric.test_get_num_recorded_errors(ErrorType::InvalidValue);
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        while self.pings_pending() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    fn pings_pending(&self) -> bool {
        std::fs::read_dir(self.data_path.join("pending_pings"))
            .is_ok_and(|mut d| d.next().is_some())
    }
}

impl Sdk for Glean {
    fn record(&mut self, step: &Step) -> Sample {
        let Some(metric) = self.metrics.get(step.event.name()) else {
            return Sample::default();
        };
        let at = self.mono_start + step.at_ms;
        timed(
            || {
                // Event extras are strings in Glean.
                step.event
                    .props()
                    .into_iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Prop::Str(s) => s.to_owned(),
                            Prop::Int(i) => i.to_string(),
                            Prop::Bool(b) => b.to_string(),
                        };
                        (k.to_owned(), v)
                    })
                    .collect::<HashMap<String, String>>()
            },
            |extra| metric.record_with_time(at, extra),
        )
    }

    fn finish(self: Box<Self>) -> Result<Vec<Body>> {
        // What the app does when it goes to the background: the "events" ping (reason
        // "inactive") and a baseline ping are submitted. The app lives on while they upload;
        // `shutdown` would stop the uploader after its current ping and leave the rest for
        // the next start.
        glean::handle_client_inactive();
        self.wait_for_uploads();
        glean::shutdown();
        if self.pings_pending() {
            eprint!("(Glean left a ping pending at shutdown) ");
        }
        let bodies = self.bodies.lock().map_err(|_| "poisoned")?;
        Ok(bodies.clone())
    }
}

/// Gunzips each ping; counts the app's events in "events" arrays.
pub fn open(bodies: &[Body]) -> Result<Opened> {
    let mut opened = Opened::default();
    for body in bodies {
        let json = if body.gzip {
            gunzip(&body.bytes)?
        } else {
            body.bytes.clone()
        };
        let ping: serde_json::Value = serde_json::from_slice(&json)?;
        if let Some(events) = ping.get("events").and_then(|e| e.as_array()) {
            opened.events += events
                .iter()
                .filter(|e| e.get("category").and_then(|c| c.as_str()) == Some(CATEGORY))
                .count();
        }
        opened.plaintexts.push(json);
    }
    Ok(opened)
}
