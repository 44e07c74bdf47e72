//! The user's consent as the runtime holds it, and the calls that change it.
//!
//! A change applies in memory first (so the very next `record` sees it, lock-free), is saved
//! next, and only then is what it no longer permits removed by the worker. The removal is a
//! reconciliation of everything held against the consent in force, which the worker also runs
//! before every batching round, every upload hand-out and at every start: a withdrawal whose
//! removal was not queued in time, failed on storage, or was cut short by the process dying is
//! finished at the next of those.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Mutex;

use super::worker::Command;
use super::{Modicum, BLOCKING_TIMEOUT};
use crate::consent::{ConsentStore, Permits};
use crate::{AgeBand, Category, Consent, Error, Policy};

/// The consent, the permits it gives under the policy, and where it is saved: one place.
pub(super) struct ConsentState {
    store: ConsentStore,
    current: Mutex<Consent>,
    permits: Mutex<Permits>,
    /// `permits` one bit per permitted category, read without a lock by `record`.
    bits: AtomicU16,
}

impl ConsentState {
    pub(super) fn new(store: ConsentStore, consent: Consent, policy: &Policy) -> ConsentState {
        let permits = consent.permits(policy);
        ConsentState {
            store,
            bits: AtomicU16::new(permits.bits()),
            permits: Mutex::new(permits),
            current: Mutex::new(consent),
        }
    }

    /// Whether `category` is permitted now: one atomic load.
    pub(super) fn allows(&self, category: Category) -> bool {
        self.bits.load(Ordering::Acquire) & (1 << category as u16) != 0
    }

    pub(super) fn bits(&self) -> u16 {
        self.bits.load(Ordering::Acquire)
    }

    pub(super) fn permits(&self) -> Permits {
        *self.permits.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What may be held and sent as of now (see [`Admission`]).
    pub(super) fn admission(&self) -> Admission {
        let consent = self.current.lock().unwrap_or_else(|p| p.into_inner());
        Admission {
            permits: self.permits(),
            withdrawn: Category::ALL.map(|c| consent.withdrawn_at(c)),
        }
    }

    pub(super) fn current(&self) -> Consent {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Applies `change` in memory, then saves. The outer `Result` is the change itself; the
    /// inner one whether saving worked (the change applies either way).
    pub(super) fn change(
        &self,
        policy: &Policy,
        now_ms: u64,
        change: impl FnOnce(&mut Consent, u64) -> Result<(), Error>,
    ) -> Result<Result<(), Error>, Error> {
        let mut consent = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let before = consent.permits(policy);
        change(&mut consent, now_ms)?;
        let permits = consent.permits(policy);
        // Whatever stops being permitted is withdrawn as of now, however it happened (a
        // decision, an age band, a reset): what was recorded under it may never leave.
        for category in Category::ALL {
            if before.permit(category).is_some() && permits.permit(category).is_none() {
                consent.note_withdrawn(category, now_ms);
            }
        }
        *self.permits.lock().unwrap_or_else(|p| p.into_inner()) = permits;
        self.bits.store(permits.bits(), Ordering::Release);
        Ok(self.store.save(&consent).map_err(super::storage_error))
    }
}

/// Which data may still be held and sent, as of one moment: data of a category that is
/// permitted now and was not withdrawn since it was recorded.
pub(super) struct Admission {
    permits: Permits,
    withdrawn: [Option<u64>; Category::ALL.len()],
}

impl Admission {
    /// Whether data of `category` recorded (or, for a sealed batch, sealed) at `at_ms` may be
    /// held and sent. A withdrawal in the same millisecond counts: the doubt goes to removal.
    pub(super) fn admits(&self, category: Category, at_ms: u64) -> bool {
        self.permits.permit(category).is_some()
            && self.withdrawn[category as usize].is_none_or(|withdrawn| withdrawn < at_ms)
    }
}

impl Modicum {
    /// Records the user's decision for one category. Withdrawing applies to every later
    /// `record` at once, is saved, and then removes what is held for the category (everything
    /// of that category, and the fields its grant let into other events) before anything
    /// queued later is handled. The change applies in memory even if saving it fails (that is
    /// reported); a removal that cannot run now runs at the next round, upload or start.
    pub fn set_consent(&self, category: Category, granted: bool) -> Result<(), Error> {
        let saved = self.change_consent(|consent, now| consent.set(category, granted, now))?;
        if !granted {
            self.reconcile()?;
        }
        saved
    }

    /// Same as [`Modicum::set_consent`] for a category named as a string (from a remote
    /// config, say); an unknown name is an error and changes nothing.
    pub fn set_consent_by_name(&self, category: &str, granted: bool) -> Result<(), Error> {
        self.set_consent(category.parse::<Category>()?, granted)
    }

    /// Records that the user agreed to version `version` of the app's terms.
    pub fn agree_to_version(&self, version: u32) -> Result<(), Error> {
        let saved = self.change_consent(|consent, now| {
            consent.agree_to_version(version, now);
            Ok(())
        })?;
        // A newer version can only widen what is permitted, but an older one narrows it.
        self.reconcile()?;
        saved
    }

    /// Sets the user's age band and whether a guardian consented; whatever is no longer
    /// permitted is removed.
    pub fn set_age(&self, age: AgeBand, guardian_consent: bool) -> Result<(), Error> {
        let saved = self.change_consent(|consent, now| {
            consent.set_age(age, guardian_consent, now);
            Ok(())
        })?;
        self.reconcile()?;
        saved
    }

    pub fn consent(&self) -> Consent {
        self.shared.consent.current()
    }

    /// The categories processing is permitted for right now, essential included if declared.
    pub fn permitted(&self) -> Vec<Category> {
        let permits = self.shared.consent.permits();
        Category::ALL
            .into_iter()
            .filter(|&c| permits.permit(c).is_some())
            .collect()
    }

    /// Asks the worker to remove whatever the consent in force no longer permits.
    fn reconcile(&self) -> Result<(), Error> {
        self.ask(BLOCKING_TIMEOUT, Command::Reconcile)
    }

    fn change_consent(
        &self,
        change: impl FnOnce(&mut Consent, u64) -> Result<(), Error>,
    ) -> Result<Result<(), Error>, Error> {
        self.shared
            .consent
            .change(&self.shared.config.policy, self.shared.now_ms(), change)
    }
}
