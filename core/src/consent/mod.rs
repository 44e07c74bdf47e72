//! Consent: what the user allowed, under which version of the app's terms, at which age.
//!
//! [`Consent`] is the state (decisions, version, age band, history); [`ConsentStore`] keeps it
//! on disk; [`Consent::permit`] turns it into a [`Permit`] for one category, applying the
//! protections for minors and children that no grant can lift.

mod age;
mod permit;
mod state;
mod store;

pub use age::AgeBand;
pub use modicum_wire::{Basis, Category};
pub use permit::{Permit, Permits};
pub use state::{Change, Consent, Decision, HISTORY_CAPACITY};
pub use store::{ConsentStore, Loaded};

#[cfg(test)]
mod tests;
