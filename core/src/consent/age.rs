use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Error;

/// The user's age band, as the app knows it. Minors and children get protections no policy or
/// consent can lift (see [`crate::consent::Consent::permit`]).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum AgeBand {
    /// 18 and over, or not stated by the app.
    #[default]
    Adult,
    /// 14 to 17.
    Minor,
    /// Under 14: only with a guardian's consent is anything beyond essential processing allowed.
    Child,
}

impl AgeBand {
    pub const ALL: [AgeBand; 3] = [AgeBand::Adult, AgeBand::Minor, AgeBand::Child];

    pub fn name(self) -> &'static str {
        match self {
            AgeBand::Adult => "adult",
            AgeBand::Minor => "minor",
            AgeBand::Child => "child",
        }
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for AgeBand {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self, Error> {
        AgeBand::ALL
            .into_iter()
            .find(|a| a.name() == name)
            .ok_or_else(|| Error::UnknownAgeBand {
                name: name.to_owned(),
            })
    }
}
