use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use crate::Error;

/// A purpose the user can grant or deny. Nothing is granted until the user says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
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
    pub const ALL: [Category; 9] = [
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

    /// The stable name used in configs, exports and across the FFI.
    pub fn name(self) -> &'static str {
        match self {
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
            .ok_or_else(|| Error::UnknownCategory { name: name.to_owned() })
    }
}

/// One decision the user made, and when (milliseconds since the Unix epoch).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub granted: bool,
    pub at_ms: u64,
}

/// Proof that a category was granted when it was checked. Only [`Consent::permit`] makes one,
/// so code that needs consent takes a `Permit` instead of trusting a bool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    category: Category,
}

impl Permit {
    pub fn category(self) -> Category {
        self.category
    }
}

/// The user's current consent: one [`Decision`] per category they have answered.
/// A category never answered is denied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consent {
    decisions: BTreeMap<Category, Decision>,
}

impl Consent {
    pub fn set(&mut self, category: Category, granted: bool, at_ms: u64) {
        self.decisions.insert(category, Decision { granted, at_ms });
    }

    pub fn decision(&self, category: Category) -> Option<Decision> {
        self.decisions.get(&category).copied()
    }

    /// A permit for `category` if, and only if, the user granted it.
    pub fn permit(&self, category: Category) -> Option<Permit> {
        match self.decisions.get(&category) {
            Some(Decision { granted: true, .. }) => Some(Permit { category }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.name().parse::<Category>().unwrap(), c);
        }
    }

    #[test]
    fn unknown_names_are_typed_errors() {
        assert_eq!(
            "Analytics".parse::<Category>(),
            Err(Error::UnknownCategory { name: "Analytics".into() })
        );
        assert!("".parse::<Category>().is_err());
    }

    #[test]
    fn default_is_deny_and_the_last_decision_wins() {
        let mut consent = Consent::default();
        assert!(Category::ALL.iter().all(|&c| consent.permit(c).is_none()));
        consent.set(Category::Analytics, true, 1);
        assert_eq!(consent.permit(Category::Analytics).map(Permit::category), Some(Category::Analytics));
        assert!(consent.permit(Category::Diagnostics).is_none());
        consent.set(Category::Analytics, false, 2);
        assert!(consent.permit(Category::Analytics).is_none());
        assert_eq!(consent.decision(Category::Analytics), Some(Decision { granted: false, at_ms: 2 }));
    }
}
