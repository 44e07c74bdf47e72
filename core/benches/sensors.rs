//! Sensor sample ingestion: three-axis samples folded into windows on one core.
//!
//! Run: `cargo bench -p modicum-core --bench sensors`

use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use modicum_core::collect::sensors::Aggregator;
use modicum_core::{Category, Config, Modicum, SensorSample};

const SAMPLES: u64 = 100_000;

fn ingest(c: &mut Criterion) {
    let mut group = c.benchmark_group("sensors");
    group.throughput(Throughput::Elements(SAMPLES));
    group.bench_function("three_axis_10khz_60s_windows", |b| {
        let mut agg = Aggregator::new(Duration::from_secs(60));
        let id = agg.sensor("accelerometer", 3).unwrap();
        let mut t = 0u64;
        b.iter(|| {
            let mut closed = 0;
            for i in 0..SAMPLES {
                // 10 kHz: ten samples per millisecond.
                t += u64::from(i % 10 == 0);
                let x = (i % 97) as f64 * 0.01;
                if agg.add(id, t, &[x, 1.0 - x, 0.5]).unwrap().is_some() {
                    closed += 1;
                }
            }
            std::hint::black_box(closed)
        });
    });
    group.bench_function("through_record_sensor_samples_in_calls_of_1000", |b| {
        let tmp = tempfile::tempdir().unwrap();
        let modicum = Modicum::start(Config::new(tmp.path().join("s"), "dev.bench")).unwrap();
        modicum.set_consent(Category::Sensors, true).unwrap();
        let values: Vec<[f64; 3]> = (0..1000).map(|i| [f64::from(i) * 0.01, 1.0, 0.5]).collect();
        let mut t = 0u64;
        b.iter(|| {
            for _ in 0..SAMPLES / 1000 {
                let samples: Vec<SensorSample> = values
                    .iter()
                    .enumerate()
                    .map(|(i, v)| SensorSample {
                        at_ms: t + i as u64 / 10,
                        values: v,
                    })
                    .collect();
                t += 100;
                std::hint::black_box(
                    modicum
                        .record_sensor_samples("accelerometer", &samples)
                        .unwrap(),
                );
            }
        });
    });
    group.finish();
}

criterion_group!(benches, ingest);
criterion_main!(benches);
