//! A change that applies at once in memory and is saved later, by the worker, in order: the
//! handle its caller gets says when it is on disk, and whether saving worked.
//!
//! A consent dialog changes consent from the app's main thread, which must not wait on a disk
//! or on a worker busy sealing a round; the caller that needs to know the change survives a
//! crash waits on (or listens to) its [`Durability`] from somewhere it may wait.

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::Error;

/// What is told when the change is saved, or saving failed.
type Listener = Box<dyn FnOnce(&Result<(), Error>) + Send>;

/// The handle to one change on its way to storage. Cloning gives another handle to the same
/// change. Dropping it changes nothing: the change is saved whether anyone waits or not.
#[derive(Clone)]
pub struct Durability {
    state: Arc<(Mutex<State>, Condvar)>,
}

#[derive(Default)]
struct State {
    outcome: Option<Result<(), Error>>,
    listeners: Vec<Listener>,
}

impl Durability {
    pub(super) fn pending() -> Durability {
        Durability {
            state: Arc::new((Mutex::new(State::default()), Condvar::new())),
        }
    }

    /// Waits until the change is saved (`Ok`), saving failed (the error; the change still
    /// applies in memory), or `timeout` passed (a timed-out `Storage` error; it is still saved
    /// later). Never call it on a UI thread.
    pub fn wait(&self, timeout: Duration) -> Result<(), Error> {
        // A timeout too long to add to now (`Duration::MAX`) waits without a deadline.
        let deadline = Instant::now().checked_add(timeout);
        let (lock, settled) = &*self.state;
        let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(outcome) = &state.outcome {
                return outcome.clone();
            }
            state = match deadline {
                None => settled.wait(state).unwrap_or_else(|p| p.into_inner()),
                Some(deadline) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return Err(super::timed_out());
                    }
                    settled
                        .wait_timeout(state, left)
                        .unwrap_or_else(|p| p.into_inner())
                        .0
                }
            };
        }
    }

    /// The outcome if the change is settled, without waiting.
    pub fn outcome(&self) -> Option<Result<(), Error>> {
        let (lock, _) = &*self.state;
        lock.lock()
            .unwrap_or_else(|p| p.into_inner())
            .outcome
            .clone()
    }

    /// Calls `listener` once the change is settled: on the worker's thread when it saves it,
    /// or at once on this thread if it already has. The listener must not block.
    pub fn on_settled(&self, listener: impl FnOnce(&Result<(), Error>) + Send + 'static) {
        let (lock, _) = &*self.state;
        let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
        match &state.outcome {
            Some(outcome) => {
                let outcome = outcome.clone();
                drop(state);
                listener(&outcome);
            }
            None => state.listeners.push(Box::new(listener)),
        }
    }

    /// Records the outcome (the first one counts), wakes the waiters and calls the listeners,
    /// outside the lock so a listener may read this handle.
    pub(super) fn settle(&self, outcome: Result<(), Error>) {
        let (lock, settled) = &*self.state;
        let listeners = {
            let mut state = lock.lock().unwrap_or_else(|p| p.into_inner());
            if state.outcome.is_some() {
                return;
            }
            state.outcome = Some(outcome.clone());
            std::mem::take(&mut state.listeners)
        };
        settled.notify_all();
        for listener in listeners {
            listener(&outcome);
        }
    }
}

impl std::fmt::Debug for Durability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Durability")
            .field("outcome", &self.outcome())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;

    #[test]
    fn a_waiter_and_a_listener_both_see_the_outcome_once() {
        let durability = Durability::pending();
        assert_eq!(durability.outcome(), None);
        let (tx, rx) = mpsc::channel();
        durability.on_settled(move |outcome| tx.send(outcome.clone()).unwrap());
        let waiter = {
            let durability = durability.clone();
            std::thread::spawn(move || durability.wait(Duration::from_secs(10)))
        };
        let forever = {
            let durability = durability.clone();
            std::thread::spawn(move || durability.wait(Duration::MAX))
        };
        durability.settle(Ok(()));
        assert_eq!(forever.join().unwrap(), Ok(()));
        // A second outcome is ignored: the first one is what happened.
        durability.settle(Err(super::super::timed_out()));
        assert_eq!(waiter.join().unwrap(), Ok(()));
        assert_eq!(rx.recv().unwrap(), Ok(()));
        assert!(rx.try_recv().is_err());
        assert_eq!(durability.outcome(), Some(Ok(())));
    }

    #[test]
    fn waiting_past_the_timeout_is_an_error_and_a_late_listener_runs_at_once() {
        let durability = Durability::pending();
        let started = Instant::now();
        assert!(matches!(
            durability.wait(Duration::from_millis(20)),
            Err(Error::Storage { .. })
        ));
        assert!(started.elapsed() >= Duration::from_millis(20));
        let failed = Error::Storage {
            reason: "disk full".into(),
        };
        durability.settle(Err(failed.clone()));
        let (tx, rx) = mpsc::channel();
        durability.on_settled(move |outcome| tx.send(outcome.clone()).unwrap());
        assert_eq!(rx.try_recv().unwrap(), Err(failed));
    }
}
