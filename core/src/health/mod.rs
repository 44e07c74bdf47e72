//! Release health without identifiers: sessions counted on the device, per app version and
//! day, and sent once a day as one aggregate that names no one.
//!
//! - [`Book`]: the counts, and the session the app is in now. A session starts when the app
//!   comes to the foreground and ends when it leaves: normally, crashed (an uncaught exception
//!   recorded in the process, or a crash record the process left, found at the next start),
//!   or abnormally (the process died in the foreground without a crash record, or a hang was
//!   recorded during the session).
//! - [`DailyHealth`]: one day's counts for one app version, as the `modicum.daily_health`
//!   event (category `diagnostics`) that leaves in a batch of its own, with no install
//!   pseudonym and no device context.
//! - [`HealthStore`]: the book on disk, one JSON file replaced atomically.
//!
//! Why no identifier is needed: each install sends at most one report per app version and day
//! (a day is reported only once it is over, and removed from the book before its report is
//! written), so the collector counts installs by counting reports. See `docs/release-health.md`.

mod book;
mod report;
mod store;

pub use book::{Book, OpenSession, Tally};
/// The day length and the report's name, shared with the collector through `modicum-wire`.
pub use modicum_wire::{DAY_MS, HEALTH_EVENT};
pub use report::{DailyHealth, UNKNOWN_VERSION};
pub use store::HealthStore;
