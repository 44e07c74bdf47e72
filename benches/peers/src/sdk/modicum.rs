//! Modicum: started with a storage directory, a collector key and the session's clock
//! (through `Providers`, since `Config` takes no clock); analytics and diagnostics granted.
//! Uploads are pulled with `next_upload` every five simulated minutes, as a periodic job
//! would, and once more at the end; each body is kept in memory and answered 200.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use modicum_core::clock::Clock;
use modicum_core::{
    Category, CollectorKey, Conditions, Config, DeviceInfo, Endpoint, Event, HttpMetric,
    NextUpload, Providers, UploadOutcome, Value,
};
use modicum_wire::collector::{open_envelope, KeyPair, KeyRing};
use modicum_wire::envelope::Purpose;
use modicum_wire::{decode_sealed, Limits};

use super::{Body, Opened, Result, Sdk};
use crate::measure::{timed, Pacer, Sample};
use crate::workload::{Device, Ev, Prop, Session, Step};

/// Both the child (which seals to its public half) and the parent (which opens) derive the
/// collector's key pair from this.
const COLLECTOR_IKM: &[u8] = b"modicum-peers benchmark collector key";

/// How often, in simulated time, the app's periodic job pulls uploads.
const UPLOAD_EVERY_MS: u64 = 5 * 60 * 1000;

const WAIT: Duration = Duration::from_secs(30);

pub struct Modicum {
    sdk: modicum_core::Modicum,
    pacer: Arc<Pacer>,
    next_upload_at: u64,
    bodies: Vec<Body>,
}

/// The session's clock, as the runtime reads it (the worker stamps each event with it).
struct SessionClock(Arc<Pacer>);

impl Clock for SessionClock {
    fn now_ms(&self) -> u64 {
        self.0.now_unix_ms()
    }
}

impl Modicum {
    pub fn start(
        batch: Option<usize>,
        dir: &Path,
        pacer: &Arc<Pacer>,
        session: &Session,
    ) -> Result<Modicum> {
        let pair = KeyPair::derive(COLLECTOR_IKM);
        let mut config = Config::new(dir.join("modicum"), session.device.app_id);
        config.collector = Some(CollectorKey::from_public_bytes(pair.public_bytes())?);
        config.upload.endpoints = vec![Endpoint {
            region: "cn".into(),
            url: "https://collector.example.cn".into(),
        }];
        if let Some(n) = batch {
            config.batch_max_events = n;
        }
        config.durability_window = pacer.timer(config.durability_window);
        config.batch_max_age = pacer.timer(config.batch_max_age);
        let mut providers = Providers::files_for(&config);
        providers.clock = Arc::new(SessionClock(Arc::clone(pacer)));
        let sdk = modicum_core::Modicum::start_with(config, providers)?;
        for category in [Category::Analytics, Category::Diagnostics] {
            sdk.set_consent(category, true)?.wait(WAIT)?;
        }
        sdk.set_device_info(device_info(&session.device));
        // The worker has opened its journal and outbox.
        sdk.recovered()?;
        Ok(Modicum {
            sdk,
            pacer: Arc::clone(pacer),
            next_upload_at: UPLOAD_EVERY_MS,
            bodies: Vec::new(),
        })
    }

    /// Sends every request handed out, answering each as a collector that stored it.
    fn upload_all(&mut self) -> Result<()> {
        loop {
            match self.sdk.next_upload(Conditions::ideal())? {
                NextUpload::Send(request) => {
                    self.bodies.push(Body {
                        gzip: false,
                        bytes: request.body,
                    });
                    let ok = UploadOutcome::Response {
                        status: 200,
                        retry_after: None,
                    };
                    self.sdk.upload_finished(&request.id, ok)?;
                }
                NextUpload::Idle => return Ok(()),
                NextUpload::Wait { reason, retry_in } => {
                    return Err(format!("upload waits: {reason:?}, retry in {retry_in:?}").into())
                }
            }
        }
    }
}

impl Sdk for Modicum {
    fn record(&mut self, step: &Step) -> Sample {
        let sdk = &self.sdk;
        match &step.event {
            // HTTP metrics go through the collector made for them: the URL is templated.
            Ev::Http {
                method,
                url,
                status,
                duration_ms,
                bytes_sent,
                bytes_received,
            } => timed(
                || HttpMetric {
                    method: (*method).to_owned(),
                    url: url.clone(),
                    status: *status,
                    duration_ms: *duration_ms,
                    bytes_sent: *bytes_sent,
                    bytes_received: *bytes_received,
                },
                |metric| {
                    let _ = sdk.record_http(&metric);
                },
            ),
            event => timed(
                || {
                    let category = if event.is_diagnostics() {
                        Category::Diagnostics
                    } else {
                        Category::Analytics
                    };
                    let mut e = Event::new(event.name()).in_category(category);
                    for (key, prop) in event.props() {
                        let value = match prop {
                            Prop::Str(s) => Value::Text(s.to_owned()),
                            Prop::Int(i) => Value::Int(i),
                            Prop::Bool(b) => Value::Bool(b),
                        };
                        e = e.with(key, value);
                    }
                    e
                },
                |e| {
                    let _ = sdk.record(e);
                },
            ),
        }
    }

    fn tick(&mut self) {
        if self.pacer.elapsed_ms() >= self.next_upload_at {
            self.next_upload_at += UPLOAD_EVERY_MS;
            // A failure here shows at the end, when the same loop runs again.
            let _ = self.upload_all();
        }
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Body>> {
        // As an app does when it goes to the background: seal what is held, then upload.
        self.sdk.seal_now(WAIT)?;
        self.upload_all()?;
        self.sdk.shutdown(WAIT)?;
        Ok(std::mem::take(&mut self.bodies))
    }
}

fn device_info(d: &Device) -> DeviceInfo {
    DeviceInfo {
        brand: Some(d.brand.into()),
        manufacturer: Some(d.manufacturer.into()),
        model: Some(d.model.into()),
        os_name: Some(d.os_name.into()),
        os_version: Some(d.os_version.into()),
        app_version: Some(d.app_version.into()),
        cpu_arch: Some(d.cpu_arch.into()),
        ram_bytes: Some(d.ram_bytes),
        storage_total_bytes: Some(d.storage_bytes),
        screen_width: Some(d.screen_width),
        screen_height: Some(d.screen_height),
        locale: Some(d.locale.into()),
        time_zone: Some(d.time_zone.into()),
        network_type: Some("wifi".into()),
        ..DeviceInfo::default()
    }
}

/// Opens each body with the collector's key and decodes it as the collector would; the
/// plaintext searched is the decoded batch as JSON.
pub fn open(bodies: &[Body]) -> Result<Opened> {
    let keys = KeyRing::new([KeyPair::derive(COLLECTOR_IKM)]);
    let mut opened = Opened::default();
    for body in bodies {
        let (header, payload) = open_envelope(&keys, &body.bytes, Purpose::Batch)?;
        let batch = decode_sealed(&header, &payload, Limits::default())?;
        opened.events += batch.events.len();
        opened.plaintexts.push(serde_json::to_vec(&batch)?);
    }
    Ok(opened)
}
