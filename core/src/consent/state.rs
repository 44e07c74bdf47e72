use std::collections::{BTreeMap, VecDeque};

use serde::{Deserialize, Serialize};

use super::{AgeBand, Category, Permit, Permits};
use crate::policy::Policy;

/// How many past changes the history keeps; older ones fall off the front.
pub const HISTORY_CAPACITY: usize = 1000;

/// One decision the user made: granted or not, when (ms since the Unix epoch), and under
/// which version of the app's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    pub granted: bool,
    pub at_ms: u64,
    pub version: u32,
}

/// One entry of the consent history, for the user's own record and for audits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum Change {
    Decision {
        category: Category,
        granted: bool,
        version: u32,
        at_ms: u64,
    },
    Version {
        version: u32,
        at_ms: u64,
    },
    Age {
        age: AgeBand,
        guardian_consent: bool,
        at_ms: u64,
    },
}

/// The user's consent: which version of the terms they agreed to, their age band, one
/// [`Decision`] per category they answered, and the history of changes. A category never
/// answered is denied.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    version: u32,
    age: AgeBand,
    guardian_consent: bool,
    decisions: BTreeMap<Category, Decision>,
    history: VecDeque<Change>,
    /// When each category last stopped being permitted (ms since the Unix epoch): what was
    /// recorded under it until then never leaves, even once it is granted again. Kept apart
    /// from the bounded history so it is never forgotten.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    withdrawn_at: BTreeMap<Category, u64>,
}

impl Consent {
    /// Records that the user agreed to version `version` of the app's terms. Decisions made
    /// from now on carry this version.
    pub fn agree_to_version(&mut self, version: u32, at_ms: u64) {
        self.version = version;
        self.push(Change::Version { version, at_ms });
    }

    /// Records a decision for a user category. [`Category::Essential`] is the app's declaration,
    /// not the user's choice, so it cannot be set here.
    pub fn set(
        &mut self,
        category: Category,
        granted: bool,
        at_ms: u64,
    ) -> Result<(), crate::Error> {
        if category == Category::Essential {
            return Err(crate::Error::EssentialIsDeclared);
        }
        let version = self.version;
        self.decisions.insert(
            category,
            Decision {
                granted,
                at_ms,
                version,
            },
        );
        self.push(Change::Decision {
            category,
            granted,
            version,
            at_ms,
        });
        Ok(())
    }

    pub fn set_age(&mut self, age: AgeBand, guardian_consent: bool, at_ms: u64) {
        self.age = age;
        self.guardian_consent = guardian_consent;
        self.push(Change::Age {
            age,
            guardian_consent,
            at_ms,
        });
    }

    pub fn version(&self) -> u32 {
        self.version
    }

    pub fn age(&self) -> AgeBand {
        self.age
    }

    pub fn guardian_consent(&self) -> bool {
        self.guardian_consent
    }

    pub fn decision(&self, category: Category) -> Option<Decision> {
        self.decisions.get(&category).copied()
    }

    /// When `category` last stopped being permitted, if it ever did.
    pub fn withdrawn_at(&self, category: Category) -> Option<u64> {
        self.withdrawn_at.get(&category).copied()
    }

    /// Notes that `category` stopped being permitted at `at_ms` (a later time never moves back).
    pub fn note_withdrawn(&mut self, category: Category, at_ms: u64) {
        let at = self.withdrawn_at.entry(category).or_default();
        *at = (*at).max(at_ms);
    }

    pub fn history(&self) -> impl Iterator<Item = &Change> {
        self.history.iter()
    }

    /// A permit for `category` if processing for it is allowed right now under `policy`.
    ///
    /// The order of checks is the order of precedence:
    /// 1. `essential` is allowed exactly when the policy declares essential processing;
    /// 2. a child without a guardian's consent gets nothing else;
    /// 3. minors and children never get advertising or precise location, whatever is granted;
    /// 4. otherwise the user must have granted the category under a version of the terms at
    ///    or after the one that introduced it.
    pub fn permit(&self, category: Category, policy: &Policy) -> Option<Permit> {
        if category == Category::Essential {
            return policy.essential_purpose().map(|_| Permit::essential());
        }
        let minor = matches!(self.age, AgeBand::Minor | AgeBand::Child);
        if self.age == AgeBand::Child && !self.guardian_consent {
            return None;
        }
        if minor && matches!(category, Category::Advertising | Category::LocationPrecise) {
            return None;
        }
        let decision = self.decisions.get(&category)?;
        (decision.granted && decision.version >= policy.introduced_in(category))
            .then(|| Permit::consent(category))
    }

    /// Every category's permit under `policy`, evaluated once.
    pub fn permits(&self, policy: &Policy) -> Permits {
        let mut permits = Permits::new(self.age, self.guardian_consent);
        for category in Category::ALL {
            if let Some(permit) = self.permit(category, policy) {
                permits.insert(permit);
            }
        }
        permits
    }

    fn push(&mut self, change: Change) {
        if self.history.len() == HISTORY_CAPACITY {
            self.history.pop_front();
        }
        self.history.push_back(change);
    }
}
