//! The names a batch carries for why each event was collected: its consent [`Category`] and
//! its legal [`Basis`]. Devices and collectors read the same names.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The event name of a device's daily release health report (its counts per app version and
/// day). Names starting `modicum.` are the SDK's own; a device never lets an app use one.
pub const HEALTH_EVENT: &str = "modicum.daily_health";

/// A purpose data is processed for. Users grant or deny each one, except [`Category::Essential`],
/// which only the app can declare. Every event on the wire names the category it was recorded
/// under, by [`Category::name`].
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

/// A name that is not one of [`Category::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown consent category `{name}`")]
pub struct UnknownCategory {
    pub name: String,
}

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(name: &str) -> Result<Self, UnknownCategory> {
        Category::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| UnknownCategory {
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
    type Error = UnknownCategory;

    fn try_from(name: String) -> Result<Self, UnknownCategory> {
        name.parse()
    }
}

/// Why processing is allowed: the user's consent, or the app's declaration of essential
/// processing. Reports show the basis so essential processing is never mistaken for consent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    Consent,
    Essential,
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
            Err(UnknownCategory {
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
