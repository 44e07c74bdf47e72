//! The user's consent as the runtime holds it, and the calls that change it.
//!
//! A change applies in memory at once, on the caller's thread (so the very next `record` sees
//! it, lock-free), and nothing there waits on a disk or the worker: a consent dialog calls
//! these from the app's main thread. The worker then saves the consent in force, before it
//! handles anything else, and removes what the consent no longer permits; the caller's
//! [`Durability`] settles once the change is saved. The removal is a reconciliation of
//! everything held against the consent in force, which the worker also runs before every
//! batching round, every upload hand-out and at every start: a withdrawal whose removal failed
//! on storage or was cut short by the process dying is finished at the next of those.
//!
//! Events still queued when a change is made are minimized by the worker later, perhaps after
//! a new grant. Each carries the consent epoch (a count of the changes that withdrew
//! something) from when it was recorded, and the worker withholds from it whatever was
//! withdrawn after that epoch: what was recorded before a withdrawal never leaves.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU64, Ordering};
use std::sync::Mutex;

use super::durability::Durability;
use super::worker::Command;
use super::Modicum;
use crate::consent::{ConsentStore, Permits};
use crate::{AgeBand, Category, Consent, Error, Policy};

/// The consent, the permits it gives under the policy, and where it is saved: one place.
pub(super) struct ConsentState {
    store: ConsentStore,
    current: Mutex<Consent>,
    permits: Mutex<Permits>,
    /// `permits` one bit per permitted category, read without a lock by `record`.
    bits: AtomicU16,
    /// The handles of changes applied in memory and not yet saved.
    unsaved: Mutex<Vec<Durability>>,
    /// Set when `unsaved` gains a change: what the worker reads each turn, without a lock.
    dirty: AtomicBool,
    /// Counts the changes that withdrew something. An event is tagged with it when `record`
    /// takes it, so the worker, which may take it only after a withdrawal and a new grant,
    /// still knows the event came before the withdrawal.
    epoch: AtomicU64,
    /// Per category, the epoch of its last withdrawal (0: never in this process).
    withdrawn_epoch: [AtomicU64; Category::ALL.len()],
}

impl ConsentState {
    pub(super) fn new(store: ConsentStore, consent: Consent, policy: &Policy) -> ConsentState {
        let permits = consent.permits(policy);
        ConsentState {
            store,
            bits: AtomicU16::new(permits.bits()),
            permits: Mutex::new(permits),
            current: Mutex::new(consent),
            unsaved: Mutex::new(Vec::new()),
            dirty: AtomicBool::new(false),
            epoch: AtomicU64::new(0),
            withdrawn_epoch: Category::ALL.map(|_| AtomicU64::new(0)),
        }
    }

    /// Whether `category` is permitted now: one atomic load.
    pub(super) fn allows(&self, category: Category) -> bool {
        self.bits.load(Ordering::Acquire) & (1 << category as u16) != 0
    }

    pub(super) fn bits(&self) -> u16 {
        self.bits.load(Ordering::Acquire)
    }

    /// The epoch now. Read before [`ConsentState::allows`]: a change stores its permits before
    /// its epoch, so a reader that sees the new epoch sees the new permits too, and one that
    /// sees the old epoch has its event judged against the withdrawal by the worker.
    pub(super) fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// The categories withdrawn after `epoch` (one bit each): an event tagged `epoch` was
    /// recorded before those withdrawals, and is minimized as if they were still in force
    /// however the consent has changed since.
    pub(super) fn withdrawn_since(&self, epoch: u64) -> u16 {
        Category::ALL
            .into_iter()
            .filter(|&c| self.withdrawn_epoch[c as usize].load(Ordering::Acquire) > epoch)
            .fold(0, |bits, c| bits | 1 << c as u16)
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

    /// Applies `change` in memory and leaves saving to the worker ([`ConsentState::save`]);
    /// the handle settles once it is saved. An error is the change's own (an unknown
    /// category), and then nothing changed.
    pub(super) fn change(
        &self,
        policy: &Policy,
        now_ms: u64,
        change: impl FnOnce(&mut Consent, u64) -> Result<(), Error>,
    ) -> Result<Durability, Error> {
        let mut consent = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let before = consent.permits(policy);
        change(&mut consent, now_ms)?;
        let permits = consent.permits(policy);
        // Whatever stops being permitted is withdrawn as of now, however it happened (a
        // decision, an age band, a reset): what was recorded under it may never leave.
        let epoch = self.epoch.load(Ordering::Relaxed) + 1;
        let mut withdrew = false;
        for category in Category::ALL {
            if before.permit(category).is_some() && permits.permit(category).is_none() {
                consent.note_withdrawn(category, now_ms);
                self.withdrawn_epoch[category as usize].store(epoch, Ordering::Release);
                withdrew = true;
            }
        }
        *self.permits.lock().unwrap_or_else(|p| p.into_inner()) = permits;
        // Permits first, then the epoch (see `epoch`).
        self.bits.store(permits.bits(), Ordering::Release);
        if withdrew {
            self.epoch.store(epoch, Ordering::Release);
        }
        // Queued while `current` is held, so a save that takes this handle reads the
        // consent after this change.
        let durability = Durability::pending();
        self.unsaved
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(durability.clone());
        self.dirty.store(true, Ordering::Release);
        Ok(durability)
    }

    /// Whether a change waits to be saved: one atomic load, for the worker's every turn.
    pub(super) fn has_unsaved(&self) -> bool {
        self.dirty.load(Ordering::Acquire)
    }

    /// Saves the consent in force and settles the handles of every change it includes. On
    /// the worker's thread only. A failed save is not retried until the next change (or the
    /// next start, which reads what was saved last); every handle it covered reports it.
    pub(super) fn save(&self) -> io::Result<()> {
        self.dirty.store(false, Ordering::Release);
        let covered = std::mem::take(&mut *self.unsaved.lock().unwrap_or_else(|p| p.into_inner()));
        // Read after the handles were taken: every change they stand for is in it.
        let consent = self.current();
        let saved = self.store.save(&consent);
        let outcome = saved.as_ref().map(|_| ()).map_err(|e| Error::Storage {
            reason: e.to_string(),
        });
        for durability in covered {
            durability.settle(outcome.clone());
        }
        saved
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
    /// Records the user's decision for one category, without waiting: the change applies to
    /// every later `record` at once, and the worker saves it and removes what is held for a
    /// withdrawn category (everything of it, and the fields its grant let into other events)
    /// before it handles anything queued later. The returned handle settles once the change is
    /// saved; until then a crash forgets it (and what it withdrew is then never sent anyway,
    /// since it is removed before anything else). An error is only for the change itself.
    pub fn set_consent(&self, category: Category, granted: bool) -> Result<Durability, Error> {
        self.change_consent(|consent, now| consent.set(category, granted, now))
    }

    /// Same as [`Modicum::set_consent`] for a category named as a string (from a remote
    /// config, say); an unknown name is an error and changes nothing.
    pub fn set_consent_by_name(&self, category: &str, granted: bool) -> Result<Durability, Error> {
        self.set_consent(category.parse::<Category>()?, granted)
    }

    /// Records that the user agreed to version `version` of the app's terms (an older version
    /// narrows what is permitted). Saved as [`Modicum::set_consent`] is.
    pub fn agree_to_version(&self, version: u32) -> Result<Durability, Error> {
        self.change_consent(|consent, now| {
            consent.agree_to_version(version, now);
            Ok(())
        })
    }

    /// Sets the user's age band and whether a guardian consented; whatever is no longer
    /// permitted is removed. Saved as [`Modicum::set_consent`] is.
    pub fn set_age(&self, age: AgeBand, guardian_consent: bool) -> Result<Durability, Error> {
        self.change_consent(|consent, now| {
            consent.set_age(age, guardian_consent, now);
            Ok(())
        })
    }

    pub fn consent(&self) -> Consent {
        self.shared.consent.current()
    }

    /// A count of the changes of consent that withdrew something. A platform facade that holds
    /// events before handing them over reads it when the app records one, and hands the events
    /// over with it ([`Modicum::record_many_as_of`]), so an event recorded before a withdrawal
    /// is treated as such even if the category is granted again before it reaches the core.
    pub fn consent_epoch(&self) -> u64 {
        self.shared.consent.epoch()
    }

    /// The categories processing is permitted for right now, essential included if declared.
    pub fn permitted(&self) -> Vec<Category> {
        let permits = self.shared.consent.permits();
        Category::ALL
            .into_iter()
            .filter(|&c| permits.permit(c).is_some())
            .collect()
    }

    fn change_consent(
        &self,
        change: impl FnOnce(&mut Consent, u64) -> Result<(), Error>,
    ) -> Result<Durability, Error> {
        let shared = &self.shared;
        let durability = shared
            .consent
            .change(&shared.config.policy, shared.now_ms(), change)?;
        // Wakes an idle worker. A full queue needs no message: the worker checks for unsaved
        // consent before every command it takes.
        let _ = self.tx.try_send(Command::Wake);
        Ok(durability)
    }
}
