//! The policy as apps write it (JSON or TOML, same shape), and its validation.
//!
//! ```toml
//! version = 2                              # the version of the app's terms
//! essential = { purpose = "fraud and abuse detection" }   # optional
//! [introduced_in]                          # optional: categories added after version 0
//! sensors_raw = 2
//! [[rules]]                                # first matching rule per data class wins
//! class = "location"
//! when = { granted = "location_precise", age = ["adult"] }
//! action = "keep"
//! [[rules]]
//! class = "location"
//! when = { granted = "location" }
//! action = "generalize"
//! method = "grid"
//! cell_m = 1000
//! [scrub]                                  # optional: the scrubber's families that run
//! families = ["email", "cn_mobile", "cn_resident_id", "card"]   # all of them when absent
//! ```
//! A field whose class no rule matches is dropped.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    Action, Condition, DataClass, Generalization, Policy, PolicyError, PolicyErrors, Rule,
};
use crate::consent::{AgeBand, Category};
use crate::transform::TimeUnit;
use modicum_scrub::{Families, PiiKind};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Document {
    #[serde(default)]
    version: u32,
    #[serde(default)]
    essential: Option<EssentialDoc>,
    #[serde(default)]
    introduced_in: BTreeMap<String, u32>,
    #[serde(default)]
    rules: Vec<RuleDoc>,
    #[serde(default)]
    scrub: Option<ScrubDoc>,
}

/// Which of the scrubber's families run on free text; all of them when absent.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScrubDoc {
    families: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EssentialDoc {
    purpose: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleDoc {
    class: String,
    #[serde(default)]
    when: Option<WhenDoc>,
    action: String,
    method: Option<String>,
    cell_m: Option<f64>,
    unit: Option<String>,
    purpose: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct WhenDoc {
    granted: Option<String>,
    age: Option<Vec<String>>,
}

impl Document {
    pub(super) fn from_json(text: &str) -> Result<Document, PolicyErrors> {
        serde_json::from_str(text).map_err(|e| {
            PolicyErrors(vec![PolicyError::Parse {
                format: "JSON",
                message: e.to_string(),
            }])
        })
    }

    #[cfg(feature = "toml")]
    pub(super) fn from_toml(text: &str) -> Result<Document, PolicyErrors> {
        toml::from_str(text).map_err(|e| {
            PolicyErrors(vec![PolicyError::Parse {
                format: "TOML",
                message: e.to_string(),
            }])
        })
    }

    /// The same document as pretty JSON, once it is known to be a valid policy; converting
    /// the tree rather than the typed document keeps what the author wrote.
    #[cfg(feature = "toml")]
    pub(super) fn toml_to_json(text: &str) -> Result<String, PolicyErrors> {
        Document::from_toml(text)?.into_policy()?;
        let tree: toml::Table = toml::from_str(text).map_err(|e| {
            PolicyErrors(vec![PolicyError::Parse {
                format: "TOML",
                message: e.to_string(),
            }])
        })?;
        Ok(serde_json::to_string_pretty(&tree).expect("a TOML table is valid JSON"))
    }

    /// Checks every entry and reports every problem, not just the first.
    pub(super) fn into_policy(self) -> Result<Policy, PolicyErrors> {
        let mut errors = Vec::new();
        let essential = match self.essential {
            Some(e) if e.purpose.trim().is_empty() => {
                errors.push(PolicyError::EssentialWithoutPurpose);
                None
            }
            Some(e) => Some(e.purpose),
            None => None,
        };
        let mut introduced_in = BTreeMap::new();
        for (name, introduced) in self.introduced_in {
            match name.parse::<Category>() {
                Ok(category) if introduced > self.version => {
                    errors.push(PolicyError::IntroducedAfterVersion {
                        category: category.name().into(),
                        introduced_in: introduced,
                        version: self.version,
                    })
                }
                Ok(category) => {
                    introduced_in.insert(category, introduced);
                }
                Err(_) => errors.push(PolicyError::UnknownCategory {
                    entry: "introduced_in".into(),
                    name,
                }),
            }
        }
        let families = match self.scrub {
            None => Families::ALL,
            Some(scrub) if scrub.families.is_empty() => {
                errors.push(PolicyError::NoScrubFamilies);
                Families::ALL
            }
            Some(scrub) => scrub
                .families
                .into_iter()
                .filter_map(|name| match name.parse::<PiiKind>() {
                    Ok(kind) => Some(kind),
                    Err(_) => {
                        let known: Vec<&str> = PiiKind::ALL.iter().map(|k| k.name()).collect();
                        errors.push(PolicyError::UnknownScrubFamily {
                            name,
                            known: known.join(", "),
                        });
                        None
                    }
                })
                .collect(),
        };
        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, doc) in self.rules.into_iter().enumerate() {
            match doc.into_rule(i + 1) {
                Ok(rule) => rules.push(rule),
                Err(e) => errors.extend(e),
            }
        }
        if errors.is_empty() {
            Ok(
                Policy::from_parts(self.version, introduced_in, essential, rules)
                    .with_families(families),
            )
        } else {
            Err(PolicyErrors(errors))
        }
    }
}

impl RuleDoc {
    fn into_rule(self, rule: usize) -> Result<Rule, Vec<PolicyError>> {
        let class: DataClass = self.class.parse().map_err(|_| {
            vec![PolicyError::UnknownDataClass {
                rule,
                name: self.class.clone(),
            }]
        })?;
        let class_name = class.name().to_owned();
        let mut errors = Vec::new();
        let action = self.action(rule, class, &mut errors);
        let when = match self.when {
            Some(w) => w.into_condition(rule, &class_name, &mut errors),
            None => Condition::default(),
        };
        if let Some(action) = &action {
            if let Err(e) = check_safe(rule, class, action) {
                errors.push(e);
            }
        }
        match action {
            Some(action) if errors.is_empty() => Ok(Rule {
                class,
                when,
                action,
            }),
            _ => Err(errors),
        }
    }

    fn action(
        &self,
        rule: usize,
        class: DataClass,
        errors: &mut Vec<PolicyError>,
    ) -> Option<Action> {
        let class_name = class.name().to_owned();
        let missing = |action: &str, parameter| PolicyError::MissingParameter {
            rule,
            class: class_name.clone(),
            action: action.into(),
            parameter,
        };
        let action = match self.action.as_str() {
            "keep" => Action::Keep,
            "drop" => Action::Drop,
            "aggregate" => Action::Aggregate,
            "scrub" => Action::Scrub,
            "hash" => {
                if class == DataClass::Contact
                    && self.purpose.as_deref().is_none_or(|p| p.trim().is_empty())
                {
                    errors.push(missing("hash", "purpose"));
                    return None;
                }
                Action::Hash {
                    purpose: self.purpose.clone(),
                }
            }
            "generalize" => {
                let Some(method) = self.method.as_deref() else {
                    errors.push(missing("generalize", "method"));
                    return None;
                };
                match self.generalization(rule, class, method) {
                    Ok(g) => Action::Generalize(g),
                    Err(e) => {
                        errors.push(e);
                        return None;
                    }
                }
            }
            other => {
                errors.push(PolicyError::UnknownAction {
                    rule,
                    class: class_name,
                    name: other.to_owned(),
                });
                return None;
            }
        };
        Some(action)
    }

    fn generalization(
        &self,
        rule: usize,
        class: DataClass,
        method: &str,
    ) -> Result<Generalization, PolicyError> {
        let class_name = class.name().to_owned();
        let invalid = |parameter, reason: String| PolicyError::InvalidParameter {
            rule,
            class: class_name.clone(),
            parameter,
            reason,
        };
        let missing = |parameter| PolicyError::MissingParameter {
            rule,
            class: class_name.clone(),
            action: format!("generalize/{method}"),
            parameter,
        };
        match method {
            "ip" => Ok(Generalization::Ip),
            "bucket" => Ok(Generalization::Bucket),
            "grid" => match self.cell_m {
                None => Err(missing("cell_m")),
                Some(m) if !(m.is_finite() && m > 0.0) => Err(invalid(
                    "cell_m",
                    format!("must be a positive number of metres, not {m}"),
                )),
                Some(cell_m) => Ok(Generalization::Grid { cell_m }),
            },
            "time" => {
                let unit = self.unit.as_deref().ok_or_else(|| missing("unit"))?;
                let unit = unit.parse::<TimeUnit>().map_err(|_| {
                    invalid(
                        "unit",
                        format!("must be second, minute, hour or day, not `{unit}`"),
                    )
                })?;
                Ok(Generalization::Time { unit })
            }
            other => Err(invalid(
                "method",
                format!("must be ip, grid, bucket or time, not `{other}`"),
            )),
        }
    }
}

impl WhenDoc {
    fn into_condition(self, rule: usize, class: &str, errors: &mut Vec<PolicyError>) -> Condition {
        let granted = self
            .granted
            .and_then(|name| match name.parse::<Category>() {
                Ok(c) => Some(c),
                Err(_) => {
                    errors.push(PolicyError::UnknownCategory {
                        entry: format!("rule {rule} (`{class}`)"),
                        name,
                    });
                    None
                }
            });
        let age = self.age.map(|ages| {
            ages.into_iter()
                .filter_map(|name| match name.parse::<AgeBand>() {
                    Ok(a) => Some(a),
                    Err(_) => {
                        errors.push(PolicyError::UnknownAgeBand {
                            rule,
                            class: class.to_owned(),
                            name,
                        });
                        None
                    }
                })
                .collect()
        });
        Condition { granted, age }
    }
}

/// Refuses rules that would let through what must never leave the device raw, and actions
/// that make no sense for the class. Also applied to built-in policies by the tests.
pub(super) fn check_safe(
    rule: usize,
    class: DataClass,
    action: &Action,
) -> Result<(), PolicyError> {
    let name = action.name().to_owned();
    let class_name = class.name().to_owned();
    match (class, action) {
        (_, Action::Drop) => Ok(()),
        (DataClass::IdHardware, _) => {
            Err(PolicyError::LetsHardwareIdThrough { rule, action: name })
        }
        (DataClass::Contact, Action::Hash { purpose: Some(p) }) if !p.trim().is_empty() => Ok(()),
        (DataClass::Contact, _) => Err(PolicyError::LetsRawContactThrough { rule, action: name }),
        (_, Action::Hash { .. }) => Ok(()),
        (
            DataClass::IdInstall
            | DataClass::IdVendor
            | DataClass::IdAdvertising
            | DataClass::NetworkIp,
            Action::Keep,
        ) => Err(PolicyError::LetsRawIdentifierThrough {
            rule,
            class: class_name,
            action: name,
        }),
        (DataClass::Text, Action::Scrub) => Ok(()),
        (DataClass::Text, _) => Err(PolicyError::LetsRawTextThrough { rule, action: name }),
        (_, Action::Keep) => Ok(()),
        (DataClass::Sensor, Action::Aggregate)
        | (DataClass::NetworkIp, Action::Generalize(Generalization::Ip))
        | (DataClass::Location, Action::Generalize(Generalization::Grid { .. }))
        | (
            DataClass::DeviceCapacity | DataClass::Custom,
            Action::Generalize(Generalization::Bucket),
        )
        | (DataClass::Time, Action::Generalize(Generalization::Time { .. })) => Ok(()),
        _ => Err(PolicyError::NotApplicable {
            rule,
            class: class_name,
            action: describe(action),
        }),
    }
}

fn describe(action: &Action) -> String {
    match action {
        Action::Generalize(g) => {
            let method = match g {
                Generalization::Ip => "ip",
                Generalization::Grid { .. } => "grid",
                Generalization::Bucket => "bucket",
                Generalization::Time { .. } => "time",
            };
            format!("generalize/{method}")
        }
        other => other.name().to_owned(),
    }
}
