//! The device's minimized events encode exactly as their wire form does.

use crate::minimize::Minimized;
use crate::wire::{decode, encode, encode_events, sample, Batch, Limits, WireEvent};

#[test]
fn minimized_events_encode_as_their_wire_form_does() {
    use crate::consent::Consent;
    use crate::minimize::{minimize, Context};
    use crate::transform::{InstallSecret, Pseudonymizer, DEFAULT_ROTATION};
    use crate::{Category, Event, Policy, Value};

    let policy = Policy::default();
    let mut consent = Consent::default();
    consent.set(Category::Analytics, true, 0).unwrap();
    let pseudonymizer =
        Pseudonymizer::new(&InstallSecret::from_bytes([9; 32]), DEFAULT_ROTATION).unwrap();
    let minimized: Vec<Minimized> = (0..50)
        .filter_map(|i| {
            let event = Event::new(if i % 3 == 0 { "tap" } else { "screen_view" })
                .with("screen", Value::Text(format!("step-{}", i % 4)))
                .with("n", Value::Int(i))
                .with(
                    "ratio",
                    Value::Double(f64::from(u8::try_from(i).unwrap()) / 4.0),
                )
                .with("first", Value::Bool(i % 2 == 0));
            let cx = Context {
                permits: consent.permits(&policy),
                policy: &policy,
                pseudonymizer: &pseudonymizer,
                now_ms: 1_000 + (u64::try_from(i).unwrap() * 7) % 40,
            };
            minimize(event, &cx).0
        })
        .collect();
    assert_eq!(minimized.len(), 50);
    let meta = sample::session(1, 1).meta;
    let refs: Vec<&Minimized> = minimized.iter().collect();
    let direct = encode_events(&meta, &refs).unwrap();
    let converted = Batch {
        meta: meta.clone(),
        events: minimized.iter().map(WireEvent::from).collect(),
    };
    assert_eq!(direct, encode(&converted).unwrap());
    assert_eq!(decode(&direct, Limits::default()).unwrap().events.len(), 50);
}
