//! One module per SDK: how it starts, how each workload event becomes its call, how its
//! upload bodies are captured in memory, and how those bodies are opened again to count the
//! events and look for personal data.

mod glean;
mod modicum;
mod otel;
mod sentry;

use std::error::Error;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;

use crate::measure::{Pacer, Sample};
use crate::workload::{Session, Step};

pub type Result<T> = std::result::Result<T, Box<dyn Error + Send + Sync>>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// No SDK: the harness's own pacing loop, for the baseline.
    None,
    Modicum,
    Glean,
    Otel,
    Sentry,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::None,
        Kind::Modicum,
        Kind::Glean,
        Kind::Otel,
        Kind::Sentry,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Kind::None => "none",
            Kind::Modicum => "modicum",
            Kind::Glean => "glean",
            Kind::Otel => "otel",
            Kind::Sentry => "sentry",
        }
    }

    pub fn parse(id: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.id() == id)
    }

    pub fn title(self) -> &'static str {
        match self {
            Kind::None => "none (harness only)",
            Kind::Modicum => "Modicum 0.1.0",
            Kind::Glean => "Glean 71.0.0",
            Kind::Otel => "OpenTelemetry SDK 0.33 (OTLP/gzip)",
            Kind::Sentry => "Sentry 0.49 (logs)",
        }
    }

    /// Whether its bodies are compressed on the wire (Sentry's Rust transports send
    /// envelopes as they are).
    pub fn compresses(self) -> bool {
        self != Kind::Sentry
    }

    /// The batch settings to run: `None` is the SDK's default, labelled with its value. A
    /// default equal to one of 20/100/500 is run once.
    pub fn batches(self) -> Vec<(Option<usize>, String)> {
        let ours = |default: &str, others: &[usize]| {
            let mut runs = vec![(None, format!("{default} (default)"))];
            runs.extend(others.iter().map(|&n| (Some(n), n.to_string())));
            runs
        };
        match self {
            Kind::None => vec![(None, "—".into())],
            Kind::Modicum => ours("500", &[20, 100]),
            Kind::Glean => ours("500", &[20, 100]),
            Kind::Otel => ours("512", &[20, 100, 500]),
            // The logs batcher's size (100) and interval (5 s) are constants in sentry-core.
            Kind::Sentry => vec![(None, "100 (fixed)".into())],
        }
    }
}

/// One upload body, as it would go on the wire.
#[derive(Debug, Clone)]
pub struct Body {
    /// Whether it is gzip-compressed (its Content-Encoding).
    pub gzip: bool,
    pub bytes: Vec<u8>,
}

/// A running SDK inside the child.
pub trait Sdk {
    /// Builds this SDK's event for `step` and records it, timing both.
    fn record(&mut self, step: &Step) -> Sample;
    /// Called between events, outside the timed region (Modicum pulls uploads here).
    fn tick(&mut self) {}
    /// Flushes, uploads and returns every body, once all are in hand.
    fn finish(self: Box<Self>) -> Result<Vec<Body>>;
}

/// Starts `kind` with its storage under `dir`; returns once it is ready to record.
pub fn start(
    kind: Kind,
    batch: Option<usize>,
    dir: &Path,
    pacer: &Arc<Pacer>,
    session: &Session,
) -> Result<Box<dyn Sdk>> {
    Ok(match kind {
        Kind::None => Box::new(NoSdk),
        Kind::Modicum => Box::new(modicum::Modicum::start(batch, dir, pacer, session)?),
        Kind::Glean => Box::new(glean::Glean::start(batch, dir, pacer, session)?),
        Kind::Otel => Box::new(otel::Otel::start(batch, pacer, session)?),
        Kind::Sentry => Box::new(sentry::Sentry::start(pacer, session)?),
    })
}

/// What the bodies hold once opened: their plaintext and how many of the app's events.
#[derive(Default)]
pub struct Opened {
    pub plaintexts: Vec<Vec<u8>>,
    pub events: usize,
}

pub fn open(kind: Kind, bodies: &[Body]) -> Result<Opened> {
    match kind {
        Kind::None => Ok(Opened {
            plaintexts: Vec::new(),
            events: 0,
        }),
        Kind::Modicum => modicum::open(bodies),
        Kind::Glean => glean::open(bodies),
        Kind::Otel => otel::open(bodies),
        Kind::Sentry => sentry::open(bodies),
    }
}

/// Records nothing: what the harness itself costs.
struct NoSdk;

impl Sdk for NoSdk {
    fn record(&mut self, step: &Step) -> Sample {
        crate::measure::timed(
            || step.event.name(),
            |name| {
                std::hint::black_box(name);
            },
        )
    }

    fn finish(self: Box<Self>) -> Result<Vec<Body>> {
        Ok(Vec::new())
    }
}

pub fn gunzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(bytes);
    encoder.finish().unwrap_or_default()
}

/// Writes bodies as (gzip flag, length, bytes) records, for the parent to open.
pub fn write_bodies(path: &Path, bodies: &[Body]) -> std::io::Result<()> {
    let mut out = Vec::new();
    for body in bodies {
        out.push(u8::from(body.gzip));
        out.extend_from_slice(&(body.bytes.len() as u64).to_le_bytes());
        out.extend_from_slice(&body.bytes);
    }
    std::fs::write(path, out)
}

pub fn read_bodies(path: &Path) -> std::io::Result<Vec<Body>> {
    let data = std::fs::read(path)?;
    let mut bodies = Vec::new();
    let mut rest = &data[..];
    while let [flag, tail @ ..] = rest {
        let (len, tail) = tail.split_at_checked(8).ok_or_else(truncated)?;
        let len = usize::try_from(u64::from_le_bytes(len.try_into().map_err(|_| truncated())?))
            .map_err(|_| truncated())?;
        let (bytes, tail) = tail.split_at_checked(len).ok_or_else(truncated)?;
        bodies.push(Body {
            gzip: *flag == 1,
            bytes: bytes.to_vec(),
        });
        rest = tail;
    }
    Ok(bodies)
}

fn truncated() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, "truncated bodies file")
}
