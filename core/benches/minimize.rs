//! Minimizing a 12-field device-context event with one hashed identifier, all consent granted
//! (the most work per event: every field is kept, bucketed, truncated or hashed).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use modicum_core::consent::Consent;
use modicum_core::minimize::{minimize, Context};
use modicum_core::transform::{InstallSecret, Pseudonymizer, DEFAULT_ROTATION};
use modicum_core::{Category, DataClass, Event, Policy, Value};

fn device_context() -> Event {
    let text = |s: &str| Value::Text(s.to_owned());
    Event::new("device_context")
        .in_category(Category::Diagnostics)
        .with_class(
            "install_id",
            text("3f1c9a7e-2b4d-4e8f-9a1b-7c6d5e4f3a2b"),
            DataClass::IdInstall,
        )
        .with_class("brand", text("google"), DataClass::DeviceBasic)
        .with_class("model", text("Pixel 9"), DataClass::DeviceBasic)
        .with_class("os", text("Android"), DataClass::DeviceBasic)
        .with_class("os_version", text("15"), DataClass::DeviceBasic)
        .with_class("app_version", text("4.2.1"), DataClass::DeviceBasic)
        .with_class("locale", text("de-DE"), DataClass::DeviceBasic)
        .with_class("ram", Value::Int(12_000_000_000), DataClass::DeviceCapacity)
        .with_class(
            "storage",
            Value::Int(256_000_000_000),
            DataClass::DeviceCapacity,
        )
        .with_class("screen", text("1080x2424"), DataClass::DeviceScreen)
        .with_class("ip", text("203.0.113.77"), DataClass::NetworkIp)
        .with_class("network", text("wifi"), DataClass::NetworkBasic)
}

fn bench(c: &mut Criterion) {
    let policy = Policy::default();
    let mut consent = Consent::default();
    for &category in Category::USER {
        consent.set(category, true, 0).expect("user category");
    }
    let secret = InstallSecret::from_bytes([5; 32]);
    let pseudonymizer = Pseudonymizer::new(&secret, DEFAULT_ROTATION).expect("valid rotation");
    let cx = Context {
        permits: consent.permits(&policy),
        policy: &policy,
        pseudonymizer: &pseudonymizer,
        now_ms: 1_795_000_000_000,
    };
    let event = device_context();
    assert_eq!(event.properties.len(), 12);

    let mut group = c.benchmark_group("minimize");
    group.throughput(Throughput::Elements(1));
    // The app builds the event and hands it over; building it is the caller's cost, so each
    // iteration gets a fresh copy made outside the timed part.
    group.bench_function("device_context_12_fields_1_hashed", |b| {
        b.iter_batched(
            || event.clone(),
            |event| minimize(black_box(event), &cx),
            BatchSize::SmallInput,
        )
    });
    // The same with the copy inside the timed part: an upper bound that charges minimization
    // with building the event too.
    group.bench_function("device_context_12_fields_1_hashed_with_event_copy", |b| {
        b.iter(|| minimize(black_box(event.clone()), &cx))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
