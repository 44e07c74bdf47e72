use modicum_wire::check_app_id;
use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::envelope::CollectorKey;
use crate::transform::DEFAULT_ROTATION;
use crate::upload::UploadConfig;
use crate::{Category, Error, Policy};

/// What an app passes to [`crate::Modicum::start`].
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// A directory private to the app; created if missing. Modicum writes nothing elsewhere.
    pub storage_dir: PathBuf,
    /// The app's identifier (package name or bundle id), reported with every batch.
    pub app_id: String,
    /// The policy deciding what leaves the device; [`Policy::default`] unless the app has its own.
    pub policy: Policy,
    /// How long a pseudonym stays the same before identifiers hash to new, unlinkable values.
    pub pseudonym_rotation: Duration,
    /// How long a recorded event may wait before it is synced to disk (group commit).
    pub durability_window: Duration,
    /// How many events may wait for the worker; beyond that `record` drops and counts.
    pub queue_capacity: usize,
    /// The longest one [`crate::Modicum::record_many`] call waits, in all, for room in that
    /// queue before it drops (and counts) what is left: what the platform facades' bulk
    /// hand-overs wait, off the app's thread.
    pub bulk_record_wait: Duration,
    /// How long an event may stay on the device before it is deleted unsent.
    pub retention: Duration,
    /// Shorter retention for some categories (never longer than `retention`).
    pub retention_by_category: BTreeMap<Category, Duration>,
    /// The collector's public key. Without one, events stay in the journal and nothing is
    /// sealed.
    pub collector: Option<CollectorKey>,
    /// A batch holds at most this many events, and is sealed once its group (one category,
    /// one set of grants) has that many waiting. A round seals only full batches then: the few
    /// events another group has wait for a batch of their own…
    pub batch_max_events: usize,
    /// …but never longer than this: a group waits this long at most, and goes out whole with
    /// any round once it has waited half of it.
    pub batch_max_age: Duration,
    /// A batch also holds at most about this many bytes before compression, so a request
    /// stays small enough for mobile networks.
    pub batch_max_bytes: usize,
    /// Bytes the journal and outbox may take together; beyond it, batches are evicted,
    /// analytics first and essential processing last.
    pub storage_budget: u64,
    /// Where and when sealed batches are uploaded.
    pub upload: UploadConfig,
    /// Install the panic hook and the native fatal-signal handler at start (the platform
    /// libraries turn this on; a host program may have its own).
    pub crash_handlers: bool,
    /// Sensor samples are folded into windows this long.
    pub sensor_window: Duration,
    /// The app's version (release): what release health counts sessions under. The platform
    /// libraries fill it from the app's package or bundle when the app sets none; sessions of
    /// an app that gives none are counted under `unknown`.
    pub app_version: Option<String>,
}

/// The longest any event stays on the device by default: 90 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(90 * 24 * 60 * 60);

impl Config {
    pub fn new(storage_dir: impl Into<PathBuf>, app_id: impl Into<String>) -> Config {
        Config {
            storage_dir: storage_dir.into(),
            app_id: app_id.into(),
            policy: Policy::default(),
            pseudonym_rotation: DEFAULT_ROTATION,
            durability_window: Duration::from_secs(1),
            queue_capacity: 10_000,
            bulk_record_wait: Duration::from_secs(2),
            retention: DEFAULT_RETENTION,
            retention_by_category: BTreeMap::new(),
            collector: None,
            batch_max_events: 500,
            batch_max_age: Duration::from_secs(60),
            batch_max_bytes: 512 * 1024,
            storage_budget: 10 << 20,
            upload: UploadConfig::default(),
            crash_handlers: false,
            sensor_window: Duration::from_secs(60),
            app_version: None,
        }
    }

    /// How long events of `category` may stay on the device.
    pub fn retention_for(&self, category: Category) -> Duration {
        self.retention_by_category
            .get(&category)
            .map_or(self.retention, |&d| d.min(self.retention))
    }

    /// Checks the config and proves the storage directory can be written, so a bad path fails
    /// at start rather than silently losing events later.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        validate_app_id(&self.app_id)?;
        if let Some(version) = &self.app_version {
            let allowed = |c: char| c.is_ascii_alphanumeric() || "._-+ ()".contains(c);
            if version.is_empty() || version.len() > 64 || !version.chars().all(allowed) {
                return Err(Error::InvalidConfig {
                    reason: "app_version must be 1 to 64 ASCII letters, digits, spaces and \
                             `._-+()`"
                        .into(),
                });
            }
        }
        if self.batch_max_events == 0 || self.batch_max_events > 100_000 {
            return Err(Error::InvalidConfig {
                reason: "batch_max_events must be 1 to 100 000".into(),
            });
        }
        if self.queue_capacity == 0 {
            return Err(Error::InvalidConfig {
                reason: "queue_capacity must be at least 1".into(),
            });
        }
        if self.pseudonym_rotation.is_zero() {
            return Err(Error::InvalidConfig {
                reason: "pseudonym_rotation must be longer than zero".into(),
            });
        }
        // A deletion request proves one pseudonym per rotation period in the retention window,
        // and a collector takes at most MAX_PROOFS in one request.
        let periods =
            (self.retention.as_millis()).div_ceil(self.pseudonym_rotation.as_millis().max(1));
        if periods + 1 > crate::wire::MAX_PROOFS as u128 {
            return Err(Error::InvalidConfig {
                reason: format!(
                    "pseudonym_rotation is too short for the retention: a deletion request \
                     would name more than {} pseudonyms",
                    crate::wire::MAX_PROOFS
                ),
            });
        }
        for endpoint in &self.upload.endpoints {
            let url = endpoint.url.as_str();
            if !(url.starts_with("https://") || url.starts_with("http://"))
                || url.contains(char::is_whitespace)
            {
                return Err(Error::InvalidConfig {
                    reason: format!("endpoint {url:?} is not an http(s) URL"),
                });
            }
        }
        if self.upload.backoff_base.is_zero() || self.upload.backoff_cap < self.upload.backoff_base
        {
            return Err(Error::InvalidConfig {
                reason: "upload backoff needs 0 < base <= cap".into(),
            });
        }
        prepare_storage_dir(&self.storage_dir)
    }
}

fn validate_app_id(app_id: &str) -> Result<(), Error> {
    check_app_id(app_id).map_err(|reason| Error::InvalidConfig {
        reason: format!("app_id {reason}"),
    })
}

fn prepare_storage_dir(dir: &Path) -> Result<(), Error> {
    let unusable = |reason: String| Error::StorageUnusable {
        path: dir.to_path_buf(),
        reason,
    };
    if dir.as_os_str().is_empty() {
        return Err(unusable("the path is empty".into()));
    }
    fs::create_dir_all(dir).map_err(|e| unusable(format!("cannot create it: {e}")))?;
    if !dir.is_dir() {
        return Err(unusable("it is not a directory".into()));
    }
    // Permission bits do not tell the whole story (read-only mounts, sandboxes): write a probe.
    // Not synced: creating it is what a read-only or foreign directory refuses, and a sync
    // would cost the caller's thread a disk flush (a full disk is found by the worker, whose
    // writes count what they lose).
    let probe = dir.join(".modicum-probe");
    let written = fs::File::create(&probe).and_then(|mut f| f.write_all(b"ok"));
    let _ = fs::remove_file(&probe);
    written.map_err(|e| unusable(format!("cannot write to it: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_a_missing_storage_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("a/b");
        Config::new(&dir, "com.example.app").validate().unwrap();
        assert!(dir.is_dir());
        assert!(!dir.join(".modicum-probe").exists());
    }

    #[test]
    fn a_file_is_not_a_storage_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("file");
        fs::write(&file, b"x").unwrap();
        let err = Config::new(&file, "com.example.app")
            .validate()
            .unwrap_err();
        assert!(matches!(err, Error::StorageUnusable { .. }), "{err:?}");
        let err = Config::new(file.join("sub"), "com.example.app")
            .validate()
            .unwrap_err();
        assert!(matches!(err, Error::StorageUnusable { .. }), "{err:?}");
    }

    #[test]
    fn app_ids_and_rotation_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        for bad in ["", "has space", "ümlaut", &"a".repeat(256)] {
            let err = Config::new(tmp.path(), bad).validate().unwrap_err();
            assert!(
                matches!(err, Error::InvalidConfig { .. }),
                "{bad:?}: {err:?}"
            );
        }
        Config::new(tmp.path(), "org.example.App_2-beta")
            .validate()
            .unwrap();
        let mut config = Config::new(tmp.path(), "a");
        config.pseudonym_rotation = Duration::ZERO;
        assert!(matches!(
            config.validate(),
            Err(Error::InvalidConfig { .. })
        ));
        // 90 days of one-hour periods need 2161 proofs: more than one request may carry.
        config.retention = Duration::from_secs(90 * 86_400);
        config.pseudonym_rotation = Duration::from_secs(3_600);
        assert!(matches!(
            config.validate(),
            Err(Error::InvalidConfig { reason }) if reason.contains("deletion request")
        ));
        config.pseudonym_rotation = Duration::from_secs(86_400);
        config.validate().unwrap();
    }
}
