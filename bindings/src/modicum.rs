use std::collections::HashMap;
use std::sync::Arc;

use modicum_core::{Category, Config, Event, Modicum, Policy};

use crate::{AgeBand, DataClass, DropReason, ModicumError, PlatformProviders, PropertyValue};

/// What the app passes to [`ModicumCore::start`].
#[derive(Debug, Clone, uniffi::Record)]
pub struct ModicumConfig {
    /// A directory private to the app (Android `filesDir`, iOS Application Support).
    pub storage_dir: String,
    /// The app's package name or bundle id.
    pub app_id: String,
    /// The app's own policy document (JSON; `modicum policy json` converts TOML); the built-in
    /// policy if absent.
    #[uniffi(default = None)]
    pub policy_document: Option<String>,
    /// Days a pseudonym stays the same before identifiers hash to new, unlinkable values;
    /// 30 if absent.
    #[uniffi(default = None)]
    pub pseudonym_rotation_days: Option<u32>,
    /// The collector's X25519 public key (32 bytes). Without it events stay in the encrypted
    /// journal and nothing is sealed for upload.
    #[uniffi(default = None)]
    pub collector_public_key: Option<Vec<u8>>,
    /// Collector endpoints: base URLs by region. One in `home_region` is used; another only
    /// with `cross_border` consent.
    #[uniffi(default = [])]
    pub endpoints: Vec<Endpoint>,
    #[uniffi(default = None)]
    pub home_region: Option<String>,
    /// Install the Rust panic hook and the native fatal-signal handler.
    #[uniffi(default = false)]
    pub crash_handlers: bool,
    /// Hold every batch until the network is unmetered (Wi-Fi, Ethernet), except essential
    /// ones (crash reports, when the policy declares essential processing). Deletion requests
    /// still go on any network: the user asked for them.
    #[uniffi(default = false)]
    pub upload_only_unmetered: bool,
}

/// A collector's base URL and the region it stores data in.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Endpoint {
    pub region: String,
    pub url: String,
}

/// A custom event with declared data classes and a category other than analytics.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CustomEvent {
    pub name: String,
    /// A consent category name; `analytics` if absent.
    #[uniffi(default = None)]
    pub category: Option<String>,
    pub properties: HashMap<String, PropertyValue>,
    /// The data class of each property that declares one; text without one is scrubbed.
    #[uniffi(default)]
    pub classes: HashMap<String, DataClass>,
}

/// A running core. The platform facades wrap this; apps use the facades.
#[derive(Debug, uniffi::Object)]
pub struct ModicumCore {
    pub(crate) inner: Modicum,
}

#[uniffi::export]
impl ModicumCore {
    #[uniffi::constructor]
    pub fn start(config: ModicumConfig) -> Result<Arc<Self>, ModicumError> {
        Self::start_with(config, PlatformProviders::default())
    }

    /// Starts with the platform's providers: its key store for secrets, its device and network
    /// readings.
    #[uniffi::constructor]
    pub fn start_with(
        config: ModicumConfig,
        providers: PlatformProviders,
    ) -> Result<Arc<Self>, ModicumError> {
        let config = core_config(config)?;
        let providers = providers.into_core(&config);
        Ok(Arc::new(ModicumCore {
            inner: Modicum::start_with(config, providers)?,
        }))
    }

    /// Grants or withdraws a consent category by its name (`analytics`, `location_precise`, …).
    pub fn set_consent(&self, category: String, granted: bool) -> Result<(), ModicumError> {
        Ok(self.inner.set_consent_by_name(&category, granted)?)
    }

    /// Records that the user agreed to this version of the app's terms.
    pub fn agree_to_version(&self, version: u32) -> Result<(), ModicumError> {
        Ok(self.inner.agree_to_version(version)?)
    }

    /// Sets the user's age band and whether a guardian consented.
    pub fn set_age(&self, age: AgeBand, guardian_consent: bool) -> Result<(), ModicumError> {
        Ok(self.inner.set_age(age.into(), guardian_consent)?)
    }

    /// Records a custom analytics event without blocking; returns whether it was queued for
    /// minimization (false when consent does not allow it or the queue is full; both counted).
    pub fn record(
        &self,
        name: String,
        properties: HashMap<String, PropertyValue>,
    ) -> Result<bool, ModicumError> {
        self.record_event(CustomEvent {
            name,
            category: None,
            properties,
            classes: HashMap::new(),
        })
    }

    /// Records a custom event with declared data classes.
    pub fn record_event(&self, event: CustomEvent) -> Result<bool, ModicumError> {
        Ok(self.inner.record(core_event(event)?)?)
    }

    /// Counts `count` events of `category` (a category name) that the facade dropped before
    /// they reached the core, so the ledger accounts for every `record` the app made.
    pub fn note_dropped(
        &self,
        category: String,
        reason: DropReason,
        count: u64,
    ) -> Result<(), ModicumError> {
        self.inner
            .note_dropped(category.parse()?, reason.into(), count);
        Ok(())
    }

    /// The minimized events held on the device, as a JSON array, including everything
    /// recorded before this call.
    pub fn held_events_json(&self) -> Result<String, ModicumError> {
        Ok(self.inner.held_json()?)
    }

    /// Returns once everything recorded before it is durable, or after `timeout_ms`.
    pub fn flush(&self, timeout_ms: u32) -> Result<(), ModicumError> {
        Ok(self
            .inner
            .flush(std::time::Duration::from_millis(u64::from(timeout_ms)))?)
    }

    /// Seals everything recorded so far into batches for upload now, or after `timeout_ms`.
    pub fn seal_now(&self, timeout_ms: u32) -> Result<(), ModicumError> {
        Ok(self
            .inner
            .seal_now(std::time::Duration::from_millis(u64::from(timeout_ms)))?)
    }

    /// How many sealed batches wait for upload.
    pub fn pending_batches(&self) -> u32 {
        u32::try_from(self.inner.outbox().len()).unwrap_or(u32::MAX)
    }

    /// A readable JSON copy of everything held on the device: consent and its history, the
    /// pending minimized events, the privacy ledger, recent decisions.
    pub fn export_json(&self) -> Result<String, ModicumError> {
        Ok(self.inner.export_json()?)
    }

    /// Destroys the at-rest key, then the data, resets identifiers and queues a deletion
    /// request for the collector.
    pub fn delete_all(&self) -> Result<(), ModicumError> {
        self.inner.delete_all()?;
        Ok(())
    }

    /// New identifiers from now on, unlinkable to the old ones.
    pub fn reset_identifiers(&self) -> Result<(), ModicumError> {
        Ok(self.inner.reset_identifiers()?)
    }

    /// Drains what is queued, makes it durable and stops; later records are dropped and counted.
    pub fn shutdown(&self, timeout_ms: u32) -> Result<(), ModicumError> {
        Ok(self
            .inner
            .shutdown(std::time::Duration::from_millis(u64::from(timeout_ms)))?)
    }

    /// The most recent decision traces (which rule fired on which field), as a JSON array.
    pub fn recent_traces_json(&self) -> String {
        serde_json::to_string(&self.inner.recent_traces()).unwrap_or_else(|_| "[]".into())
    }

    /// Names of the categories processing is permitted for right now, sorted; `essential`
    /// appears when the policy declares it.
    pub fn permitted_categories(&self) -> Vec<String> {
        self.inner
            .permitted()
            .into_iter()
            .map(|c| c.name().to_owned())
            .collect()
    }
}

/// Scrubs `text` with the default rules: what happens to free text before it is held.
#[uniffi::export]
pub fn scrub(text: String) -> String {
    modicum_core::scrub(&text).into_owned()
}

fn parse_policy(document: &str) -> Result<Policy, ModicumError> {
    // A device reads JSON only (see modicum-core's `toml` feature); a TOML document gets an
    // error that says how to convert it rather than a JSON syntax error.
    if !document.trim_start().starts_with('{') {
        return Err(ModicumError::InvalidPolicy {
            errors: "a policy document on a device is JSON; \
                     `modicum policy json FILE.toml` converts a TOML one"
                .into(),
        });
    }
    Policy::from_json(document).map_err(|errors| ModicumError::InvalidPolicy {
        errors: errors.to_string(),
    })
}

/// The core's event for what the app passed.
pub(crate) fn core_event(event: CustomEvent) -> Result<Event, ModicumError> {
    let mut core_event = Event::new(event.name);
    if let Some(category) = event.category {
        core_event = core_event.in_category(category.parse::<Category>()?);
    }
    for (key, value) in event.properties {
        core_event = core_event.with(key, value.into());
    }
    for (key, class) in event.classes {
        core_event.declare_class(&key, class.into())?;
    }
    Ok(core_event)
}

/// The core's config for what the app passed.
fn core_config(config: ModicumConfig) -> Result<Config, ModicumError> {
    let mut core_config = Config::new(config.storage_dir, config.app_id);
    if let Some(document) = config.policy_document {
        core_config.policy = parse_policy(&document)?;
    }
    if let Some(key) = config.collector_public_key {
        let key = modicum_core::envelope::CollectorKey::from_public_bytes(&key).map_err(|e| {
            ModicumError::InvalidConfig {
                reason: format!("collector_public_key: {e}"),
            }
        })?;
        core_config.collector = Some(key);
    }
    core_config.upload.endpoints = config
        .endpoints
        .into_iter()
        .map(|e| modicum_core::upload::Endpoint {
            region: e.region,
            url: e.url,
        })
        .collect();
    if let Some(region) = config.home_region {
        core_config.upload.home_region = region;
    } else if let Some(first) = core_config.upload.endpoints.first() {
        // With no home region named, the first endpoint's region is home.
        core_config.upload.home_region = first.region.clone();
    }
    core_config.crash_handlers = config.crash_handlers;
    if config.upload_only_unmetered {
        // Essential batches are the ones that go even on low battery; a metered network does
        // not hold them either.
        core_config.upload.unmetered_only = modicum_core::Category::ALL
            .into_iter()
            .filter(|&c| c != modicum_core::Category::Essential)
            .collect();
    }
    if let Some(days) = config.pseudonym_rotation_days {
        core_config.pseudonym_rotation = std::time::Duration::from_secs(u64::from(days) * 86_400);
    }
    Ok(core_config)
}

#[cfg(test)]
pub(crate) mod tests {
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
        let held: serde_json::Value =
            serde_json::from_str(&core.held_events_json().unwrap()).unwrap();
        assert_eq!(
            held[0]["properties"],
            serde_json::json!({"n": 2, "t": "[email]"})
        );
        let traces: serde_json::Value = serde_json::from_str(&core.recent_traces_json()).unwrap();
        assert_eq!(traces[0]["event"], "tap");
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
        let held: serde_json::Value =
            serde_json::from_str(&core.held_events_json().unwrap()).unwrap();
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
            core.set_consent("nope".into(), true),
            Err(ModicumError::UnknownCategory {
                name: "nope".into()
            })
        );
        assert_eq!(
            core.set_consent("essential".into(), true),
            Err(ModicumError::EssentialIsDeclared)
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
        fn upload(
            &self,
            request: crate::UploadRequest,
        ) -> Result<crate::UploadOutcome, ModicumError> {
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
        assert_eq!(reason, "unmetered");

        core.delete_all().unwrap();
        let crate::NextUpload::Send { request } = core.next_upload(metered).unwrap() else {
            panic!("the deletion request waited for an unmetered network");
        };
        assert!(request.url.ends_with("/v1/deletions"), "{}", request.url);
    }
}
