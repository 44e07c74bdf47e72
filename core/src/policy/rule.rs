use std::fmt;

use serde::Serialize;

use super::{Action, DataClass};
use crate::consent::{AgeBand, Category};

/// When a rule applies. Every part that is set must hold; an empty condition always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Condition {
    /// The category that must be permitted (see [`crate::consent::Consent::permit`]).
    pub granted: Option<Category>,
    /// The age bands the rule is for; `None` means all.
    pub age: Option<Vec<AgeBand>>,
}

/// One row of the policy table: for fields of `class`, when `when` holds, do `action`.
/// For each field the first matching rule for its class wins.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    pub class: DataClass,
    pub when: Condition,
    pub action: Action,
}

impl Rule {
    pub fn new(class: DataClass, action: Action) -> Rule {
        Rule {
            class,
            when: Condition::default(),
            action,
        }
    }

    pub fn when_granted(mut self, category: Category) -> Rule {
        self.when.granted = Some(category);
        self
    }

    pub fn for_ages(mut self, ages: &[AgeBand]) -> Rule {
        self.when.age = Some(ages.to_vec());
        self
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.granted, &self.age) {
            (None, None) => f.write_str("always"),
            (Some(c), None) => write!(f, "with `{c}`"),
            (granted, Some(ages)) => {
                if let Some(c) = granted {
                    write!(f, "with `{c}`, ")?;
                }
                let names: Vec<_> = ages.iter().map(|a| a.name()).collect();
                write!(f, "for {}", names.join("/"))
            }
        }
    }
}
