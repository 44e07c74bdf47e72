use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use modicum_core::{Config, Event, Modicum};

use crate::{ModicumError, PropertyValue};

/// What the app passes to [`ModicumCore::start`].
#[derive(Debug, Clone, uniffi::Record)]
pub struct ModicumConfig {
    /// A directory private to the app (Android `filesDir`, iOS Application Support).
    pub storage_dir: String,
    /// The app's package name or bundle id.
    pub app_id: String,
}

/// A running core. The platform facades wrap this; apps use the facades.
#[derive(Debug, uniffi::Object)]
pub struct ModicumCore {
    inner: Modicum,
}

#[uniffi::export]
impl ModicumCore {
    #[uniffi::constructor]
    pub fn start(config: ModicumConfig) -> Result<Arc<Self>, ModicumError> {
        let config = Config { storage_dir: PathBuf::from(config.storage_dir), app_id: config.app_id };
        Ok(Arc::new(ModicumCore { inner: Modicum::start(config)? }))
    }

    /// Grants or withdraws a consent category by its name (`analytics`, `location_precise`, …).
    pub fn set_consent(&self, category: String, granted: bool) -> Result<(), ModicumError> {
        Ok(self.inner.set_consent_by_name(&category, granted)?)
    }

    /// Records a custom event; returns whether its minimized form is held (false when the
    /// user's consent does not allow it).
    pub fn record(&self, name: String, properties: HashMap<String, PropertyValue>) -> Result<bool, ModicumError> {
        let event = Event { name, properties: properties.into_iter().map(|(k, v)| (k, v.into())).collect() };
        Ok(self.inner.record(&event)?)
    }

    /// The minimized events held on the device, as a JSON array.
    pub fn held_events_json(&self) -> String {
        self.inner.held_json()
    }

    /// Names of the categories currently granted, sorted.
    pub fn granted_categories(&self) -> Vec<String> {
        let consent = self.inner.consent();
        modicum_core::Category::ALL
            .into_iter()
            .filter(|&c| consent.permit(c).is_some())
            .map(|c| c.name().to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn start(dir: &std::path::Path) -> Result<Arc<ModicumCore>, ModicumError> {
        ModicumCore::start(ModicumConfig { storage_dir: dir.display().to_string(), app_id: "com.example".into() })
    }

    #[test]
    fn the_surface_adapts_the_core() {
        let tmp = tempfile::tempdir().unwrap();
        let core = start(tmp.path()).unwrap();
        core.set_consent("analytics".into(), true).unwrap();
        assert_eq!(core.granted_categories(), vec!["analytics".to_owned()]);
        let props = HashMap::from([
            ("n".to_owned(), PropertyValue::Int { value: 2 }),
            ("t".to_owned(), PropertyValue::Text { value: "x@example.com".into() }),
        ]);
        assert!(core.record("tap".into(), props).unwrap());
        let held: serde_json::Value = serde_json::from_str(&core.held_events_json()).unwrap();
        assert_eq!(held[0]["properties"], serde_json::json!({"n": 2, "t": "[email]"}));
    }

    #[test]
    fn core_errors_become_typed_foreign_errors() {
        let tmp = tempfile::tempdir().unwrap();
        let core = start(tmp.path()).unwrap();
        assert_eq!(core.record(String::new(), HashMap::new()), Err(ModicumError::EmptyEventName));
        assert_eq!(
            core.set_consent("nope".into(), true),
            Err(ModicumError::UnknownCategory { name: "nope".into() })
        );
        let file = tmp.path().join("file");
        std::fs::write(&file, b"").unwrap();
        assert!(matches!(start(&file), Err(ModicumError::StorageUnusable { .. })));
    }
}
