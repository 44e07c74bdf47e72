//! Sentry's Rust SDK, no HTTP transport. Telemetry events become structured logs (the
//! Sentry feature that batches: 100 logs or 5 s, constants in sentry-core), each carrying its
//! properties as attributes and the phone's `os.*`/`device.*` attributes, as Sentry's mobile
//! SDKs add to every log; errors become error events with the device, OS and app contexts.
//! Timestamps are set on each log and event. The transport does what Sentry's own transport
//! thread does before the request: serialize the envelope on a background thread. Sentry's
//! Rust transports send envelopes uncompressed, so the bytes kept are the wire bytes.

use std::collections::BTreeMap;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use sentry::protocol::{
    AppContext, Context, DeviceContext, EnvelopeItem, Event, Exception, Frame, ItemContainer, Log,
    LogAttribute, LogLevel, OsContext, Stacktrace, Value,
};
use sentry::{ClientInitGuard, ClientOptions, Envelope, Hub, Level, Transport};

use super::{Body, Opened, Result, Sdk};
use crate::measure::{timed, Pacer, Sample};
use crate::workload::{Device, Ev, Prop, Session, Step};

const WAIT: Duration = Duration::from_secs(30);

pub struct Sentry {
    _guard: ClientInitGuard,
    pacer: Arc<Pacer>,
    transport: Arc<Capture>,
}

/// Serializes envelopes on its own thread, as Sentry's transport thread does, and keeps them.
struct Capture {
    tx: Mutex<Option<SyncSender<Envelope>>>,
    /// Envelopes handed over and not yet serialized.
    pending: Arc<(Mutex<usize>, Condvar)>,
    bodies: Arc<Mutex<Vec<Body>>>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl Capture {
    fn new() -> Capture {
        // Sentry's default transport channel holds 30 envelopes.
        let (tx, rx) = sync_channel::<Envelope>(30);
        let pending = Arc::new((Mutex::new(0usize), Condvar::new()));
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let (done, kept) = (Arc::clone(&pending), Arc::clone(&bodies));
        let worker = std::thread::spawn(move || {
            for envelope in rx {
                let mut bytes = Vec::new();
                if envelope.to_writer(&mut bytes).is_ok() {
                    if let Ok(mut kept) = kept.lock() {
                        kept.push(Body { gzip: false, bytes });
                    }
                }
                let (count, cvar) = &*done;
                if let Ok(mut n) = count.lock() {
                    *n -= 1;
                    cvar.notify_all();
                }
            }
        });
        Capture {
            tx: Mutex::new(Some(tx)),
            pending,
            bodies,
            worker: Mutex::new(Some(worker)),
        }
    }
}

impl Transport for Capture {
    fn send_envelope(&self, envelope: Envelope) {
        let (count, _) = &*self.pending;
        let Ok(tx) = self.tx.lock() else { return };
        let Some(tx) = tx.as_ref() else { return };
        if let Ok(mut n) = count.lock() {
            *n += 1;
        }
        // A full queue drops the envelope, as Sentry's transport does.
        if tx.try_send(envelope).is_err() {
            if let Ok(mut n) = count.lock() {
                *n -= 1;
            }
        }
    }

    fn flush(&self, timeout: Duration) -> bool {
        let (count, cvar) = &*self.pending;
        let Ok(n) = count.lock() else { return false };
        cvar.wait_timeout_while(n, timeout, |n| *n > 0)
            .is_ok_and(|(_, t)| !t.timed_out())
    }

    fn shutdown(&self, timeout: Duration) -> bool {
        let flushed = self.flush(timeout);
        if let Ok(mut tx) = self.tx.lock() {
            tx.take();
        }
        if let Some(worker) = self.worker.lock().ok().and_then(|mut w| w.take()) {
            let _ = worker.join();
        }
        flushed
    }
}

impl Sentry {
    pub fn start(pacer: &Arc<Pacer>, session: &Session) -> Result<Sentry> {
        let d = &session.device;
        let transport = Arc::new(Capture::new());
        let device_attributes: Vec<(&str, &str)> = vec![
            ("os.name", d.os_name),
            ("os.version", d.os_version),
            ("device.brand", d.brand),
            ("device.model", d.model),
            ("device.family", d.manufacturer),
        ];
        let mut options = ClientOptions::default();
        options.dsn = Some("https://5f1e0c2b7a9d4e3f@o101.ingest.sentry.example/4501".parse()?);
        options.release = Some(format!("{}@{}+{}", d.app_id, d.app_version, d.app_build).into());
        options.environment = Some("production".into());
        options.transport = Some(Arc::new(Arc::clone(&transport)));
        // What Sentry's mobile SDKs attach to every log.
        options.before_send_log = Some(Arc::new(move |mut log: Log| {
            for (key, value) in &device_attributes {
                log.attributes
                    .insert((*key).to_owned(), LogAttribute(Value::from(*value)));
            }
            Some(log)
        }));
        let guard = sentry::init(options);
        sentry::configure_scope(|scope| {
            for (key, context) in contexts(d) {
                scope.set_context(key, context);
            }
            scope.set_tag("locale", d.locale);
        });
        Ok(Sentry {
            _guard: guard,
            pacer: Arc::clone(pacer),
            transport,
        })
    }
}

fn contexts(d: &Device) -> [(&'static str, Context); 3] {
    [
        (
            "device",
            Context::Device(Box::new(DeviceContext {
                family: Some(d.manufacturer.into()),
                model: Some(d.model.into()),
                arch: Some(d.cpu_arch.into()),
                memory_size: Some(d.ram_bytes),
                storage_size: Some(d.storage_bytes),
                timezone: Some(d.time_zone.into()),
                ..DeviceContext::default()
            })),
        ),
        (
            "os",
            Context::Os(Box::new(OsContext {
                name: Some(d.os_name.into()),
                version: Some(d.os_version.into()),
                ..OsContext::default()
            })),
        ),
        (
            "app",
            Context::App(Box::new(AppContext {
                app_identifier: Some(d.app_id.into()),
                app_version: Some(d.app_version.into()),
                app_build: Some(d.app_build.into()),
                ..AppContext::default()
            })),
        ),
    ]
}

/// A Java stack line (`at pkg.Class.method(File.kt:12)`) as a Sentry frame.
fn frame(line: &str) -> Frame {
    let line = line.trim().trim_start_matches("at ");
    let (function, location) = line.split_once('(').unwrap_or((line, ""));
    let (file, lineno) = location
        .trim_end_matches(')')
        .split_once(':')
        .unwrap_or((location, ""));
    Frame {
        function: Some(function.into()),
        filename: Some(file.into()),
        lineno: lineno.parse().ok(),
        ..Frame::default()
    }
}

impl Sdk for Sentry {
    fn record(&mut self, step: &Step) -> Sample {
        let at = self.pacer.system_time_at(step.at_ms);
        match &step.event {
            Ev::Error {
                kind,
                message,
                stack,
            } => timed(
                || Event {
                    level: Level::Error,
                    timestamp: at,
                    exception: vec![Exception {
                        ty: (*kind).into(),
                        value: Some(message.clone()),
                        // Sentry lists frames oldest first.
                        stacktrace: Some(Stacktrace {
                            frames: stack.lines().rev().map(frame).collect(),
                            ..Stacktrace::default()
                        }),
                        ..Exception::default()
                    }]
                    .into(),
                    ..Event::default()
                },
                |event| {
                    sentry::capture_event(event);
                },
            ),
            event => timed(
                || {
                    let mut attributes = BTreeMap::new();
                    let mut body = event.name().to_owned();
                    for (key, prop) in event.props() {
                        let value = match (event, prop) {
                            // Free text is the log's body; its name becomes an attribute.
                            (Ev::Text { .. }, Prop::Str(s)) => {
                                body = s.to_owned();
                                Value::from(event.name())
                            }
                            (_, Prop::Str(s)) => Value::from(s),
                            (_, Prop::Int(i)) => Value::from(i),
                            (_, Prop::Bool(b)) => Value::from(b),
                        };
                        let key = match event {
                            Ev::Text { .. } => "event.name",
                            _ => key,
                        };
                        attributes.insert(key.to_owned(), LogAttribute(value));
                    }
                    Log {
                        level: LogLevel::Info,
                        body,
                        trace_id: None,
                        timestamp: at,
                        severity_number: None,
                        attributes,
                    }
                },
                |log| Hub::current().capture_log(log),
            ),
        }
    }

    fn finish(self: Box<Self>) -> Result<Vec<Body>> {
        // Flushes the logs batcher, then waits for the transport.
        let client = Hub::current().client().ok_or("no Sentry client")?;
        if !client.flush(Some(WAIT)) {
            return Err("Sentry's transport did not drain".into());
        }
        client.close(Some(WAIT));
        let bodies = self.transport.bodies.lock().map_err(|_| "poisoned")?;
        Ok(bodies.clone())
    }
}

/// Parses each envelope; counts the logs and error events it holds.
pub fn open(bodies: &[Body]) -> Result<Opened> {
    let mut opened = Opened::default();
    for body in bodies {
        let envelope = Envelope::from_slice(&body.bytes)?;
        for item in envelope.items() {
            opened.events += match item {
                EnvelopeItem::Event(_) => 1,
                EnvelopeItem::ItemContainer(ItemContainer::Logs(logs)) => logs.len(),
                _ => 0,
            };
        }
        opened.plaintexts.push(body.bytes.clone());
    }
    Ok(opened)
}
