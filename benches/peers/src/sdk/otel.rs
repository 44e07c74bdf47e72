//! OpenTelemetry's Rust logs SDK with its batch log processor. Each event is a log record
//! with an event name, its properties as attributes (free text as the body) and the session's
//! timestamp set on the record; the device context is the resource, sent once per request.
//! The exporter builds the OTLP `ExportLogsServiceRequest`, encodes it with prost and gzips
//! it, as OTLP/HTTP with gzip compression sends it, and keeps the body in memory.

use std::sync::{Arc, Mutex};

use opentelemetry::logs::{AnyValue, LogRecord as _, Logger as _, LoggerProvider as _, Severity};
use opentelemetry::KeyValue;
use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use opentelemetry_proto::transform::common::tonic::ResourceAttributesWithSchema;
use opentelemetry_proto::transform::logs::tonic::group_logs_by_resource_and_scope;
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::logs::{
    BatchConfigBuilder, BatchLogProcessor, LogBatch, LogExporter, SdkLogger, SdkLoggerProvider,
    OTEL_BLRP_SCHEDULE_DELAY_DEFAULT,
};
use opentelemetry_sdk::Resource;
use prost::Message;

use super::{gunzip, gzip, Body, Opened, Result, Sdk};
use crate::measure::{timed, Pacer, Sample};
use crate::workload::{Device, Ev, Prop, Session, Step};

pub struct Otel {
    provider: SdkLoggerProvider,
    logger: SdkLogger,
    pacer: Arc<Pacer>,
    bodies: Arc<Mutex<Vec<Body>>>,
}

/// Encodes each batch as an OTLP/HTTP protobuf body, gzipped, and keeps it.
#[derive(Debug)]
struct OtlpCapture {
    resource: Option<ResourceAttributesWithSchema>,
    bodies: Arc<Mutex<Vec<Body>>>,
}

impl LogExporter for OtlpCapture {
    fn export(
        &self,
        batch: LogBatch<'_>,
    ) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        let empty;
        let resource = match &self.resource {
            Some(r) => r,
            None => {
                empty = ResourceAttributesWithSchema::from(&Resource::builder_empty().build());
                &empty
            }
        };
        let request = ExportLogsServiceRequest {
            resource_logs: group_logs_by_resource_and_scope(&batch, resource),
        };
        let body = gzip(&request.encode_to_vec());
        if let Ok(mut bodies) = self.bodies.lock() {
            bodies.push(Body {
                gzip: true,
                bytes: body,
            });
        }
        std::future::ready(Ok(()))
    }

    fn set_resource(&mut self, resource: &Resource) {
        self.resource = Some(resource.into());
    }
}

impl Otel {
    pub fn start(batch: Option<usize>, pacer: &Arc<Pacer>, session: &Session) -> Result<Otel> {
        let bodies = Arc::new(Mutex::new(Vec::new()));
        let exporter = OtlpCapture {
            resource: None,
            bodies: Arc::clone(&bodies),
        };
        let mut config = BatchConfigBuilder::default();
        if let Some(n) = batch {
            config = config.with_max_export_batch_size(n);
        }
        if pacer.scales_timers() {
            config = config.with_scheduled_delay(pacer.timer(OTEL_BLRP_SCHEDULE_DELAY_DEFAULT));
        }
        let processor = BatchLogProcessor::builder(exporter)
            .with_batch_config(config.build())
            .build();
        let provider = SdkLoggerProvider::builder()
            .with_resource(resource(&session.device))
            .with_log_processor(processor)
            .build();
        let logger = provider.logger(session.device.app_id);
        Ok(Otel {
            provider,
            logger,
            pacer: Arc::clone(pacer),
            bodies,
        })
    }
}

/// The device context as resource attributes, by the semantic conventions where they name it.
fn resource(d: &Device) -> Resource {
    let int = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    Resource::builder()
        .with_service_name(d.app_id)
        .with_attributes([
            KeyValue::new("service.version", d.app_version),
            KeyValue::new("device.manufacturer", d.manufacturer),
            KeyValue::new("device.brand", d.brand),
            KeyValue::new("device.model.identifier", d.model),
            KeyValue::new("os.name", d.os_name),
            KeyValue::new("os.version", d.os_version),
            KeyValue::new("host.arch", d.cpu_arch),
            KeyValue::new("device.locale", d.locale),
            KeyValue::new("device.time_zone", d.time_zone),
            KeyValue::new("device.memory", int(d.ram_bytes)),
            KeyValue::new("device.storage", int(d.storage_bytes)),
            KeyValue::new("device.screen.width", i64::from(d.screen_width)),
            KeyValue::new("device.screen.height", i64::from(d.screen_height)),
            KeyValue::new("network.connection.type", "wifi"),
        ])
        .build()
}

impl Sdk for Otel {
    fn record(&mut self, step: &Step) -> Sample {
        let logger = &self.logger;
        let at = self.pacer.system_time_at(step.at_ms);
        let event = &step.event;
        timed(
            || {
                let mut record = logger.create_log_record();
                record.set_event_name(event.name());
                record.set_timestamp(at);
                record.set_observed_timestamp(at);
                let (severity, text) = match event {
                    Ev::Error { .. } => (Severity::Error, "ERROR"),
                    _ => (Severity::Info, "INFO"),
                };
                record.set_severity_number(severity);
                record.set_severity_text(text);
                for (key, prop) in event.props() {
                    match (event, prop) {
                        // Free text is the record's body.
                        (Ev::Text { .. }, Prop::Str(s)) => record.set_body(s.to_owned().into()),
                        (_, Prop::Str(s)) => {
                            record.add_attribute(key, AnyValue::from(s.to_owned()))
                        }
                        (_, Prop::Int(i)) => record.add_attribute(key, i),
                        (_, Prop::Bool(b)) => record.add_attribute(key, b),
                    }
                }
                record
            },
            |record| logger.emit(record),
        )
    }

    fn finish(self: Box<Self>) -> Result<Vec<Body>> {
        self.provider.force_flush()?;
        self.provider.shutdown()?;
        let bodies = self.bodies.lock().map_err(|_| "poisoned")?;
        Ok(bodies.clone())
    }
}

/// Gunzips and decodes each request; counts its log records.
pub fn open(bodies: &[Body]) -> Result<Opened> {
    let mut opened = Opened::default();
    for body in bodies {
        let bytes = gunzip(&body.bytes)?;
        let request = ExportLogsServiceRequest::decode(&bytes[..])?;
        opened.events += request
            .resource_logs
            .iter()
            .flat_map(|r| &r.scope_logs)
            .map(|s| s.log_records.len())
            .sum::<usize>();
        opened.plaintexts.push(bytes);
    }
    Ok(opened)
}
