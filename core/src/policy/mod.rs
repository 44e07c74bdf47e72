//! The policy: a declarative table from (data class, consent, age band) to an action.
//!
//! For each field, the first rule for its data class whose condition holds decides what
//! happens; a field no rule matches is dropped. [`floor`] then applies the protections for
//! minors and children that no policy can lift. Apps may replace the built-in table
//! ([`Policy::default`]) with their own document ([`Policy::from_json`], [`Policy::from_toml`]),
//! which is validated entry by entry.

mod action;
mod data_class;
mod default;
pub mod disclosure;
mod document;
mod error;
pub mod floor;
mod rule;
mod stores;
mod table;

use std::collections::BTreeMap;

pub use action::{Action, Generalization};
pub use data_class::{DataClass, UnknownDataClass};
pub use error::{PolicyError, PolicyErrors};
pub use rule::{Condition, Rule};
pub use stores::Unmapped;

use crate::consent::{Category, Permits};
use document::Document;
use modicum_scrub::Families;

/// A validated policy. Construct it with [`Policy::default`] or from a document.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    version: u32,
    introduced_in: BTreeMap<Category, u32>,
    essential: Option<String>,
    rules: Vec<Rule>,
    /// The scrubber's families that run on free text (all of them unless the document says).
    families: Families,
    /// For each data class (by its position in [`DataClass::ALL`]), its rules' positions in
    /// `rules`, in order: deciding a field reads only its own class's rules.
    by_class: Vec<Vec<usize>>,
}

/// The rule that decided a field, and its action. `rule` is the rule's 1-based position in
/// the table, or `None` when no rule matched and the field is dropped by default.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decided<'p> {
    pub rule: Option<usize>,
    pub action: &'p Action,
    /// The category the rule required, whose withdrawal takes the field back.
    pub granted: Option<Category>,
}

static DEFAULT_DROP: Action = Action::Drop;

impl Default for Policy {
    fn default() -> Policy {
        Policy::from_parts(0, BTreeMap::new(), None, default::rules())
    }
}

impl Policy {
    pub(crate) fn from_parts(
        version: u32,
        introduced_in: BTreeMap<Category, u32>,
        essential: Option<String>,
        rules: Vec<Rule>,
    ) -> Policy {
        let mut by_class = vec![Vec::new(); DataClass::ALL.len()];
        for (i, rule) in rules.iter().enumerate() {
            by_class[rule.class as usize].push(i);
        }
        Policy {
            version,
            introduced_in,
            essential,
            rules,
            families: Families::ALL,
            by_class,
        }
    }

    /// The same policy running only the scrubber's `families` on free text.
    pub fn with_families(mut self, families: Families) -> Policy {
        self.families = families;
        self
    }

    /// The scrubber's families that run on free text and on numbers.
    pub fn families(&self) -> Families {
        self.families
    }

    pub fn from_json(text: &str) -> Result<Policy, PolicyErrors> {
        Document::from_json(text)?.into_policy()
    }

    /// A policy document as a device reads it, on every platform: JSON only (the mobile
    /// library has no TOML parser), and a TOML document gets an error that says how to convert
    /// it rather than a JSON syntax error.
    pub fn from_device_document(text: &str) -> Result<Policy, crate::Error> {
        if !text.trim_start().starts_with('{') {
            return Err(crate::Error::InvalidPolicy {
                errors: "a policy document on a device is JSON; \
                         `modicum policy json FILE.toml` converts a TOML one"
                    .into(),
            });
        }
        Policy::from_json(text).map_err(|errors| crate::Error::InvalidPolicy {
            errors: errors.to_string(),
        })
    }

    #[cfg(feature = "toml")]
    pub fn from_toml(text: &str) -> Result<Policy, PolicyErrors> {
        Document::from_toml(text)?.into_policy()
    }

    /// The JSON form of a valid TOML policy document, for devices, which read JSON only.
    /// The document is checked first, so what comes out is a policy a device accepts.
    #[cfg(feature = "toml")]
    pub fn toml_to_json(text: &str) -> Result<String, PolicyErrors> {
        Document::toml_to_json(text)
    }

    /// Reads a policy document, as TOML if the file name ends in `.toml`, else as JSON.
    #[cfg(feature = "toml")]
    pub fn from_path(path: &std::path::Path) -> Result<Policy, PolicyErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            PolicyErrors(vec![PolicyError::Parse {
                format: "file",
                message: format!("{}: {e}", path.display()),
            }])
        })?;
        if path.extension().is_some_and(|e| e == "toml") {
            Policy::from_toml(&text)
        } else {
            Policy::from_json(&text)
        }
    }

    /// The same policy declaring essential processing for `purpose`.
    pub fn with_essential(mut self, purpose: impl Into<String>) -> Policy {
        self.essential = Some(purpose.into());
        self
    }

    /// The version of the app's terms this policy belongs to.
    pub fn version(&self) -> u32 {
        self.version
    }

    /// The version of the terms that introduced `category` (0 unless the document says).
    pub fn introduced_in(&self, category: Category) -> u32 {
        self.introduced_in.get(&category).copied().unwrap_or(0)
    }

    /// What essential processing is declared for, if the app declared any.
    pub fn essential_purpose(&self) -> Option<&str> {
        self.essential.as_deref()
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The first rule for `class` whose condition holds under `permits`.
    pub fn decide(&self, class: DataClass, permits: &Permits) -> Decided<'_> {
        self.by_class[class as usize]
            .iter()
            .map(|&i| (i, &self.rules[i]))
            .find(|(_, rule)| holds(&rule.when, permits))
            .map_or(
                Decided {
                    rule: None,
                    action: &DEFAULT_DROP,
                    granted: None,
                },
                |(i, rule)| Decided {
                    rule: Some(i + 1),
                    action: &rule.action,
                    granted: rule.when.granted,
                },
            )
    }
}

fn holds(when: &Condition, permits: &Permits) -> bool {
    when.granted.is_none_or(|c| permits.permit(c).is_some())
        && when
            .age
            .as_ref()
            .is_none_or(|ages| ages.contains(&permits.age()))
}

// Most cases are written in TOML, the form authors use.
#[cfg(all(test, feature = "toml"))]
mod tests;
