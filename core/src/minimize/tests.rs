use super::*;
use crate::consent::{AgeBand, Basis, Category, Consent};
use crate::policy::{DataClass, Policy};
use crate::transform::{InstallSecret, Pseudonymizer, DEFAULT_ROTATION};
use crate::{Event, Value};

fn pseudonymizer() -> Pseudonymizer {
    Pseudonymizer::new(&InstallSecret::from_bytes([9; 32]), DEFAULT_ROTATION).unwrap()
}

fn run(
    event: Event,
    granted: &[Category],
    age: AgeBand,
    policy: &Policy,
) -> (Option<Minimized>, Trace) {
    let mut consent = Consent::default();
    for &c in granted {
        consent.set(c, true, 0).unwrap();
    }
    consent.set_age(age, false, 0);
    let p = pseudonymizer();
    minimize(
        event,
        &Context {
            permits: consent.permits(policy),
            policy,
            pseudonymizer: &p,
            now_ms: 1_000,
        },
    )
}

fn json(m: &Minimized) -> serde_json::Value {
    serde_json::to_value(m).unwrap()
}

fn rich_event() -> Event {
    Event::new("session")
        .with_class(
            "install_id",
            Value::Text("3f1c9a7e-2b4d-4e8f-9a1b-7c6d5e4f3a2b".into()),
            DataClass::IdInstall,
        )
        .with_class(
            "ip",
            Value::Text("203.0.113.77".into()),
            DataClass::NetworkIp,
        )
        .with_class("ram", Value::Int(3_000_000_000), DataClass::DeviceCapacity)
        .with_class(
            "model",
            Value::Text("Pixel 9".into()),
            DataClass::DeviceBasic,
        )
        .with_class(
            "carrier",
            Value::Text("Example Mobile".into()),
            DataClass::NetworkCarrier,
        )
        .with_class(
            "email",
            Value::Text("ann@example.org".into()),
            DataClass::Contact,
        )
        .with_class(
            "imei",
            Value::Text("490154203237518".into()),
            DataClass::IdHardware,
        )
        .with(
            "where",
            Value::Location {
                lat: 52.520_008,
                lon: 13.404_954,
            },
        )
        .with("note", Value::Text("write to bo@example.com".into()))
        .with("count", Value::Int(3))
}

#[test]
fn without_the_events_category_nothing_is_held() {
    let (min, trace) = run(
        rich_event(),
        &[Category::Diagnostics],
        AgeBand::Adult,
        &Policy::default(),
    );
    assert!(min.is_none());
    assert_eq!(trace.verdict, Verdict::DroppedForConsent);
    assert!(trace.fields.is_empty());
}

#[test]
fn analytics_alone_keeps_only_what_needs_no_other_grant() {
    let (min, trace) = run(
        rich_event(),
        &[Category::Analytics],
        AgeBand::Adult,
        &Policy::default(),
    );
    let out = json(&min.unwrap());
    assert_eq!(out["basis"], "consent");
    assert_eq!(
        out["properties"],
        serde_json::json!({"carrier": "Example Mobile", "count": 3, "note": "write to [email]"})
    );
    let email = trace.fields.iter().find(|f| f.field == "email").unwrap();
    assert_eq!(
        (email.class, email.rule, email.action, email.outcome),
        (DataClass::Contact, Some(8), "drop", FieldOutcome::Dropped)
    );
    let ip = trace.fields.iter().find(|f| f.field == "ip").unwrap();
    assert_eq!(
        (ip.rule, ip.outcome),
        (None, FieldOutcome::Dropped),
        "no rule for IP without diagnostics"
    );
}

#[test]
fn everything_granted_still_minimizes_every_field() {
    let (min, trace) = run(
        rich_event(),
        Category::USER,
        AgeBand::Adult,
        &Policy::default(),
    );
    let props = json(&min.unwrap())["properties"].clone();
    let install = props["install_id"].as_str().unwrap();
    assert!(
        install.starts_with("p1_") && !install.contains("3f1c9a7e"),
        "{install}"
    );
    assert_eq!(props["ip"], "203.0.113.0/24");
    assert_eq!(props["ram"], 2_147_483_648_i64);
    assert_eq!(props["model"], "Pixel 9");
    assert!(props.get("email").is_none() && props.get("imei").is_none());
    assert_eq!(
        props["where"]["lat"], 52.520_008,
        "precise location with location_precise, adult"
    );
    let outcomes: Vec<_> = trace
        .fields
        .iter()
        .map(|f| (f.field.as_str(), f.outcome))
        .collect();
    assert!(outcomes.contains(&("install_id", FieldOutcome::Hashed)));
    assert!(outcomes.contains(&("ram", FieldOutcome::Generalized)));
    assert!(outcomes.contains(&("note", FieldOutcome::Scrubbed { removed: 1 })));
}

#[test]
fn a_minor_gets_coarse_location_whatever_the_policy_says() {
    let keep_location =
        Policy::from_json(r#"{"rules": [{"class": "location", "action": "keep"}]}"#).unwrap();
    let event = Event::new("e").with(
        "where",
        Value::Location {
            lat: 52.520_008,
            lon: 13.404_954,
        },
    );
    let (min, trace) = run(
        event,
        &[Category::Analytics],
        AgeBand::Minor,
        &keep_location,
    );
    let out = json(&min.unwrap());
    assert_ne!(out["properties"]["where"]["lat"], 52.520_008);
    assert_eq!(trace.fields[0].floor, Some("minor"));
    assert_eq!(trace.fields[0].action, "generalize");
}

#[test]
fn a_child_without_guardian_gets_essential_anonymous_diagnostics_only() {
    let policy = Policy::from_json(
        r#"{"essential": {"purpose": "abuse detection"}, "rules": [
            {"class": "id.install", "action": "hash"},
            {"class": "device.basic", "action": "keep"}
        ]}"#,
    )
    .unwrap();
    let event = Event::new("integrity_check")
        .in_category(Category::Essential)
        .with_class(
            "install_id",
            Value::Text("abc".into()),
            DataClass::IdInstall,
        )
        .with_class(
            "model",
            Value::Text("Pixel 9".into()),
            DataClass::DeviceBasic,
        );
    let (min, trace) = run(event, Category::USER, AgeBand::Child, &policy);
    let out = json(&min.unwrap());
    assert_eq!(out["basis"], "essential");
    assert_eq!(out["properties"], serde_json::json!({"model": "Pixel 9"}));
    let id = trace
        .fields
        .iter()
        .find(|f| f.field == "install_id")
        .unwrap();
    assert_eq!(id.floor, Some("child_without_guardian"));
    // The same child's analytics events are not held at all.
    assert!(
        run(Event::new("tap"), Category::USER, AgeBand::Child, &policy)
            .0
            .is_none()
    );
}

#[test]
fn unusable_values_are_dropped_not_kept() {
    let event = Event::new("e")
        .with_class("ip", Value::Text("not an ip".into()), DataClass::NetworkIp)
        .with_class("ram", Value::Int(-1), DataClass::DeviceCapacity);
    let (min, trace) = run(
        event,
        &[Category::Analytics, Category::Diagnostics],
        AgeBand::Adult,
        &Policy::default(),
    );
    assert!(min.unwrap().properties().is_empty());
    assert!(trace
        .fields
        .iter()
        .all(|f| f.outcome == FieldOutcome::Unusable));
}

#[test]
fn numbers_that_read_as_personal_data_are_not_kept_as_custom_values() {
    let event = Event::new("e")
        .with("imei", Value::Int(490_154_203_237_518))
        .with("ms", Value::Int(1_795_359_944_414));
    let (min, _) = run(
        event,
        &[Category::Analytics],
        AgeBand::Adult,
        &Policy::default(),
    );
    let props = json(&min.unwrap())["properties"].clone();
    assert_ne!(props["imei"], 490_154_203_237_518_i64);
    assert_eq!(
        props["ms"], 1_795_359_944_414_i64,
        "timestamps are not personal data"
    );
}

#[test]
fn withdrawal_takes_back_the_fields_a_category_allowed() {
    let (min, _) = run(
        rich_event(),
        Category::USER,
        AgeBand::Adult,
        &Policy::default(),
    );
    let mut min = min.unwrap();
    assert!(min.withdraw(Category::Identifiers));
    assert!(!min.properties().contains_key("install_id"));
    assert!(min.properties().contains_key("ip"));
    assert!(min.withdraw(Category::Diagnostics));
    assert!(!min.properties().contains_key("ip") && !min.properties().contains_key("ram"));
    assert!(
        min.properties().contains_key("note"),
        "scrubbed text needs no grant beyond the event's"
    );
    assert!(
        !min.withdraw(Category::Analytics),
        "the event's own category takes the whole event"
    );
    assert_eq!(min.basis(), Basis::Consent);
}
