use modicum_core::Value;

/// A typed property value. Kotlin and Swift facades convert their native types to this.
#[derive(Debug, Clone, PartialEq, uniffi::Enum)]
pub enum PropertyValue {
    Bool { value: bool },
    Int { value: i64 },
    Double { value: f64 },
    Text { value: String },
}

impl From<PropertyValue> for Value {
    fn from(v: PropertyValue) -> Value {
        match v {
            PropertyValue::Bool { value } => Value::Bool(value),
            PropertyValue::Int { value } => Value::Int(value),
            PropertyValue::Double { value } => Value::Double(value),
            PropertyValue::Text { value } => Value::Text(value),
        }
    }
}
