//! The built-in policy: the product's promises as a table. `docs/privacy-table.md` is generated
//! from it (`modicum policy table`) and a test keeps the two equal.

use super::{Action, DataClass as C, Generalization as G, Rule};
use crate::consent::{AgeBand, Category as K};
use crate::transform::{TimeUnit, DEFAULT_CELL_M};

pub(super) fn rules() -> Vec<Rule> {
    let hash = || Action::Hash { purpose: None };
    vec![
        Rule::new(C::DeviceBasic, Action::Keep).when_granted(K::Diagnostics),
        Rule::new(C::DeviceCapacity, Action::Generalize(G::Bucket)).when_granted(K::Diagnostics),
        Rule::new(C::DeviceScreen, Action::Keep).when_granted(K::Diagnostics),
        Rule::new(C::IdInstall, hash()).when_granted(K::Identifiers),
        Rule::new(C::IdVendor, hash()).when_granted(K::Identifiers),
        Rule::new(C::IdAdvertising, hash())
            .when_granted(K::Advertising)
            .for_ages(&[AgeBand::Adult]),
        Rule::new(C::IdHardware, Action::Drop),
        Rule::new(C::Contact, Action::Drop),
        Rule::new(C::NetworkIp, Action::Generalize(G::Ip)).when_granted(K::Diagnostics),
        Rule::new(C::NetworkBasic, Action::Keep),
        Rule::new(C::NetworkCarrier, Action::Keep).when_granted(K::Analytics),
        Rule::new(C::Location, Action::Keep)
            .when_granted(K::LocationPrecise)
            .for_ages(&[AgeBand::Adult]),
        Rule::new(
            C::Location,
            Action::Generalize(G::Grid {
                cell_m: DEFAULT_CELL_M,
            }),
        )
        .when_granted(K::Location),
        Rule::new(C::Sensor, Action::Keep).when_granted(K::SensorsRaw),
        Rule::new(C::Sensor, Action::Aggregate).when_granted(K::Sensors),
        Rule::new(C::Text, Action::Scrub),
        Rule::new(
            C::Time,
            Action::Generalize(G::Time {
                unit: TimeUnit::Minute,
            }),
        ),
        Rule::new(C::Custom, Action::Keep),
    ]
}
