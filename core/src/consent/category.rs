use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// A purpose data is processed for. Users grant or deny each one, except [`Category::Essential`],
/// which only the app can declare (see [`crate::Config::essential`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "&'static str", try_from = "String")]
pub enum Category {
    /// Processing the app declares exempt from consent (security diagnostics). Off unless the
    /// app opts in, and labelled as such wherever it appears.
    Essential,
    Diagnostics,
    Analytics,
    Identifiers,
    Location,
    LocationPrecise,
    Sensors,
    SensorsRaw,
    Advertising,
    CrossBorder,
}

impl Category {
    pub const ALL: [Category; 10] = [
        Category::Essential,
        Category::Diagnostics,
        Category::Analytics,
        Category::Identifiers,
        Category::Location,
        Category::LocationPrecise,
        Category::Sensors,
        Category::SensorsRaw,
        Category::Advertising,
        Category::CrossBorder,
    ];

    /// The categories a user can grant or deny: all but `essential`, which [`Category::ALL`]
    /// lists first.
    pub const USER: &'static [Category] = Category::ALL.as_slice().split_at(1).1;

    /// The stable name used in policies, exports and across the FFI.
    pub fn name(self) -> &'static str {
        match self {
            Category::Essential => "essential",
            Category::Diagnostics => "diagnostics",
            Category::Analytics => "analytics",
            Category::Identifiers => "identifiers",
            Category::Location => "location",
            Category::LocationPrecise => "location_precise",
            Category::Sensors => "sensors",
            Category::SensorsRaw => "sensors_raw",
            Category::Advertising => "advertising",
            Category::CrossBorder => "cross_border",
        }
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Category {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        Category::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| Error::UnknownCategory {
                name: name.to_owned(),
            })
    }
}

impl From<Category> for &'static str {
    fn from(c: Category) -> &'static str {
        c.name()
    }
}

impl TryFrom<String> for Category {
    type Error = Error;

    fn try_from(name: String) -> Result<Self, Error> {
        name.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.name().parse::<Category>().unwrap(), c);
            assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{c}\""));
        }
    }

    #[test]
    fn unknown_names_are_typed_errors() {
        assert_eq!(
            "Analytics".parse::<Category>(),
            Err(Error::UnknownCategory {
                name: "Analytics".into()
            })
        );
        assert!("".parse::<Category>().is_err());
        assert!(serde_json::from_str::<Category>("\"telepathy\"").is_err());
    }

    #[test]
    fn users_decide_every_category_but_essential() {
        assert!(!Category::USER.contains(&Category::Essential));
        assert_eq!(Category::USER.len() + 1, Category::ALL.len());
        assert_eq!(Category::ALL[0], Category::Essential);
    }
}
