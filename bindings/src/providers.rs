//! The platform's providers as foreign traits: Kotlin and Swift implement them with what only
//! the OS can read (Build and StatFs, the Keystore, ConnectivityManager; UIDevice, the Keychain,
//! NWPathMonitor). Each adapter turns a thrown exception into the core's fallback, so a failing
//! provider costs a reading, never the worker thread.

use std::io;
use std::sync::Arc;

use modicum_core::collect::device::DeviceInfo as CoreDevice;
use modicum_core::collect::providers::{
    Clock as CoreClock, DeviceInfoProvider as CoreDeviceProvider,
    NetworkProvider as CoreNetworkProvider, NetworkState as CoreNetwork, SystemClock,
};
use modicum_core::secret_store::SecretStore as CoreSecretStore;
use modicum_core::{Config, Providers};

use crate::{DeviceInfo, ModicumError, NetworkState};

/// Reads the device: model, OS, memory, storage, screen, battery. Called on the worker when a
/// batch is sealed, never on the app's thread.
#[uniffi::export(foreign)]
pub trait DeviceInfoProvider: Send + Sync {
    fn device_info(&self) -> Result<DeviceInfo, ModicumError>;
}

/// The network now: connected, kind, metered, carrier. Read when deciding whether to upload.
#[uniffi::export(foreign)]
pub trait NetworkProvider: Send + Sync {
    fn network(&self) -> Result<NetworkState, ModicumError>;
}

/// Keeps the journal's data key and the install secret: the Android Keystore, the iOS
/// Keychain. Without one, secrets are files in the storage directory (weaker: see the docs).
/// `load` throws `SecretDamaged` when the stored secret can never be read again (its
/// wrapping key is gone, its bytes fail authentication): the core then replaces it. Any other
/// error (`Platform`: a key store not ready yet) fails the start, and nothing is replaced.
#[uniffi::export(foreign)]
pub trait SecretStore: Send + Sync {
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, ModicumError>;
    fn save(&self, name: String, secret: Vec<u8>) -> Result<(), ModicumError>;
    /// Forgetting a missing name is not an error.
    fn delete(&self, name: String) -> Result<(), ModicumError>;
}

/// Wall-clock milliseconds since the Unix epoch. Read once per event on the worker: a clock
/// across JNA costs microseconds, so pass one only for tests and simulations.
#[uniffi::export(foreign)]
pub trait Clock: Send + Sync {
    fn now_ms(&self) -> Result<u64, ModicumError>;
}

/// The providers a platform passes to `start_with`; each absent one has the core's default.
#[derive(Default, uniffi::Record)]
pub struct PlatformProviders {
    #[uniffi(default = None)]
    pub device: Option<Arc<dyn DeviceInfoProvider>>,
    #[uniffi(default = None)]
    pub network: Option<Arc<dyn NetworkProvider>>,
    #[uniffi(default = None)]
    pub secrets: Option<Arc<dyn SecretStore>>,
    #[uniffi(default = None)]
    pub clock: Option<Arc<dyn Clock>>,
}

impl PlatformProviders {
    pub(crate) fn into_core(self, config: &Config) -> Providers {
        let mut providers = Providers::files_for(config);
        if let Some(secrets) = self.secrets {
            providers.secrets = Arc::new(Secrets(secrets));
        }
        if let Some(clock) = self.clock {
            providers.clock = Arc::new(ForeignClock(clock));
        }
        providers.device = self
            .device
            .map(|d| -> Arc<dyn CoreDeviceProvider> { Arc::new(Device(d)) });
        providers.network = self
            .network
            .map(|n| -> Arc<dyn CoreNetworkProvider> { Arc::new(Network(n)) });
        providers
    }
}

struct Device(Arc<dyn DeviceInfoProvider>);

impl CoreDeviceProvider for Device {
    /// A provider that throws reports nothing, so nothing stale is attached.
    fn device_info(&self) -> CoreDevice {
        self.0.device_info().map(Into::into).unwrap_or_default()
    }
}

struct Network(Arc<dyn NetworkProvider>);

impl CoreNetworkProvider for Network {
    /// A provider that throws reads as "not connected": uploads wait rather than guess.
    fn network(&self) -> CoreNetwork {
        self.0
            .network()
            .map(Into::into)
            .unwrap_or_else(|_| CoreNetwork {
                kind: "none".into(),
                ..CoreNetwork::default()
            })
    }
}

struct ForeignClock(Arc<dyn Clock>);

impl CoreClock for ForeignClock {
    fn now_ms(&self) -> u64 {
        self.0.now_ms().unwrap_or_else(|_| SystemClock.now_ms())
    }
}

struct Secrets(Arc<dyn SecretStore>);

impl CoreSecretStore for Secrets {
    fn load(&self, name: &str) -> io::Result<Option<Vec<u8>>> {
        self.0.load(name.to_owned()).map_err(platform)
    }
    fn save(&self, name: &str, secret: &[u8]) -> io::Result<()> {
        self.0
            .save(name.to_owned(), secret.to_vec())
            .map_err(platform)
    }
    fn delete(&self, name: &str) -> io::Result<()> {
        self.0.delete(name.to_owned()).map_err(platform)
    }
}

/// The core reads `InvalidData` from a secret store as "damaged for good" (see
/// `modicum_core::secret_store::SecretStore::load`); everything else as passing.
fn platform(e: ModicumError) -> io::Error {
    match e {
        ModicumError::SecretDamaged { .. } => {
            io::Error::new(io::ErrorKind::InvalidData, e.to_string())
        }
        e => io::Error::other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::modicum::tests::config;
    use crate::ModicumCore;

    /// Secrets in memory; `failure` is what `load` throws instead, when set.
    #[derive(Default)]
    struct MemorySecrets(Mutex<HashMap<String, Vec<u8>>>, Mutex<Option<ModicumError>>);

    impl SecretStore for MemorySecrets {
        fn load(&self, name: String) -> Result<Option<Vec<u8>>, ModicumError> {
            if let Some(failure) = self.1.lock().unwrap().clone() {
                return Err(failure);
            }
            Ok(self.0.lock().unwrap().get(&name).cloned())
        }
        fn save(&self, name: String, secret: Vec<u8>) -> Result<(), ModicumError> {
            self.0.lock().unwrap().insert(name, secret);
            Ok(())
        }
        fn delete(&self, name: String) -> Result<(), ModicumError> {
            self.0.lock().unwrap().remove(&name);
            Ok(())
        }
    }

    struct LowBattery;
    impl DeviceInfoProvider for LowBattery {
        fn device_info(&self) -> Result<DeviceInfo, ModicumError> {
            Ok(DeviceInfo {
                model: Some("Pixel 8".into()),
                battery_level: Some(5),
                charging: Some(false),
                ..DeviceInfo::default()
            })
        }
    }

    struct Metered;
    impl NetworkProvider for Metered {
        fn network(&self) -> Result<NetworkState, ModicumError> {
            Ok(NetworkState {
                connected: true,
                kind: "cellular".into(),
                metered: true,
                carrier: None,
                ip: None,
            })
        }
    }

    struct Throws;
    impl NetworkProvider for Throws {
        fn network(&self) -> Result<NetworkState, ModicumError> {
            Err(ModicumError::Platform {
                reason: "no permission".into(),
            })
        }
    }

    struct Fixed(u64);
    impl Clock for Fixed {
        fn now_ms(&self) -> Result<u64, ModicumError> {
            Ok(self.0)
        }
    }

    #[test]
    fn the_platforms_providers_hold_secrets_and_read_the_device() {
        let tmp = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecrets::default());
        let core = ModicumCore::start_with(
            config(tmp.path()),
            PlatformProviders {
                device: Some(Arc::new(LowBattery)),
                network: Some(Arc::new(Metered)),
                secrets: Some(secrets.clone()),
                clock: Some(Arc::new(Fixed(1_700_000_000_000))),
            },
        )
        .unwrap();
        core.set_consent("analytics".into(), true).unwrap();
        assert!(core.record("tap".into(), HashMap::new()).unwrap());
        core.flush(5_000).unwrap();

        // The data key and the install secret live in the platform's store, not in files.
        assert!(!secrets.0.lock().unwrap().is_empty());
        assert!(!tmp.path().join("keys").exists());
        // The device reading and the network decide the upload conditions.
        let conditions = core.current_conditions();
        assert!(conditions.connected && conditions.metered && conditions.battery_low);
        // Time comes from the platform's clock.
        let export: serde_json::Value = serde_json::from_str(&core.export_json().unwrap()).unwrap();
        assert_eq!(export["exported_at_ms"], 1_700_000_000_000u64);
        core.shutdown(5_000).unwrap();
    }

    #[test]
    fn a_throwing_provider_costs_a_reading_not_the_core() {
        let tmp = tempfile::tempdir().unwrap();
        let core = ModicumCore::start_with(
            config(tmp.path()),
            PlatformProviders {
                device: None,
                network: Some(Arc::new(Throws)),
                secrets: None,
                clock: None,
            },
        )
        .unwrap();
        let conditions = core.current_conditions();
        assert!(!conditions.connected);
        core.set_consent("analytics".into(), true).unwrap();
        assert!(core.record("tap".into(), HashMap::new()).unwrap());
        core.flush(5_000).unwrap();
        // Without a platform store the secrets fall back to files in the storage directory.
        assert!(tmp.path().join("keys").exists());
    }

    #[test]
    fn a_damaged_secret_is_replaced_and_an_unavailable_one_stops_the_worker() {
        let tmp = tempfile::tempdir().unwrap();
        let secrets = Arc::new(MemorySecrets::default());
        let start = || {
            ModicumCore::start_with(
                config(tmp.path()),
                PlatformProviders {
                    secrets: Some(secrets.clone()),
                    ..PlatformProviders::default()
                },
            )
        };
        start().unwrap().shutdown(5_000).unwrap();
        let before = secrets.0.lock().unwrap().clone();

        *secrets.1.lock().unwrap() = Some(ModicumError::Platform {
            reason: "keystore locked".into(),
        });
        // Secrets are loaded on the worker, so the start itself returns at once; every call
        // that needs the worker then reports the store's refusal.
        let locked = start().unwrap();
        assert!(locked.flush(5_000).is_err());
        locked.shutdown(5_000).unwrap_err();
        assert_eq!(*secrets.0.lock().unwrap(), before, "nothing replaced");

        *secrets.1.lock().unwrap() = Some(ModicumError::SecretDamaged {
            reason: "tag mismatch".into(),
        });
        let core = start().unwrap();
        core.flush(5_000).unwrap();
        let after = secrets.0.lock().unwrap().clone();
        assert_eq!(after.len(), 2);
        for (name, secret) in &after {
            assert_ne!(before.get(name), Some(secret), "{name} was replaced");
        }
    }
}
