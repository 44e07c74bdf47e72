//! Minimization: the one place a raw [`Event`] becomes something Modicum may hold.
//!
//! The event's category must be permitted (by the user's consent, or as declared essential
//! processing); then every property is decided by the policy for its data class, the floors
//! for minors and children are applied, and the action is carried out. The [`Trace`] says
//! which rule fired on which field, for the privacy ledger and for anyone auditing a decision.

mod apply;
mod minimized;
mod trace;

use std::collections::BTreeMap;

pub use minimized::{Minimized, MinimizedValue};
pub use trace::{FieldOutcome, FieldTrace, Trace, Verdict};

use crate::consent::Consent;
use crate::policy::{floor, Policy};
use crate::transform::Pseudonymizer;
use crate::Event;

/// What minimization needs besides the event.
pub struct Context<'a> {
    pub consent: &'a Consent,
    pub policy: &'a Policy,
    pub pseudonymizer: &'a Pseudonymizer,
    pub now_ms: u64,
}

/// Minimizes a validated event: `None` when the event's category is not permitted at all,
/// and in every case the trace of what was decided.
pub fn minimize(event: &Event, cx: &Context<'_>) -> (Option<Minimized>, Trace) {
    let Some(permit) = cx.consent.permit(event.category, cx.policy) else {
        return (None, Trace::dropped_for_consent(event));
    };
    let mut properties = BTreeMap::new();
    let mut grants = BTreeMap::new();
    let mut fields = Vec::with_capacity(event.properties.len());
    for (key, value) in &event.properties {
        let class = event.class_of(key, value);
        let decided = cx.policy.decide(class, cx.consent);
        let floored = floor::for_consent(class, decided.action, cx.consent);
        let action = floored.as_ref().map_or(decided.action, |(a, _)| a);
        let (kept, outcome) = apply::apply(action, class, value, cx);
        if let Some(kept) = kept {
            properties.insert(key.clone(), kept);
            if let Some(category) = decided.granted {
                grants.insert(key.clone(), category);
            }
        }
        fields.push(FieldTrace {
            field: key.clone(),
            class,
            rule: decided.rule,
            action: action.name(),
            floor: floored.map(|(_, f)| f.name()),
            outcome,
        });
    }
    let minimized = Minimized::new(event.name.clone(), permit, cx.now_ms, properties, grants);
    (Some(minimized), Trace::kept(event, permit.basis(), fields))
}

#[cfg(test)]
mod tests;
