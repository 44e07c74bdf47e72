//! `GET /metrics`: what [`Stats`] counts, in Prometheus' text format, for the scraper of each
//! node. The counters are the service's own atomics, read at each scrape through a
//! collector; the two histograms live in [`Stats`] too.

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::MetricType;
use prometheus_client::registry::{Registry, Unit};

use crate::stats::Stats;

/// The text a scrape gets.
pub fn render(stats: &Arc<Stats>) -> String {
    let mut registry = Registry::with_prefix("modicum_ingest");
    registry.register_collector(Box::new(Scrape(Arc::clone(stats))));
    let mut text = String::new();
    // Writing to a String cannot fail.
    let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &registry);
    text
}

#[derive(Debug)]
struct Scrape(Arc<Stats>);

fn counter(
    encoder: &mut DescriptorEncoder,
    name: &str,
    help: &str,
    value: u64,
) -> Result<(), std::fmt::Error> {
    let counter = ConstCounter::new(value);
    counter.encode(encoder.encode_descriptor(name, help, None, counter.metric_type())?)
}

impl Collector for Scrape {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let s = self.0.snapshot();
        let e = &mut encoder;
        counter(e, "batches_accepted", "Batches stored (200).", s.accepted)?;
        counter(
            e,
            "events_stored",
            "Events in stored batches.",
            s.events_stored,
        )?;
        counter(
            e,
            "batches_duplicate",
            "Batches already stored (409).",
            s.duplicates,
        )?;
        counter(
            e,
            "batches_gone",
            "Batches of deleted installs (410).",
            s.gone,
        )?;
        counter(e, "rate_limited", "Requests answered 429.", s.rate_limited)?;
        counter(
            e,
            "overloaded",
            "Requests answered 503 or connections refused.",
            s.overloaded,
        )?;
        counter(
            e,
            "storage_failures",
            "Requests answered 500: the store failed.",
            s.storage_failures,
        )?;
        counter(
            e,
            "faults_injected",
            "Injected faults (tests, the demo).",
            s.faults_injected,
        )?;
        counter(e, "deletions", "Deletion requests applied.", s.deletions)?;
        counter(
            e,
            "deletion_pseudonyms_proven",
            "Pseudonyms deletion requests proved.",
            s.proven,
        )?;
        counter(
            e,
            "deletion_pseudonyms_unproven",
            "Pseudonyms left untouched, unproven.",
            s.unproven,
        )?;
        counter(
            e,
            "deletion_rows",
            "Rows deleted on proven requests.",
            s.rows_deleted,
        )?;
        let mut rejected = e.encode_descriptor(
            "requests_rejected",
            "Requests refused, by kind (400, 401, 408, 413, 422).",
            None,
            MetricType::Counter,
        )?;
        for (kind, n) in &s.rejected {
            ConstCounter::new(*n).encode(rejected.encode_family(&[("kind", *kind)])?)?;
        }
        let timings = self.0.timings();
        timings.processing.encode(e.encode_descriptor(
            "batch_processing",
            "Time a batch spends on the blocking pool: duplicate check, opening, verification, the store.",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?)?;
        timings.insert.encode(e.encode_descriptor(
            "store_insert",
            "Time the store takes to insert one batch.",
            Some(&Unit::Seconds),
            MetricType::Histogram,
        )?)?;
        Ok(())
    }
}
