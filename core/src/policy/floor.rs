//! Protections for minors and children that hold whatever the policy says. The policy cannot
//! lift them, because a policy document is the app's to write and these are the user's.

use super::{Action, DataClass, Generalization};
use crate::consent::{AgeBand, Permits};
use crate::transform::DEFAULT_CELL_M;

/// Why a floor changed the policy's action, for the decision trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Floor {
    /// A child without a guardian's consent: nothing identifying at all.
    ChildWithoutGuardian,
    /// Minors and children: no advertising identifier and no precise location.
    Minor,
}

impl Floor {
    pub fn name(self) -> &'static str {
        match self {
            Floor::ChildWithoutGuardian => "child_without_guardian",
            Floor::Minor => "minor",
        }
    }
}

/// The action to take instead of `action` for a field of `class`, if a floor applies.
pub fn apply(
    class: DataClass,
    action: &Action,
    age: AgeBand,
    guardian_consent: bool,
) -> Option<(Action, Floor)> {
    if matches!(action, Action::Drop) {
        return None;
    }
    if age == AgeBand::Child && !guardian_consent && class.is_identifying() {
        return Some((Action::Drop, Floor::ChildWithoutGuardian));
    }
    if age == AgeBand::Adult {
        return None;
    }
    match (class, action) {
        (DataClass::IdAdvertising, _) => Some((Action::Drop, Floor::Minor)),
        (DataClass::Location, Action::Keep) => Some((
            Action::Generalize(Generalization::Grid {
                cell_m: DEFAULT_CELL_M,
            }),
            Floor::Minor,
        )),
        (DataClass::Location, Action::Generalize(Generalization::Grid { cell_m }))
            if *cell_m < DEFAULT_CELL_M =>
        {
            Some((
                Action::Generalize(Generalization::Grid {
                    cell_m: DEFAULT_CELL_M,
                }),
                Floor::Minor,
            ))
        }
        _ => None,
    }
}

/// [`apply`] for the audience a [`Permits`] snapshot describes.
pub fn for_permits(
    class: DataClass,
    action: &Action,
    permits: &Permits,
) -> Option<(Action, Floor)> {
    apply(class, action, permits.age(), permits.guardian_consent())
}
