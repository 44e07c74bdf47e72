use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// What kind of data a field holds. The policy decides per data class what leaves the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum DataClass {
    /// Brand, model, OS and version, app version, locale, time zone, CPU architecture.
    DeviceBasic,
    /// Storage and RAM sizes.
    DeviceCapacity,
    /// Screen resolution and density.
    DeviceScreen,
    /// An identifier the SDK or app assigns per install.
    IdInstall,
    /// A vendor-scoped identifier (IDFV, Android ID).
    IdVendor,
    /// An advertising identifier (IDFA, GAID).
    IdAdvertising,
    /// A hardware identifier (MAC, IMEI, serial). Never leaves the device.
    IdHardware,
    /// Email, phone number, name.
    Contact,
    /// An IP address.
    NetworkIp,
    /// Connection type and whether it is metered.
    NetworkBasic,
    /// The mobile carrier's name.
    NetworkCarrier,
    /// Latitude and longitude.
    Location,
    /// Sensor readings (accelerometer, gyroscope, …).
    Sensor,
    /// Free text: messages, log lines, URLs.
    Text,
    /// A timestamp the event carries.
    Time,
    /// An app-defined number or flag with no personal meaning.
    Custom,
}

impl DataClass {
    pub const ALL: [DataClass; 16] = [
        DataClass::DeviceBasic,
        DataClass::DeviceCapacity,
        DataClass::DeviceScreen,
        DataClass::IdInstall,
        DataClass::IdVendor,
        DataClass::IdAdvertising,
        DataClass::IdHardware,
        DataClass::Contact,
        DataClass::NetworkIp,
        DataClass::NetworkBasic,
        DataClass::NetworkCarrier,
        DataClass::Location,
        DataClass::Sensor,
        DataClass::Text,
        DataClass::Time,
        DataClass::Custom,
    ];

    /// The stable name used in policy documents, traces and across the FFI.
    pub fn name(self) -> &'static str {
        match self {
            DataClass::DeviceBasic => "device.basic",
            DataClass::DeviceCapacity => "device.capacity",
            DataClass::DeviceScreen => "device.screen",
            DataClass::IdInstall => "id.install",
            DataClass::IdVendor => "id.vendor",
            DataClass::IdAdvertising => "id.advertising",
            DataClass::IdHardware => "id.hardware",
            DataClass::Contact => "contact",
            DataClass::NetworkIp => "network.ip",
            DataClass::NetworkBasic => "network.basic",
            DataClass::NetworkCarrier => "network.carrier",
            DataClass::Location => "location",
            DataClass::Sensor => "sensor",
            DataClass::Text => "text",
            DataClass::Time => "time",
            DataClass::Custom => "custom",
        }
    }

    /// Examples, for the generated privacy table.
    pub fn examples(self) -> &'static str {
        match self {
            DataClass::DeviceBasic => {
                "brand, model, OS and version, app version, locale, time zone, CPU architecture"
            }
            DataClass::DeviceCapacity => "storage, RAM",
            DataClass::DeviceScreen => "resolution, density",
            DataClass::IdInstall => "install ID",
            DataClass::IdVendor => "IDFV, Android ID",
            DataClass::IdAdvertising => "IDFA, GAID",
            DataClass::IdHardware => "MAC, IMEI, serial",
            DataClass::Contact => "email, phone, name",
            DataClass::NetworkIp => "IP address",
            DataClass::NetworkBasic => "connection type, metered",
            DataClass::NetworkCarrier => "carrier name",
            DataClass::Location => "latitude/longitude",
            DataClass::Sensor => "accelerometer, gyroscope",
            DataClass::Text => {
                "messages, log lines, URLs; any text property without a declared class"
            }
            DataClass::Time => "timestamps an event carries",
            DataClass::Custom => "app-defined numbers and flags",
        }
    }

    /// Classes that identify a person or device on their own, or place them.
    pub fn is_identifying(self) -> bool {
        matches!(
            self,
            DataClass::IdInstall
                | DataClass::IdVendor
                | DataClass::IdAdvertising
                | DataClass::IdHardware
                | DataClass::Contact
                | DataClass::NetworkIp
                | DataClass::NetworkCarrier
                | DataClass::Location
        )
    }
}

impl fmt::Display for DataClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl From<DataClass> for &'static str {
    fn from(c: DataClass) -> &'static str {
        c.name()
    }
}

/// The name was not one of [`DataClass::ALL`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownDataClass(pub String);

impl FromStr for DataClass {
    type Err = UnknownDataClass;

    fn from_str(name: &str) -> Result<Self, UnknownDataClass> {
        DataClass::ALL
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| UnknownDataClass(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<_> = DataClass::ALL.iter().map(|c| c.name()).collect();
        for c in DataClass::ALL {
            assert_eq!(c.name().parse::<DataClass>(), Ok(c));
        }
        // Policy::decide indexes rules by `class as usize`.
        assert!(DataClass::ALL
            .iter()
            .enumerate()
            .all(|(i, &c)| c as usize == i));
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DataClass::ALL.len());
        assert_eq!(
            "id.imei".parse::<DataClass>(),
            Err(UnknownDataClass("id.imei".into()))
        );
    }
}
