use std::fmt;

use serde::Serialize;

use crate::transform::TimeUnit;

/// What the policy does with a field.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// The value leaves the device as it is.
    Keep,
    /// The field is removed.
    Drop,
    /// The value is replaced by a keyed, rotating pseudonym (HMAC-SHA256 with the install's
    /// secret). `purpose` is required for contact data: the app must say why it needs it.
    Hash { purpose: Option<String> },
    /// The value is made coarser.
    Generalize(Generalization),
    /// The value is only ever sent as part of windowed aggregates, never per event.
    Aggregate,
    /// Personal data in the text is replaced by tags naming what was removed.
    Scrub,
}

/// How [`Action::Generalize`] coarsens a value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum Generalization {
    /// IPv4 to its /24, IPv6 to its /48.
    Ip,
    /// Latitude/longitude to the centre of a grid cell about `cell_m` metres across.
    Grid { cell_m: f64 },
    /// A capacity down to a power of two.
    Bucket,
    /// A timestamp down to a whole `unit`.
    Time { unit: TimeUnit },
}

impl Action {
    /// The action's name in policy documents and traces.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Keep => "keep",
            Action::Drop => "drop",
            Action::Hash { .. } => "hash",
            Action::Generalize(_) => "generalize",
            Action::Aggregate => "aggregate",
            Action::Scrub => "scrub",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Hash { purpose: Some(p) } => write!(f, "hash (purpose: {p})"),
            Action::Generalize(Generalization::Ip) => f.write_str("truncate IP (/24, /48)"),
            Action::Generalize(Generalization::Grid { cell_m }) => {
                write!(f, "coarsen to a {cell_m} m grid")
            }
            Action::Generalize(Generalization::Bucket) => f.write_str("power-of-two bucket"),
            Action::Generalize(Generalization::Time { unit }) => {
                write!(f, "round down to the {unit}")
            }
            Action::Hash { purpose: None } => f.write_str("hash (rotating)"),
            other => f.write_str(other.name()),
        }
    }
}
