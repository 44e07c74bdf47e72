use modicum_core::{DataClass as CoreClass, Value};

/// A typed property value. Kotlin and Swift facades convert their native types to this.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum PropertyValue {
    Bool {
        value: bool,
    },
    Int {
        value: i64,
    },
    Double {
        value: f64,
    },
    Text {
        value: String,
    },
    /// Degrees, WGS 84.
    Location {
        latitude: f64,
        longitude: f64,
    },
}

impl From<PropertyValue> for Value {
    fn from(v: PropertyValue) -> Value {
        match v {
            PropertyValue::Bool { value } => Value::Bool(value),
            PropertyValue::Int { value } => Value::Int(value),
            PropertyValue::Double { value } => Value::Double(value),
            PropertyValue::Text { value } => Value::Text(value),
            PropertyValue::Location {
                latitude,
                longitude,
            } => Value::Location {
                lat: latitude,
                lon: longitude,
            },
        }
    }
}

/// The data class a property declares; see `docs/privacy-table.md` for what each means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum DataClass {
    DeviceBasic,
    DeviceCapacity,
    DeviceScreen,
    IdInstall,
    IdVendor,
    IdAdvertising,
    IdHardware,
    Contact,
    NetworkIp,
    NetworkBasic,
    NetworkCarrier,
    Location,
    Sensor,
    Text,
    Time,
    Custom,
}

impl From<DataClass> for CoreClass {
    fn from(c: DataClass) -> CoreClass {
        match c {
            DataClass::DeviceBasic => CoreClass::DeviceBasic,
            DataClass::DeviceCapacity => CoreClass::DeviceCapacity,
            DataClass::DeviceScreen => CoreClass::DeviceScreen,
            DataClass::IdInstall => CoreClass::IdInstall,
            DataClass::IdVendor => CoreClass::IdVendor,
            DataClass::IdAdvertising => CoreClass::IdAdvertising,
            DataClass::IdHardware => CoreClass::IdHardware,
            DataClass::Contact => CoreClass::Contact,
            DataClass::NetworkIp => CoreClass::NetworkIp,
            DataClass::NetworkBasic => CoreClass::NetworkBasic,
            DataClass::NetworkCarrier => CoreClass::NetworkCarrier,
            DataClass::Location => CoreClass::Location,
            DataClass::Sensor => CoreClass::Sensor,
            DataClass::Text => CoreClass::Text,
            DataClass::Time => CoreClass::Time,
            DataClass::Custom => CoreClass::Custom,
        }
    }
}

/// The user's age band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum AgeBand {
    /// 18 and over, or not stated.
    Adult,
    /// 14 to 17.
    Minor,
    /// Under 14.
    Child,
}

impl From<AgeBand> for modicum_core::AgeBand {
    fn from(a: AgeBand) -> Self {
        match a {
            AgeBand::Adult => modicum_core::AgeBand::Adult,
            AgeBand::Minor => modicum_core::AgeBand::Minor,
            AgeBand::Child => modicum_core::AgeBand::Child,
        }
    }
}

/// Why a facade dropped events before they reached the core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum DropReason {
    /// The category was not permitted when the app recorded.
    Consent,
    /// The facade's buffer was full.
    BufferFull,
    /// A property the facade could not convert.
    Invalid,
}

impl From<DropReason> for modicum_core::DropReason {
    fn from(r: DropReason) -> Self {
        match r {
            DropReason::Consent => modicum_core::DropReason::Consent,
            DropReason::BufferFull => modicum_core::DropReason::BufferFull,
            DropReason::Invalid => modicum_core::DropReason::Invalid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_core_class_has_a_foreign_twin() {
        let foreign = [
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
        let mapped: Vec<CoreClass> = foreign.into_iter().map(Into::into).collect();
        assert_eq!(mapped, CoreClass::ALL);
    }
}
