//! What a policy lets leave the device, in the words the app stores ask apps to declare it
//! in: Apple's privacy manifest (`PrivacyInfo.xcprivacy`) and Google Play's Data safety form.
//! Derived from the rules and floors the device runs, the same as `docs/privacy-table.md`, so
//! the declarations cannot drift from what is sent.

use std::collections::{BTreeMap, BTreeSet};

use super::{floor, table::could_match, Action, DataClass, Policy};
use crate::consent::{AgeBand, Category};

/// What reaches the collector, other than a data class's fields: the collectors' own events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Source {
    /// A field of this class, when its rule lets it leave (pseudonymized, generalized, …).
    Class(DataClass),
    /// Location when only its generalized form may leave.
    CoarseLocation,
    /// Crash reports (fatal signals, panics, uncaught exceptions), under `diagnostics`.
    CrashReports,
    /// HTTP timings and hangs, under `diagnostics`.
    Performance,
    /// Release health: session counts per app version and day, under `diagnostics`.
    ReleaseHealth,
    /// The app's own events (screens, taps), under `analytics`.
    AppEvents,
}

/// Where one source goes on each store's form. The one reviewed mapping:
/// - Apple: the `NSPrivacyCollectedDataType` values of "Describing data use in privacy
///   manifests" (developer.apple.com/documentation/bundleresources/describing-data-use-in-privacy-manifests).
/// - Google: the data types of "Provide information for Google Play's Data safety section"
///   (support.google.com/googleplay/android-developer/answer/10787469), by the question and
///   response ids of the form's CSV export.
pub const STORE_TYPES: [(Source, &str, &str, &str); 15] = [
    // Model, OS, memory, storage, screen, network kind, carrier: diagnostics about the app's
    // environment. Apple: "other diagnostic data"; Google: "diagnostics".
    (
        Source::Class(DataClass::DeviceBasic),
        "NSPrivacyCollectedDataTypeOtherDiagnosticData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_PERFORMANCE_DIAGNOSTICS",
    ),
    (
        Source::Class(DataClass::DeviceCapacity),
        "NSPrivacyCollectedDataTypeOtherDiagnosticData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_PERFORMANCE_DIAGNOSTICS",
    ),
    (
        Source::Class(DataClass::DeviceScreen),
        "NSPrivacyCollectedDataTypeOtherDiagnosticData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_PERFORMANCE_DIAGNOSTICS",
    ),
    (
        Source::Class(DataClass::NetworkBasic),
        "NSPrivacyCollectedDataTypeOtherDiagnosticData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_PERFORMANCE_DIAGNOSTICS",
    ),
    (
        Source::Class(DataClass::NetworkCarrier),
        "NSPrivacyCollectedDataTypeOtherDiagnosticData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_PERFORMANCE_DIAGNOSTICS",
    ),
    // A keyed hash of an install, vendor or advertising id is still a device-level id to
    // both stores.
    (
        Source::Class(DataClass::IdInstall),
        "NSPrivacyCollectedDataTypeDeviceID",
        "PSL_DATA_TYPES_IDENTIFIERS",
        "PSL_DEVICE_ID",
    ),
    (
        Source::Class(DataClass::IdVendor),
        "NSPrivacyCollectedDataTypeDeviceID",
        "PSL_DATA_TYPES_IDENTIFIERS",
        "PSL_DEVICE_ID",
    ),
    (
        Source::Class(DataClass::IdAdvertising),
        "NSPrivacyCollectedDataTypeDeviceID",
        "PSL_DATA_TYPES_IDENTIFIERS",
        "PSL_DEVICE_ID",
    ),
    // An IP address truncated to /24 or /48 locates a user only coarsely, which both stores
    // count as approximate location.
    (
        Source::Class(DataClass::NetworkIp),
        "NSPrivacyCollectedDataTypeCoarseLocation",
        "PSL_DATA_TYPES_LOCATION",
        "PSL_APPROX_LOCATION",
    ),
    // Location kept as recorded is precise; coarsened to a grid, approximate.
    (
        Source::Class(DataClass::Location),
        "NSPrivacyCollectedDataTypePreciseLocation",
        "PSL_DATA_TYPES_LOCATION",
        "PSL_PRECISE_LOCATION",
    ),
    (
        Source::CoarseLocation,
        "NSPrivacyCollectedDataTypeCoarseLocation",
        "PSL_DATA_TYPES_LOCATION",
        "PSL_APPROX_LOCATION",
    ),
    // Motion readings, raw or as window aggregates: no closer type on either form than "other".
    (
        Source::Class(DataClass::Sensor),
        "NSPrivacyCollectedDataTypeOtherDataTypes",
        "PSL_DATA_TYPES_APP_ACTIVITY",
        "PSL_OTHER_APP_ACTIVITY",
    ),
    (
        Source::CrashReports,
        "NSPrivacyCollectedDataTypeCrashData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_CRASH_LOGS",
    ),
    // Sessions that crashed or ended abnormally, counted: crash data to both stores.
    (
        Source::ReleaseHealth,
        "NSPrivacyCollectedDataTypeCrashData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_CRASH_LOGS",
    ),
    (
        Source::Performance,
        "NSPrivacyCollectedDataTypePerformanceData",
        "PSL_DATA_TYPES_APP_PERFORMANCE",
        "PSL_PERFORMANCE_DIAGNOSTICS",
    ),
];

/// Screens, taps and other app events: "product interaction" to Apple, "app interactions" to
/// Google. Kept apart from `STORE_TYPES` only because every policy sends them with
/// `analytics`.
pub const APP_EVENTS: (&str, &str, &str) = (
    "NSPrivacyCollectedDataTypeProductInteraction",
    "PSL_DATA_TYPES_APP_ACTIVITY",
    "PSL_USER_INTERACTION",
);

/// One thing that may leave the device under a policy: what it is, the consent categories it
/// leaves under (`None`: no consent needed beyond its event's), and how it leaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosed {
    pub source: Source,
    pub categories: BTreeSet<Option<Category>>,
    /// The actions that let it leave: `keep`, `hash`, `generalize`, `aggregate`, `scrub`.
    pub forms: BTreeSet<&'static str>,
}

/// Everything a policy lets leave, and whether a pseudonym can travel with it (then the
/// stores call the data "linked" to the user).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Disclosure {
    pub disclosed: Vec<Disclosed>,
    pub pseudonym_travels: bool,
    pub essential: bool,
}

impl Policy {
    /// What this policy lets leave the device, for the store declarations.
    pub fn disclosure(&self) -> Disclosure {
        let mut by_source: BTreeMap<Source, Disclosed> = BTreeMap::new();
        let mut note = |source, category, form| {
            let entry = by_source.entry(source).or_insert_with(|| Disclosed {
                source,
                categories: BTreeSet::new(),
                forms: BTreeSet::new(),
            });
            entry.categories.insert(category);
            entry.forms.insert(form);
        };
        for rule in self.rules() {
            for (age, guardian) in AUDIENCES {
                if !could_match(rule, age, guardian) {
                    continue;
                }
                let action = floor::apply(rule.class, &rule.action, age, guardian)
                    .map_or(rule.action.clone(), |(a, _)| a);
                let source = match (rule.class, &action) {
                    (_, Action::Drop) => continue,
                    // Timestamps and app-defined values are part of every event, not a type
                    // of their own; free text leaves only scrubbed of what the scrubber finds.
                    (DataClass::Time | DataClass::Custom | DataClass::Text, _) => continue,
                    (DataClass::Location, Action::Generalize(_)) => Source::CoarseLocation,
                    (class, _) => Source::Class(class),
                };
                note(source, rule.when.granted, action.name());
            }
        }
        // The collectors: crash reports, performance and release health under `diagnostics` (or as essential
        // processing), app events under `analytics`.
        let diagnostics = Some(Category::Diagnostics);
        note(Source::CrashReports, diagnostics, "keep");
        note(Source::Performance, diagnostics, "keep");
        note(Source::ReleaseHealth, diagnostics, "aggregate");
        note(Source::AppEvents, Some(Category::Analytics), "keep");
        let essential = self.essential_purpose().is_some();
        if essential {
            note(Source::CrashReports, Some(Category::Essential), "keep");
        }
        let pseudonym_travels = by_source.contains_key(&Source::Class(DataClass::IdInstall));
        Disclosure {
            disclosed: by_source.into_values().collect(),
            pseudonym_travels,
            essential,
        }
    }
}

/// Every audience the floors distinguish.
const AUDIENCES: [(AgeBand, bool); 4] = [
    (AgeBand::Adult, false),
    (AgeBand::Minor, false),
    (AgeBand::Child, true),
    (AgeBand::Child, false),
];

impl Disclosure {
    /// The stores' names for `source`: Apple's data type, Google's question and response;
    /// `None` for a source the reviewed table has no row for (a policy that lets contact data
    /// leave hashed, say), which a declaration must then refuse rather than guess.
    pub fn store_names(source: Source) -> Option<(&'static str, &'static str, &'static str)> {
        if source == Source::AppEvents {
            return Some(APP_EVENTS);
        }
        STORE_TYPES
            .iter()
            .find(|(s, ..)| *s == source)
            .map(|&(_, apple, group, google)| (apple, group, google))
    }

    /// Whether a user can refuse `disclosed`: everything consent gates is optional; what
    /// leaves as essential processing is required.
    pub fn optional(disclosed: &Disclosed) -> bool {
        !disclosed.categories.contains(&Some(Category::Essential))
    }
}
