use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::{minimize, Category, Config, Consent, Error, Event, Minimized};

/// How many minimized events are held in memory before new ones are refused. A bound keeps
/// a runaway caller from exhausting the app's memory.
pub const HELD_CAPACITY: usize = 10_000;

/// A running instance of the SDK: the user's consent and the minimized events held for them.
/// Every method takes `&self` and is safe to call from any thread.
#[derive(Debug)]
pub struct Modicum {
    config: Config,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    consent: Consent,
    held: Vec<Minimized>,
    dropped_over_capacity: u64,
}

impl Modicum {
    /// Validates `config` and prepares its storage directory.
    pub fn start(config: Config) -> Result<Modicum, Error> {
        config.validate()?;
        Ok(Modicum { config, state: Mutex::new(State::default()) })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Records the user's decision for one category. Withdrawing a category also discards
    /// what is held for it: withdrawal means that data is no longer processed.
    pub fn set_consent(&self, category: Category, granted: bool) {
        let mut state = self.state();
        state.consent.set(category, granted, now_ms());
        if !granted {
            state.held.retain(|e| e.category() != category);
        }
    }

    /// Same as [`Modicum::set_consent`] for a category named as a string (from a remote
    /// config, say); an unknown name is an error and changes nothing.
    pub fn set_consent_by_name(&self, category: &str, granted: bool) -> Result<(), Error> {
        self.set_consent(category.parse()?, granted);
        Ok(())
    }

    pub fn consent(&self) -> Consent {
        self.state().consent.clone()
    }

    /// Validates and minimizes `event`. Returns `Ok(true)` if the minimized event is held,
    /// `Ok(false)` if consent or capacity meant nothing was kept.
    pub fn record(&self, event: &Event) -> Result<bool, Error> {
        event.validate()?;
        let mut state = self.state();
        let Some(minimized) = minimize(event, &state.consent, now_ms()) else {
            return Ok(false);
        };
        if state.held.len() >= HELD_CAPACITY {
            state.dropped_over_capacity += 1;
            return Ok(false);
        }
        state.held.push(minimized);
        Ok(true)
    }

    /// The minimized events held right now, oldest first.
    pub fn held(&self) -> Vec<Minimized> {
        self.state().held.clone()
    }

    /// The held events as a JSON array: exactly what would leave the device.
    pub fn held_json(&self) -> String {
        serde_json::to_string(&self.state().held).expect("minimized events always serialize")
    }

    /// How many events were refused because [`HELD_CAPACITY`] was reached.
    pub fn dropped_over_capacity(&self) -> u64 {
        self.state().dropped_over_capacity
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-updated (each change is one
        // push, retain or insert), so a poisoned lock is safe to keep using.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn started() -> (tempfile::TempDir, Modicum) {
        let tmp = tempfile::tempdir().unwrap();
        let config = Config { storage_dir: tmp.path().join("modicum"), app_id: "com.example.app".into() };
        (tmp, Modicum::start(config).unwrap())
    }

    #[test]
    fn start_rejects_an_unusable_dir() {
        let tmp = tempfile::tempdir().unwrap();
        let file = tmp.path().join("f");
        std::fs::write(&file, b"").unwrap();
        let err = Modicum::start(Config { storage_dir: file, app_id: "a".into() }).unwrap_err();
        assert!(matches!(err, Error::StorageUnusable { .. }));
    }

    #[test]
    fn consent_gates_what_is_held() {
        let (_tmp, m) = started();
        assert_eq!(m.record(&Event::new("before")), Ok(false));
        m.set_consent(Category::Analytics, true);
        assert_eq!(m.record(&Event::new("after").with("who", Value::Text("bo@example.com".into()))), Ok(true));
        let held: serde_json::Value = serde_json::from_str(&m.held_json()).unwrap();
        assert_eq!(held.as_array().unwrap().len(), 1);
        assert_eq!(held[0]["name"], "after");
        assert_eq!(held[0]["properties"]["who"], "[email]");
    }

    #[test]
    fn withdrawal_discards_held_events() {
        let (_tmp, m) = started();
        m.set_consent(Category::Analytics, true);
        m.record(&Event::new("a")).unwrap();
        m.set_consent(Category::Analytics, false);
        assert!(m.held().is_empty());
        assert_eq!(m.held_json(), "[]");
        assert_eq!(m.record(&Event::new("b")), Ok(false));
    }

    #[test]
    fn invalid_events_and_unknown_categories_are_errors() {
        let (_tmp, m) = started();
        m.set_consent(Category::Analytics, true);
        assert_eq!(m.record(&Event::new("")), Err(Error::EmptyEventName));
        assert_eq!(
            m.set_consent_by_name("telepathy", true),
            Err(Error::UnknownCategory { name: "telepathy".into() })
        );
        assert!(m.held().is_empty());
    }

    #[test]
    fn capacity_is_bounded_and_counted() {
        let (_tmp, m) = started();
        m.set_consent(Category::Analytics, true);
        for _ in 0..HELD_CAPACITY {
            assert_eq!(m.record(&Event::new("e")), Ok(true));
        }
        assert_eq!(m.record(&Event::new("e")), Ok(false));
        assert_eq!(m.dropped_over_capacity(), 1);
        assert_eq!(m.held().len(), HELD_CAPACITY);
    }

    #[test]
    fn usable_from_many_threads() {
        let (_tmp, m) = started();
        m.set_consent(Category::Analytics, true);
        std::thread::scope(|s| {
            for t in 0..4 {
                let m = &m;
                s.spawn(move || {
                    for i in 0..100 {
                        m.record(&Event::new(format!("t{t}")).with("i", Value::Int(i))).unwrap();
                    }
                });
            }
        });
        assert_eq!(m.held().len(), 400);
    }
}
