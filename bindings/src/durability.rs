use std::sync::Arc;
use std::time::Duration;

use crate::ModicumError;

/// A change of consent on its way to storage (see [`modicum_core::Durability`]): it applied
/// in memory when the call returned; this says when it is saved.
#[derive(Debug, uniffi::Object)]
pub struct Durability {
    inner: modicum_core::Durability,
}

impl From<modicum_core::Durability> for Durability {
    fn from(inner: modicum_core::Durability) -> Durability {
        Durability { inner }
    }
}

/// Told once a change is saved (`failure` is null) or saving failed. Called on Modicum's
/// worker thread, or at once on the caller's when it is already settled: it must not block.
#[uniffi::export(foreign)]
pub trait SettledListener: Send + Sync {
    fn settled(&self, failure: Option<ModicumError>);
}

#[uniffi::export]
impl Durability {
    /// Waits until the change is saved, saving failed (`Storage`), or `timeout_ms` passed
    /// (`Storage`, and it is still saved later). Blocks: not on a UI thread.
    pub fn wait(&self, timeout_ms: u32) -> Result<(), ModicumError> {
        Ok(self
            .inner
            .wait(Duration::from_millis(u64::from(timeout_ms)))?)
    }

    /// True once the change is saved; false while it is not yet, or saving failed.
    pub fn is_saved(&self) -> bool {
        matches!(self.inner.outcome(), Some(Ok(())))
    }

    /// Calls `listener` once the change is settled; never blocks.
    pub fn on_settled(&self, listener: Arc<dyn SettledListener>) {
        self.inner.on_settled(move |outcome| {
            listener.settled(outcome.clone().err().map(ModicumError::from));
        });
    }
}
