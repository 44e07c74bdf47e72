use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::consent::{ConsentStore, Loaded, Permits};
use crate::minimize::{minimize, Context, Minimized, Trace};
use crate::transform::Pseudonymizer;
use crate::{secret_file, AgeBand, Category, Config, Consent, Error, Event, Policy};

/// How many minimized events are held in memory before new ones are refused. A bound keeps
/// a runaway caller from exhausting the app's memory.
pub const HELD_CAPACITY: usize = 10_000;
/// How many recent decision traces are kept for inspection.
pub const TRACE_CAPACITY: usize = 64;

/// A running instance of the SDK: the user's consent, the app's policy, and the minimized
/// events held for them. Every method takes `&self` and is safe to call from any thread.
pub struct Modicum {
    config: Config,
    pseudonymizer: Pseudonymizer,
    consent_store: ConsentStore,
    consent_loaded: Loaded,
    state: Mutex<State>,
}

struct State {
    consent: Consent,
    /// `consent` evaluated under the policy; recomputed whenever consent changes.
    permits: Permits,
    held: Vec<Minimized>,
    traces: VecDeque<Trace>,
    dropped_over_capacity: u64,
}

impl std::fmt::Debug for Modicum {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Modicum")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Modicum {
    /// Validates `config`, prepares its storage directory, and restores the consent saved there.
    pub fn start(config: Config) -> Result<Modicum, Error> {
        config.validate()?;
        let unusable = |e: std::io::Error| Error::StorageUnusable {
            path: config.storage_dir.clone(),
            reason: e.to_string(),
        };
        let consent_store = ConsentStore::in_dir(&config.storage_dir);
        let (consent, consent_loaded) = consent_store.load().map_err(unusable)?;
        let secret = secret_file::load_or_create(&config.storage_dir).map_err(unusable)?;
        let pseudonymizer =
            Pseudonymizer::new(&secret, config.pseudonym_rotation).map_err(|e| {
                Error::InvalidConfig {
                    reason: e.to_string(),
                }
            })?;
        let state = Mutex::new(State {
            permits: consent.permits(&config.policy),
            consent,
            held: Vec::new(),
            traces: VecDeque::new(),
            dropped_over_capacity: 0,
        });
        Ok(Modicum {
            config,
            pseudonymizer,
            consent_store,
            consent_loaded,
            state,
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn policy(&self) -> &Policy {
        &self.config.policy
    }

    /// What start found on disk: a fresh install, the saved consent, or a corrupt file (kept
    /// aside, consent back to deny-all).
    pub fn consent_loaded(&self) -> &Loaded {
        &self.consent_loaded
    }

    /// Records the user's decision for one category. Withdrawing a category also discards
    /// what is held for it, before this returns: withdrawal means that data is no longer
    /// processed. The change applies in memory even if saving it fails (that is reported).
    pub fn set_consent(&self, category: Category, granted: bool) -> Result<(), Error> {
        self.change_consent(
            |consent, now| consent.set(category, granted, now),
            |state| {
                if !granted {
                    state.held.retain_mut(|event| event.withdraw(category));
                }
            },
        )
    }

    /// Same as [`Modicum::set_consent`] for a category named as a string (from a remote
    /// config, say); an unknown name is an error and changes nothing.
    pub fn set_consent_by_name(&self, category: &str, granted: bool) -> Result<(), Error> {
        self.set_consent(category.parse()?, granted)
    }

    /// Records that the user agreed to version `version` of the app's terms; categories the
    /// policy introduced after the version a decision was made under stay off until the user
    /// decides again.
    pub fn agree_to_version(&self, version: u32) -> Result<(), Error> {
        self.change_consent(
            |consent, now| {
                consent.agree_to_version(version, now);
                Ok(())
            },
            |_| (),
        )
    }

    /// Sets the user's age band and whether a guardian consented.
    pub fn set_age(&self, age: AgeBand, guardian_consent: bool) -> Result<(), Error> {
        let change = |consent: &mut Consent, now| {
            consent.set_age(age, guardian_consent, now);
            Ok(())
        };
        self.change_consent(change, |state| {
            // What was allowed before may not be now: re-apply every category's permit.
            for category in Category::ALL {
                if state.permits.permit(category).is_none() {
                    state.held.retain_mut(|event| event.withdraw(category));
                }
            }
        })
    }

    pub fn consent(&self) -> Consent {
        self.state().consent.clone()
    }

    /// The categories processing is permitted for right now, essential included if declared.
    pub fn permitted(&self) -> Vec<Category> {
        let state = self.state();
        Category::ALL
            .into_iter()
            .filter(|&c| state.permits.permit(c).is_some())
            .collect()
    }

    /// Validates and minimizes `event`. Returns `Ok(true)` if the minimized event is held,
    /// `Ok(false)` if consent or capacity meant nothing was kept.
    pub fn record(&self, event: Event) -> Result<bool, Error> {
        event.validate()?;
        let mut state = self.state();
        let cx = Context {
            permits: state.permits,
            policy: &self.config.policy,
            pseudonymizer: &self.pseudonymizer,
            now_ms: now_ms(),
        };
        let (minimized, trace) = minimize(event, &cx);
        if state.traces.len() == TRACE_CAPACITY {
            state.traces.pop_front();
        }
        state.traces.push_back(trace);
        let Some(minimized) = minimized else {
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

    /// The most recent decision traces, oldest first.
    pub fn recent_traces(&self) -> Vec<Trace> {
        self.state().traces.iter().cloned().collect()
    }

    /// How many events were refused because [`HELD_CAPACITY`] was reached.
    pub fn dropped_over_capacity(&self) -> u64 {
        self.state().dropped_over_capacity
    }

    fn change_consent(
        &self,
        change: impl FnOnce(&mut Consent, u64) -> Result<(), Error>,
        then: impl FnOnce(&mut State),
    ) -> Result<(), Error> {
        let mut state = self.state();
        change(&mut state.consent, now_ms())?;
        state.permits = state.consent.permits(&self.config.policy);
        then(&mut state);
        self.consent_store
            .save(&state.consent)
            .map_err(|e| Error::Storage {
                reason: e.to_string(),
            })
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock cannot leave `State` half-updated in a way that
        // matters (each change is a push, a retain or an insert), so a poisoned lock is safe
        // to keep using.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests;
