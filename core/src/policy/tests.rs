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

#[test]
fn the_store_declarations_in_the_repository_are_generated_from_the_default_policy() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let policy = Policy::default();
    let manifest =
        std::fs::read_to_string(format!("{root}/ios/Sources/Modicum/PrivacyInfo.xcprivacy"))
            .unwrap();
    assert_eq!(
        manifest,
        policy.privacy_manifest().unwrap(),
        "ios/Sources/Modicum/PrivacyInfo.xcprivacy is out of date: \
         `modicum disclosures ios > ios/Sources/Modicum/PrivacyInfo.xcprivacy`"
    );
    let doc = std::fs::read_to_string(format!("{root}/docs/disclosures.md")).unwrap();
    let table = policy.disclosures_markdown().unwrap();
    assert!(
        doc.contains(&table),
        "docs/disclosures.md is out of date; regenerate its table with \
         `modicum disclosures markdown`:\n{table}"
    );
}

/// Whether the manifest declares `data_type` (linked or not) with `purpose`.
fn declares(manifest: &str, data_type: &str) -> bool {
    manifest.contains(&format!(
        "<string>NSPrivacyCollectedDataType{data_type}</string>"
    ))
}

#[test]
fn what_the_policy_never_lets_leave_is_never_declared_and_what_it_does_is() {
    let default = Policy::default().privacy_manifest().unwrap();
    for present in [
        "DeviceID",
        "PreciseLocation",
        "CoarseLocation",
        "CrashData",
        "PerformanceData",
        "ProductInteraction",
        "OtherDiagnosticData",
    ] {
        assert!(declares(&default, present), "{present} missing");
    }
    // A policy that lets no identifier or location leave declares neither, and nothing linked.
    let bare = Policy::from_toml(
        "version = 1\n[[rules]]\nclass = \"device.basic\"\nwhen = { granted = \"diagnostics\" }\naction = \"keep\"\n",
    )
    .unwrap();
    let manifest = bare.privacy_manifest().unwrap();
    for absent in ["DeviceID", "PreciseLocation", "CoarseLocation"] {
        assert!(
            !declares(&manifest, absent),
            "{absent} declared:\n{manifest}"
        );
    }
    assert!(
        !manifest.contains("<true/>"),
        "nothing is linked:\n{manifest}"
    );
    assert!(!bare.disclosure().pseudonym_travels);
    // Coarsened location only: approximate, not precise.
    let coarse = Policy::from_toml(
        "version = 1\n[[rules]]\nclass = \"location\"\nwhen = { granted = \"location\" }\naction = \"generalize\"\nmethod = \"grid\"\ncell_m = 5000\n",
    )
    .unwrap()
    .privacy_manifest()
    .unwrap();
    assert!(declares(&coarse, "CoarseLocation") && !declares(&coarse, "PreciseLocation"));
}

/// Apple's property list reader (Python's `plistlib`, the same format) reads the manifest and
/// finds the keys Xcode's privacy report needs.
#[test]
fn the_manifest_is_a_property_list_apple_tools_read() {
    let manifest = Policy::default().privacy_manifest().unwrap();
    let script = "import plistlib, sys, json\n\
                  p = plistlib.loads(sys.stdin.buffer.read())\n\
                  print(json.dumps({'tracking': p['NSPrivacyTracking'], \
                  'types': [(t['NSPrivacyCollectedDataType'], t['NSPrivacyCollectedDataTypeLinked'], \
                  t['NSPrivacyCollectedDataTypeTracking'], len(t['NSPrivacyCollectedDataTypePurposes'])) \
                  for t in p['NSPrivacyCollectedDataTypes']], \
                  'apis': [a['NSPrivacyAccessedAPIType'] for a in p['NSPrivacyAccessedAPITypes']]}))";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs (tests/run needs it)");
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(manifest.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "plistlib refused the manifest");
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["tracking"], false);
    let types = parsed["types"].as_array().unwrap();
    assert_eq!(types.len(), 8, "{parsed}");
    for t in types {
        assert_eq!(t[2], false, "no type is tracking: {t}");
        assert!(t[3].as_u64().unwrap() >= 1, "every type has a purpose: {t}");
    }
    assert_eq!(
        parsed["apis"],
        serde_json::json!(["NSPrivacyAccessedAPICategoryDiskSpace"])
    );
}

/// The CSV has the five columns Play Console's export has, one answer per row, every answer
/// TRUE or FALSE, every question one the form asks, and a complete block per data type.
#[test]
fn the_data_safety_csv_has_the_shape_play_console_imports() {
    for policy in [Policy::default(), example_policy()] {
        let csv = policy.data_safety_csv().unwrap();
        let mut lines = csv.lines();
        assert_eq!(
            lines.next(),
            Some("Question ID (machine readable),Response ID (machine readable),Response value,Answer requirement,Human-friendly question label")
        );
        let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        let mut types = std::collections::BTreeSet::new();
        let mut usage = BTreeMap::<&str, Vec<(&str, &str, &str)>>::new();
        for row in &rows {
            assert_eq!(row.len(), 5, "{row:?}");
            assert!(matches!(row[2], "TRUE" | "FALSE"), "{row:?}");
            let question = row[0];
            if question.starts_with("PSL_DATA_TYPES_") {
                assert!(row[1].starts_with("PSL_"), "{row:?}");
                types.insert(row[1]);
            } else if let Some(rest) = question.strip_prefix("PSL_DATA_USAGE_RESPONSES:") {
                let (data_type, section) = rest.split_once(':').unwrap();
                usage
                    .entry(data_type)
                    .or_default()
                    .push((section, row[1], row[2]));
            } else {
                assert!(
                    [
                        "PSL_DATA_COLLECTION_COLLECTS_PERSONAL_DATA",
                        "PSL_DATA_COLLECTION_ENCRYPTED_IN_TRANSIT",
                        "PSL_SUPPORT_DATA_DELETION_BY_USER"
                    ]
                    .contains(&question),
                    "{row:?}"
                );
            }
        }
        assert_eq!(
            types,
            usage.keys().copied().collect(),
            "a usage block per type"
        );
        for (data_type, answers) in &usage {
            let value = |section: &str, response: &str| {
                answers
                    .iter()
                    .find(|a| a.0 == section && a.1 == response)
                    .map(|a| a.2)
            };
            assert_eq!(
                value(
                    "PSL_DATA_USAGE_COLLECTION_AND_SHARING",
                    "PSL_DATA_USAGE_ONLY_COLLECTED"
                ),
                Some("TRUE"),
                "{data_type}"
            );
            assert_eq!(
                value(
                    "PSL_DATA_USAGE_COLLECTION_AND_SHARING",
                    "PSL_DATA_USAGE_ONLY_SHARED"
                ),
                Some("FALSE"),
                "{data_type}"
            );
            let optional = value(
                "DATA_USAGE_USER_CONTROL",
                "PSL_DATA_USAGE_USER_CONTROL_OPTIONAL",
            );
            let required = value(
                "DATA_USAGE_USER_CONTROL",
                "PSL_DATA_USAGE_USER_CONTROL_REQUIRED",
            );
            assert!(
                matches!(
                    (optional, required),
                    (Some("TRUE"), Some("FALSE")) | (Some("FALSE"), Some("TRUE"))
                ),
                "{data_type}"
            );
            assert!(
                answers
                    .iter()
                    .any(|a| a.0 == "DATA_USAGE_COLLECTION_PURPOSE" && a.2 == "TRUE"),
                "{data_type}: no purpose"
            );
        }
    }
    // The example declares essential processing: device basics and crash logs are required.
    let csv = example_policy().data_safety_csv().unwrap();
    assert!(csv.contains("PSL_DATA_USAGE_RESPONSES:PSL_CRASH_LOGS:DATA_USAGE_USER_CONTROL,PSL_DATA_USAGE_USER_CONTROL_REQUIRED,TRUE"));
    assert!(
        !csv.contains("PSL_PRECISE_LOCATION"),
        "the example keeps no precise location"
    );
}

fn example_policy() -> Policy {
    Policy::from_path(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/examples/app-policy.toml"
    )))
    .expect("the example policy is valid")
}
