//! Minimization: the one place a raw [`Event`] becomes something Modicum may hold.
//!
//! The event's category must be permitted (by the user's consent, or as declared essential
//! processing); then every property is decided by the policy for its data class, the floors
//! for minors and children are applied, and the action is carried out. The [`Trace`] says
//! which rule fired on which field, for the privacy ledger and for anyone auditing a decision.

mod apply;
mod minimized;
mod on_wire;
mod trace;

use std::collections::BTreeMap;

pub use minimized::{Field, Minimized, MinimizedValue};
pub use trace::{FieldOutcome, FieldTrace, Trace, Verdict};

use crate::consent::Permits;
use crate::policy::{floor, Policy};
use crate::transform::Pseudonymizer;
use crate::Event;

/// What minimization needs besides the event.
pub struct Context<'a> {
    /// What the user's consent permits right now (see [`crate::Consent::permits`]).
    pub permits: Permits,
    pub policy: &'a Policy,
    pub pseudonymizer: &'a Pseudonymizer,
    pub now_ms: u64,
}

/// Minimizes a validated event, consuming it: `None` when the event's category is not
/// permitted at all, and in every case the trace of what was decided. Taking the event by
/// value means the raw event cannot outlive this call, and kept values move rather than copy.
pub fn minimize(event: Event, cx: &Context<'_>) -> (Option<Minimized>, Trace) {
    let Some(permit) = cx.permits.permit(event.category) else {
        return (
            None,
            Trace::dropped_for_consent(&event.name, event.category),
        );
    };
    let mut properties = BTreeMap::new();
    let mut fields = Vec::with_capacity(event.properties.len());
    for (key, property) in event.properties {
        let class = property.class();
        let decided = cx.policy.decide(class, &cx.permits);
        let floored = floor::for_permits(class, decided.action, &cx.permits);
        let action = floored.as_ref().map_or(decided.action, |(a, _)| a);
        let (kept, outcome) = apply::apply(action, class, property.value, cx);
        fields.push(FieldTrace {
            field: key.as_ref().into(),
            class,
            rule: decided.rule,
            action: action.name(),
            floor: floored.map(|(_, f)| f.name()),
            outcome,
        });
        if let Some(kept) = kept {
            properties.insert(key, Field::new(kept, decided.granted));
        }
    }
    let trace = Trace::kept(&event.name, event.category, permit.basis(), fields);
    (
        Some(Minimized::new(
            event.name,
            permit,
            cx.now_ms,
            properties,
            cx.pseudonymizer.generation(),
        )),
        trace,
    )
}

#[cfg(test)]
mod tests;
