use super::*;
use crate::consent::{AgeBand, Category, Consent};
use crate::transform::TimeUnit;

fn errors(toml: &str) -> Vec<PolicyError> {
    Policy::from_toml(toml).unwrap_err().0
}

fn consent(granted: &[Category], age: AgeBand) -> Consent {
    let mut c = Consent::default();
    for &g in granted {
        c.set(g, true, 0).unwrap();
    }
    c.set_age(age, true, 0);
    c
}

#[test]
fn the_default_policy_passes_its_own_safety_checks() {
    for (i, rule) in Policy::default().rules().iter().enumerate() {
        document::check_safe(i + 1, rule.class, &rule.action).unwrap();
    }
}

#[test]
fn the_default_policy_decides_as_the_brief_says() {
    let policy = Policy::default();
    let none = consent(&[], AgeBand::Adult);
    let all = consent(Category::USER, AgeBand::Adult);
    let action = |class, c: &Consent| policy.decide(class, &c.permits(&policy)).action.clone();
    assert_eq!(action(DataClass::DeviceBasic, &none), Action::Drop);
    assert_eq!(action(DataClass::DeviceBasic, &all), Action::Keep);
    assert_eq!(
        action(DataClass::DeviceCapacity, &all),
        Action::Generalize(Generalization::Bucket)
    );
    assert_eq!(
        action(DataClass::IdInstall, &all),
        Action::Hash { purpose: None }
    );
    assert_eq!(action(DataClass::IdHardware, &all), Action::Drop);
    assert_eq!(action(DataClass::Contact, &all), Action::Drop);
    assert_eq!(
        action(DataClass::NetworkIp, &all),
        Action::Generalize(Generalization::Ip)
    );
    assert_eq!(action(DataClass::NetworkBasic, &none), Action::Keep);
    assert_eq!(action(DataClass::Location, &all), Action::Keep);
    assert_eq!(
        action(
            DataClass::Location,
            &consent(&[Category::Location], AgeBand::Adult)
        ),
        Action::Generalize(Generalization::Grid { cell_m: 1000.0 })
    );
    assert_eq!(
        action(
            DataClass::Sensor,
            &consent(&[Category::Sensors], AgeBand::Adult)
        ),
        Action::Aggregate
    );
    assert_eq!(action(DataClass::Text, &none), Action::Scrub);
    assert_eq!(
        action(DataClass::Time, &none),
        Action::Generalize(Generalization::Time {
            unit: TimeUnit::Minute
        })
    );
    // A minor who granted everything still gets no advertising ID: the rule is for adults.
    assert_eq!(
        action(
            DataClass::IdAdvertising,
            &consent(Category::USER, AgeBand::Minor)
        ),
        Action::Drop
    );
    assert_eq!(
        policy
            .decide(DataClass::Contact, &all.permits(&policy))
            .rule,
        Some(8)
    );
}

#[test]
fn a_field_no_rule_matches_is_dropped() {
    let policy = Policy::from_json(r#"{"rules": []}"#).unwrap();
    let decided = policy.decide(DataClass::DeviceBasic, &Consent::default().permits(&policy));
    assert_eq!((decided.rule, decided.action), (None, &Action::Drop));
}

#[test]
fn json_and_toml_documents_say_the_same() {
    let toml = r#"
        version = 2
        essential = { purpose = "fraud detection" }
        [introduced_in]
        sensors_raw = 2
        [[rules]]
        class = "location"
        when = { granted = "location_precise", age = ["adult"] }
        action = "keep"
        [[rules]]
        class = "location"
        when = { granted = "location" }
        action = "generalize"
        method = "grid"
        cell_m = 5000
        [[rules]]
        class = "contact"
        when = { granted = "identifiers" }
        action = "hash"
        purpose = "account recovery"
        [[rules]]
        class = "time"
        action = "generalize"
        method = "time"
        unit = "hour"
    "#;
    let json = r#"{
        "version": 2,
        "essential": {"purpose": "fraud detection"},
        "introduced_in": {"sensors_raw": 2},
        "rules": [
            {"class": "location", "when": {"granted": "location_precise", "age": ["adult"]}, "action": "keep"},
            {"class": "location", "when": {"granted": "location"}, "action": "generalize", "method": "grid", "cell_m": 5000},
            {"class": "contact", "when": {"granted": "identifiers"}, "action": "hash", "purpose": "account recovery"},
            {"class": "time", "action": "generalize", "method": "time", "unit": "hour"}
        ]
    }"#;
    let from_toml = Policy::from_toml(toml).unwrap();
    assert_eq!(from_toml, Policy::from_json(json).unwrap());
    assert_eq!(from_toml.version(), 2);
    assert_eq!(from_toml.introduced_in(Category::SensorsRaw), 2);
    assert_eq!(from_toml.introduced_in(Category::Sensors), 0);
    assert_eq!(from_toml.essential_purpose(), Some("fraud detection"));
    assert_eq!(from_toml.rules().len(), 4);

    // What a device is handed instead of the TOML says the same again.
    let converted = Policy::toml_to_json(toml).unwrap();
    assert_eq!(Policy::from_json(&converted).unwrap(), from_toml);
    let invalid = "[[rules]]\nclass = \"gps\"\naction = \"keep\"\n";
    assert!(matches!(
        errors_of_conversion(invalid)[..],
        [PolicyError::UnknownDataClass { .. }]
    ));
}

fn errors_of_conversion(toml: &str) -> Vec<PolicyError> {
    Policy::toml_to_json(toml).unwrap_err().0
}

#[test]
fn validation_names_the_offending_entry() {
    let found = errors(
        r#"
        [[rules]]
        class = "id.imei"
        action = "drop"
        [[rules]]
        class = "device.basic"
        action = "shred"
        [[rules]]
        class = "location"
        action = "generalize"
        method = "grid"
        [[rules]]
        class = "id.hardware"
        action = "hash"
        [[rules]]
        class = "contact"
        action = "keep"
        [[rules]]
        class = "contact"
        action = "hash"
        [[rules]]
        class = "analytics"
        when = { granted = "telepathy", age = ["toddler"] }
        action = "drop"
        [[rules]]
        class = "text"
        action = "keep"
        [[rules]]
        class = "network.ip"
        action = "keep"
        [[rules]]
        class = "sensor"
        action = "generalize"
        method = "ip"
        [[rules]]
        class = "time"
        action = "generalize"
        method = "time"
        unit = "fortnight"
        [[rules]]
        class = "location"
        action = "generalize"
        method = "grid"
        cell_m = -3
        "#,
    );
    let expected = vec![
        PolicyError::UnknownDataClass {
            rule: 1,
            name: "id.imei".into(),
        },
        PolicyError::UnknownAction {
            rule: 2,
            class: "device.basic".into(),
            name: "shred".into(),
        },
        PolicyError::MissingParameter {
            rule: 3,
            class: "location".into(),
            action: "generalize/grid".into(),
            parameter: "cell_m",
        },
        PolicyError::LetsHardwareIdThrough {
            rule: 4,
            action: "hash".into(),
        },
        PolicyError::LetsRawContactThrough {
            rule: 5,
            action: "keep".into(),
        },
        PolicyError::MissingParameter {
            rule: 6,
            class: "contact".into(),
            action: "hash".into(),
            parameter: "purpose",
        },
        PolicyError::UnknownDataClass {
            rule: 7,
            name: "analytics".into(),
        },
        PolicyError::LetsRawTextThrough {
            rule: 8,
            action: "keep".into(),
        },
        PolicyError::LetsRawIdentifierThrough {
            rule: 9,
            class: "network.ip".into(),
            action: "keep".into(),
        },
        PolicyError::NotApplicable {
            rule: 10,
            class: "sensor".into(),
            action: "generalize/ip".into(),
        },
        PolicyError::InvalidParameter {
            rule: 11,
            class: "time".into(),
            parameter: "unit",
            reason: "must be second, minute, hour or day, not `fortnight`".into(),
        },
        PolicyError::InvalidParameter {
            rule: 12,
            class: "location".into(),
            parameter: "cell_m",
            reason: "must be a positive number of metres, not -3".into(),
        },
    ];
    assert_eq!(found, expected);
    assert!(PolicyErrors(found)
        .to_string()
        .contains("rule 4 (`id.hardware`)"));
}

#[test]
fn conditions_and_document_level_entries_are_checked() {
    assert_eq!(
        errors("[[rules]]\nclass = \"device.basic\"\nwhen = { granted = \"telepathy\", age = [\"toddler\"] }\naction = \"keep\"\n"),
        vec![
            PolicyError::UnknownCategory { entry: "rule 1 (`device.basic`)".into(), name: "telepathy".into() },
            PolicyError::UnknownAgeBand { rule: 1, class: "device.basic".into(), name: "toddler".into() },
        ]
    );
    assert_eq!(
        errors("version = 1\nessential = { purpose = \" \" }\n[introduced_in]\nsensors_raw = 2\nfeelings = 1\n"),
        vec![
            PolicyError::EssentialWithoutPurpose,
            PolicyError::UnknownCategory { entry: "introduced_in".into(), name: "feelings".into() },
            PolicyError::IntroducedAfterVersion { category: "sensors_raw".into(), introduced_in: 2, version: 1 },
        ]
    );
    assert!(matches!(
        errors("rules = 3")[..],
        [PolicyError::Parse { format: "TOML", .. }]
    ));
    assert!(matches!(
        Policy::from_json("{\"rules\": [], \"extra\": 1}")
            .unwrap_err()
            .0[..],
        [PolicyError::Parse { format: "JSON", .. }]
    ));
}

#[test]
fn the_documented_privacy_table_is_generated_from_the_default_policy() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/privacy-table.md");
    let doc = std::fs::read_to_string(path).expect("docs/privacy-table.md exists");
    let table = Policy::default().render_table();
    assert!(
        doc.contains(&table),
        "docs/privacy-table.md is out of date; regenerate it with `modicum policy table`:\n{table}"
    );
}

#[test]
fn a_policy_names_the_scrubbing_families_it_runs() {
    let found = errors("[scrub]\nfamilies = [\"email\", \"telepathy\"]\n");
    assert!(
        matches!(&found[..], [PolicyError::UnknownScrubFamily { name, known }] if name == "telepathy" && known.contains("cn_mobile")),
        "{found:?}"
    );
    assert_eq!(
        errors("[scrub]\nfamilies = []\n"),
        vec![PolicyError::NoScrubFamilies]
    );
    let policy = Policy::from_toml("[scrub]\nfamilies = [\"email\"]\n").unwrap();
    assert_eq!(
        policy.families().iter().collect::<Vec<_>>(),
        [crate::PiiKind::Email]
    );
    assert_eq!(Policy::default().families(), Families::ALL);
    // Only what is named runs.
    let text = "ann@example.org 15900001111";
    assert_eq!(
        crate::scrub_with(text, policy.families()).text,
        "[email] 15900001111"
    );
}
