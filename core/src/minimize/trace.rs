use compact_str::CompactString;
use serde::Serialize;

use crate::consent::{Basis, Category};
use crate::policy::DataClass;

/// What minimization decided for one event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Trace {
    /// Short names are held inline: a trace is made for every event and kept for few.
    pub event: CompactString,
    pub category: Category,
    pub verdict: Verdict,
    pub fields: Vec<FieldTrace>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "basis", rename_all = "snake_case")]
pub enum Verdict {
    /// The event is held, on this basis.
    Kept(Basis),
    /// The event's category is not permitted: nothing of it is held.
    DroppedForConsent,
}

/// What happened to one property: its class, the rule that decided it (1-based; `None` when
/// no rule matched and it was dropped by default), the action taken, the floor that overrode
/// the policy if any, and the outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldTrace {
    pub field: CompactString,
    pub class: DataClass,
    pub rule: Option<usize>,
    pub action: &'static str,
    pub floor: Option<&'static str>,
    pub outcome: FieldOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldOutcome {
    Kept,
    Dropped,
    Hashed,
    Generalized,
    /// Text went through the scrubber; `removed` pieces of personal data were replaced.
    Scrubbed {
        removed: u32,
    },
    /// Withheld from the event: only windowed aggregates carry this data.
    Aggregated,
    /// The action could not be applied to this value (an IP that does not parse, a negative
    /// capacity), so the field was dropped.
    Unusable,
}

impl Trace {
    pub(super) fn dropped_for_consent(event: &str, category: Category) -> Trace {
        Trace {
            event: event.into(),
            category,
            verdict: Verdict::DroppedForConsent,
            fields: Vec::new(),
        }
    }

    pub(super) fn kept(
        event: &str,
        category: Category,
        basis: Basis,
        fields: Vec<FieldTrace>,
    ) -> Trace {
        Trace {
            event: event.into(),
            category,
            verdict: Verdict::Kept(basis),
            fields,
        }
    }
}
