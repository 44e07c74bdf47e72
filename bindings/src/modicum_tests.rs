use super::*;

fn start(
    dir: &std::path::Path,
    policy_document: Option<&str>,
) -> Result<Arc<ModicumCore>, ModicumError> {
    ModicumCore::start(ModicumConfig {
        policy_document: policy_document.map(Into::into),
        ..config(dir)
    })
}

#[test]
fn the_surface_adapts_the_core() {
    let tmp = tempfile::tempdir().unwrap();
    let core = start(tmp.path(), None).unwrap();
    core.set_consent("analytics".into(), true).unwrap();
    assert_eq!(core.permitted_categories(), vec!["analytics".to_owned()]);
    let props = HashMap::from([
        ("n".to_owned(), PropertyValue::Int { value: 2 }),
        (
            "t".to_owned(),
            PropertyValue::Text {
                value: "x@example.com".into(),
            },
        ),
    ]);
    assert!(core.record("tap".into(), props).unwrap());
    let held: serde_json::Value = serde_json::from_str(&core.held_events_json().unwrap()).unwrap();
    assert_eq!(
        held[0]["properties"],
        serde_json::json!({"n": 2, "t": "[email]"})
    );
    let traces: serde_json::Value = serde_json::from_str(&core.recent_traces_json()).unwrap();
    assert_eq!(traces[0]["event"], "tap");
}

/// The handle a change of consent returns says when it is saved, to a waiter and a listener.
#[test]
fn a_change_of_consent_hands_back_its_durability() {
    struct Told(std::sync::mpsc::Sender<Option<ModicumError>>);
    impl crate::SettledListener for Told {
        fn settled(&self, failure: Option<ModicumError>) {
            let _ = self.0.send(failure);
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let core = start(tmp.path(), None).unwrap();
    let saving = core.set_consent("analytics".into(), true).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    saving.on_settled(Arc::new(Told(tx)));
    assert_eq!(saving.wait(10_000), Ok(()));
    assert!(saving.is_saved());
    assert_eq!(
        rx.recv_timeout(std::time::Duration::from_secs(10)).unwrap(),
        None
    );
    assert!(tmp.path().join("consent.json").exists());
}

#[test]
fn declared_classes_and_categories_reach_the_core() {
    let tmp = tempfile::tempdir().unwrap();
    let core = start(tmp.path(), Some(r#"{"essential": {"purpose": "abuse"}, "rules": [{"class": "device.basic", "action": "keep"}]}"#)).unwrap();
    core.set_age(AgeBand::Child, false).unwrap();
    assert_eq!(core.permitted_categories(), vec!["essential".to_owned()]);
    let event = CustomEvent {
        name: "integrity".into(),
        category: Some("essential".into()),
        properties: HashMap::from([
            (
                "model".to_owned(),
                PropertyValue::Text {
                    value: "Pixel".into(),
                },
            ),
            (
                "where".to_owned(),
                PropertyValue::Location {
                    latitude: 1.0,
                    longitude: 2.0,
                },
            ),
        ]),
        classes: HashMap::from([("model".to_owned(), DataClass::DeviceBasic)]),
    };
    assert!(core.record_event(event).unwrap());
    let held: serde_json::Value = serde_json::from_str(&core.held_events_json().unwrap()).unwrap();
    assert_eq!(held[0]["basis"], "essential");
    assert_eq!(held[0]["properties"], serde_json::json!({"model": "Pixel"}));
}

#[test]
fn core_errors_become_typed_foreign_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let core = start(tmp.path(), None).unwrap();
    assert_eq!(
        core.record(String::new(), HashMap::new()),
        Err(ModicumError::EmptyEventName)
    );
    assert_eq!(
        core.set_consent("nope".into(), true).err(),
        Some(ModicumError::UnknownCategory {
            name: "nope".into()
        })
    );
    assert_eq!(
        core.set_consent("essential".into(), true).err(),
        Some(ModicumError::EssentialIsDeclared)
    );
    let file = tmp.path().join("file");
    std::fs::write(&file, b"").unwrap();
    assert!(matches!(
        start(&file, None),
        Err(ModicumError::StorageUnusable { .. })
    ));
    let Err(ModicumError::InvalidPolicy { errors }) = start(
        tmp.path(),
        Some(r#"{"rules": [{"class": "id.hardware", "action": "keep"}]}"#),
    ) else {
        panic!("expected InvalidPolicy");
    };
    assert!(errors.contains("rule 1 (`id.hardware`)"), "{errors}");
    let Err(ModicumError::InvalidPolicy { errors }) = start(
        tmp.path(),
        Some("[[rules]]\nclass = \"device.basic\"\naction = \"keep\"\n"),
    ) else {
        panic!("expected InvalidPolicy for TOML");
    };
    assert!(errors.contains("modicum policy json"), "{errors}");
}

pub(crate) fn config(dir: &std::path::Path) -> ModicumConfig {
    ModicumConfig {
        storage_dir: dir.display().to_string(),
        app_id: "com.example".into(),
        policy_document: None,
        pseudonym_rotation_days: None,
        collector_public_key: None,
        endpoints: Vec::new(),
        home_region: None,
        crash_handlers: false,
        upload_only_unmetered: false,
        app_version: None,
    }
}

#[test]
fn rotation_and_collector_key_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let zero = ModicumConfig {
        pseudonym_rotation_days: Some(0),
        ..config(tmp.path())
    };
    assert!(matches!(
        ModicumCore::start(zero),
        Err(ModicumError::InvalidConfig { .. })
    ));
    let short = ModicumConfig {
        collector_public_key: Some(vec![1; 31]),
        ..config(tmp.path())
    };
    assert!(matches!(
        ModicumCore::start(short),
        Err(ModicumError::InvalidConfig { .. })
    ));
}

#[test]
fn with_a_collector_key_events_are_sealed_for_upload() {
    let tmp = tempfile::tempdir().unwrap();
    let key = ModicumConfig {
        collector_public_key: Some(vec![9; 32]),
        ..config(tmp.path())
    };
    let core = ModicumCore::start(key).unwrap();
    core.set_consent("analytics".into(), true).unwrap();
    assert!(core.record("tap".into(), HashMap::new()).unwrap());
    assert_eq!(core.pending_batches(), 0);
    core.seal_now(10_000).unwrap();
    assert_eq!(core.pending_batches(), 1);
    assert_eq!(
        core.held_events_json().unwrap(),
        "[]",
        "sealed events left the journal"
    );
}

#[test]
fn bulk_records_report_each_refusal_and_queue_the_rest() {
    let tmp = tempfile::tempdir().unwrap();
    let core = start(tmp.path(), None).unwrap();
    core.set_consent("analytics".into(), true).unwrap();
    let event = |name: &str| CustomEvent {
        name: name.into(),
        category: None,
        properties: HashMap::new(),
        classes: HashMap::new(),
    };
    let outcome = core.record_batch(vec![event("a"), event(""), event("b")]);
    assert_eq!(outcome.queued, 2);
    assert_eq!(outcome.rejected.len(), 1);
    assert_eq!(outcome.rejected[0].index, 1);
    assert_eq!(outcome.rejected[0].error, ModicumError::EmptyEventName);
}

struct Accepting(std::sync::Mutex<u32>);

impl crate::Uploader for Accepting {
    fn upload(&self, request: crate::UploadRequest) -> Result<crate::UploadOutcome, ModicumError> {
        *self.0.lock().unwrap() += 1;
        if *self.0.lock().unwrap() == 1 {
            // A platform exception is a network error, retried.
            return Err(ModicumError::Platform {
                reason: "socket closed".into(),
            });
        }
        assert!(request.url.ends_with("/v1/batches"));
        Ok(crate::UploadOutcome::Response {
            status: 200,
            retry_after: None,
        })
    }
}

/// `config` with a collector key and one endpoint; uploads go to test uploaders only.
fn with_collector(config: ModicumConfig) -> ModicumConfig {
    ModicumConfig {
        collector_public_key: Some(vec![9; 32]),
        endpoints: vec![Endpoint {
            region: "eu".into(),
            url: "https://eu.collector.example".into(),
        }],
        ..config
    }
}

#[test]
fn the_push_helper_drives_a_platform_uploader() {
    let tmp = tempfile::tempdir().unwrap();
    let core = ModicumCore::start(with_collector(config(tmp.path()))).unwrap();
    core.set_consent("analytics".into(), true).unwrap();
    core.record("tap".into(), HashMap::new()).unwrap();
    let conditions = crate::UploadConditions {
        connected: true,
        metered: false,
        battery_low: false,
    };
    let uploader = Arc::new(Accepting(std::sync::Mutex::new(0)));
    let report = core
        .upload_pending(uploader.clone(), conditions, 60_000)
        .unwrap();
    assert_eq!(report.delivered_events, 1, "{report:?}");
    assert_eq!(report.requests, 2);
    assert!(matches!(
        core.next_upload(conditions).unwrap(),
        crate::NextUpload::Idle
    ));
    let ledger: serde_json::Value = serde_json::from_str(&core.ledger_json()).unwrap();
    assert_eq!(ledger["analytics"]["uploaded"], 1);
}

#[test]
fn upload_only_unmetered_holds_all_but_essential_batches_and_deletion_requests() {
    let tmp = tempfile::tempdir().unwrap();
    let core = ModicumCore::start(with_collector(ModicumConfig {
        upload_only_unmetered: true,
        policy_document: Some(r#"{"essential": {"purpose": "crash reporting"}}"#.into()),
        ..config(tmp.path())
    }))
    .unwrap();
    core.set_consent("analytics".into(), true).unwrap();
    core.record("tap".into(), HashMap::new()).unwrap();
    let crash = CustomEvent {
        name: "crash".into(),
        category: Some("essential".into()),
        properties: HashMap::new(),
        classes: HashMap::new(),
    };
    core.record_event(crash).unwrap();
    core.seal_now(10_000).unwrap();
    let metered = crate::UploadConditions {
        connected: true,
        metered: true,
        battery_low: false,
    };
    let crate::NextUpload::Send { request } = core.next_upload(metered).unwrap() else {
        panic!("the essential batch waited for an unmetered network");
    };
    let delivered = crate::UploadOutcome::Response {
        status: 200,
        retry_after: None,
    };
    assert_eq!(core.upload_finished(request.id, delivered).unwrap(), 1);
    let crate::NextUpload::Wait { reason, .. } = core.next_upload(metered).unwrap() else {
        panic!("an analytics batch went on a metered network");
    };
    assert_eq!(reason, modicum_core::upload::WaitReason::Unmetered);

    core.delete_all().unwrap();
    let crate::NextUpload::Send { request } = core.next_upload(metered).unwrap() else {
        panic!("the deletion request waited for an unmetered network");
    };
    assert!(request.url.ends_with("/v1/deletions"), "{}", request.url);
}
