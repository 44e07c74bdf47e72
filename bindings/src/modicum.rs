use std::collections::HashMap;
use std::sync::Arc;

use modicum_core::{Category, Config, Event, Modicum, Policy};

use crate::{
    AgeBand, DataClass, DropReason, Durability, ModicumError, PlatformProviders, PropertyValue,
};

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
    /// The app's version, which release health counts sessions under; the facades read it
    /// from the package or bundle when the app gives none.
    #[uniffi(default = None)]
    pub app_version: Option<String>,
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
    /// Applies at once and never blocks; the worker saves it (see [`Durability`]).
    pub fn set_consent(
        &self,
        category: String,
        granted: bool,
    ) -> Result<Arc<Durability>, ModicumError> {
        Ok(Arc::new(
            self.inner.set_consent_by_name(&category, granted)?.into(),
        ))
    }

    /// Records that the user agreed to this version of the app's terms; never blocks.
    pub fn agree_to_version(&self, version: u32) -> Result<Arc<Durability>, ModicumError> {
        Ok(Arc::new(self.inner.agree_to_version(version)?.into()))
    }

    /// Sets the user's age band and whether a guardian consented; never blocks.
    pub fn set_age(
        &self,
        age: AgeBand,
        guardian_consent: bool,
    ) -> Result<Arc<Durability>, ModicumError> {
        Ok(Arc::new(
            self.inner.set_age(age.into(), guardian_consent)?.into(),
        ))
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
        core_config.policy = Policy::from_device_document(&document)?;
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
    core_config.upload.home_region = config.home_region;
    core_config.crash_handlers = config.crash_handlers;
    core_config.app_version = config.app_version;
    if config.upload_only_unmetered {
        core_config.upload.upload_only_unmetered();
    }
    if let Some(days) = config.pseudonym_rotation_days {
        core_config.pseudonym_rotation = std::time::Duration::from_secs(u64::from(days) * 86_400);
    }
    Ok(core_config)
}

#[cfg(test)]
#[path = "modicum_tests.rs"]
pub(crate) mod tests;
