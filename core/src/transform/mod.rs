//! The value transforms the policy applies: keyed pseudonyms, and generalizations that make a
//! value coarser (IP prefixes, location grid cells, capacity buckets, time units).
//!
//! Each is a pure function of its input (and, for pseudonyms, the install's secret), so the
//! same value always minimizes the same way within an install and period.

mod capacity;
mod ip;
mod location;
mod pseudonym;
mod time;

pub use capacity::bucket_capacity;
pub use ip::generalize_ip;
pub use location::{coarsen_location, DEFAULT_CELL_M};
pub use modicum_wire::DeletionToken;
pub use pseudonym::{InstallSecret, Pseudonymizer, DEFAULT_ROTATION};
pub use time::{coarsen_time, coarsen_time_ms, TimeUnit};

/// A value a transform cannot work on. The caller drops the field rather than keep it raw.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TransformError {
    #[error("not an IP address")]
    NotAnIp,
    #[error("not a location: latitude must be within ±90 and longitude within ±180 degrees")]
    InvalidLocation,
    #[error("invalid parameter `{name}`: {reason}")]
    InvalidParameter { name: &'static str, reason: String },
    #[error("the system's random number generator failed")]
    Random,
}
