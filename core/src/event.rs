use crate::properties::{Key, Properties};
use crate::{Category, DataClass, Error};

pub const MAX_NAME_BYTES: usize = 128;
pub const MAX_PROPERTIES: usize = 64;
pub const MAX_TEXT_BYTES: usize = 4096;
/// Event names the SDK keeps for its own events.
pub const RESERVED_PREFIX: &str = "modicum.";

/// A property value as the app supplies it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(String),
    /// Latitude and longitude in degrees (WGS 84). Always of class `location`.
    Location {
        lat: f64,
        lon: f64,
    },
}

/// A property: its value and, if the app declared one, its data class.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    pub value: Value,
    pub class: Option<DataClass>,
}

impl Property {
    /// The data class: declared, or inferred from the value — `location` for a location,
    /// `text` for text (so it is scrubbed), `custom` for numbers and flags.
    pub fn class(&self) -> DataClass {
        match (self.class, &self.value) {
            (_, Value::Location { .. }) => DataClass::Location,
            (Some(class), _) => class,
            (None, Value::Text(_)) => DataClass::Text,
            (None, _) => DataClass::Custom,
        }
    }
}

/// A custom event as the app records it: raw, unvalidated, and consumed by minimization, so
/// it never outlives the `record` call. Building one allocates only for owned strings: a name
/// or key given as a literal is borrowed, and a few properties live inline.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: Key,
    /// The purpose the event serves; custom events default to analytics.
    pub category: Category,
    pub properties: Properties,
}

impl Event {
    pub fn new(name: impl Into<Key>) -> Self {
        Event {
            name: name.into(),
            category: Category::Analytics,
            properties: Properties::new(),
        }
    }

    pub fn in_category(mut self, category: Category) -> Self {
        self.category = category;
        self
    }

    pub fn with(mut self, key: impl Into<Key>, value: Value) -> Self {
        self.properties
            .insert(key.into(), Property { value, class: None });
        self
    }

    /// Adds a property and declares its data class.
    pub fn with_class(mut self, key: impl Into<Key>, value: Value, class: DataClass) -> Self {
        self.properties.insert(
            key.into(),
            Property {
                value,
                class: Some(class),
            },
        );
        self
    }

    /// Declares the data class of a property the event already has.
    pub fn declare_class(&mut self, key: &str, class: DataClass) -> Result<(), Error> {
        match self.properties.get_mut(key) {
            Some(property) => {
                property.class = Some(class);
                Ok(())
            }
            None => Err(invalid(
                key,
                "a data class is declared for a property the event does not have".into(),
            )),
        }
    }

    /// Rejects what no policy could store sensibly: empty or oversize names, odd keys,
    /// non-finite numbers, impossible coordinates, text beyond the size cap.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.name.trim().is_empty() {
            return Err(Error::EmptyEventName);
        }
        if self.name.len() > MAX_NAME_BYTES {
            return Err(Error::EventNameTooLong {
                max: MAX_NAME_BYTES,
            });
        }
        // The SDK's own events (release health) are told apart by name, so an app's event can
        // never pass for one.
        if self.name.starts_with(RESERVED_PREFIX) {
            return Err(Error::ReservedEventName);
        }
        if self.properties.len() > MAX_PROPERTIES {
            return Err(Error::TooManyProperties {
                max: MAX_PROPERTIES,
            });
        }
        self.properties
            .iter()
            .try_for_each(|(key, property)| validate_property(key, property))
    }
}

fn invalid(key: &str, reason: String) -> Error {
    Error::InvalidProperty {
        key: key.to_owned(),
        reason,
    }
}

fn validate_property(key: &str, property: &Property) -> Result<(), Error> {
    if key.is_empty() || key.len() > MAX_NAME_BYTES {
        return Err(invalid(
            key,
            format!("keys must be 1 to {MAX_NAME_BYTES} bytes"),
        ));
    }
    if !key
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(invalid(
            key,
            "keys may hold only ASCII letters, digits, '_', '.' and '-'".into(),
        ));
    }
    match &property.value {
        Value::Double(d) if !d.is_finite() => Err(invalid(key, "numbers must be finite".into())),
        Value::Text(t) if t.len() > MAX_TEXT_BYTES => Err(invalid(
            key,
            format!("text is longer than {MAX_TEXT_BYTES} bytes"),
        )),
        Value::Location { lat, lon }
            if !((-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon)) =>
        {
            Err(invalid(
                key,
                "latitude must be within ±90 and longitude within ±180 degrees".into(),
            ))
        }
        Value::Location { .. } if property.class.is_some_and(|c| c != DataClass::Location) => Err(
            invalid(key, "a location can only be of class `location`".into()),
        ),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rejects(event: Event) -> Error {
        event.validate().unwrap_err()
    }

    #[test]
    fn names_must_be_present_and_bounded() {
        assert_eq!(rejects(Event::new("")), Error::EmptyEventName);
        assert_eq!(rejects(Event::new("  \t")), Error::EmptyEventName);
        assert_eq!(
            rejects(Event::new("x".repeat(129))),
            Error::EventNameTooLong { max: 128 }
        );
        Event::new("x".repeat(128)).validate().unwrap();
    }

    #[test]
    fn properties_are_checked() {
        let bad = [
            ("", Value::Bool(true)),
            ("with space", Value::Bool(true)),
            ("nan", Value::Double(f64::NAN)),
            ("inf", Value::Double(f64::INFINITY)),
            ("long", Value::Text("x".repeat(MAX_TEXT_BYTES + 1))),
            (
                "lat",
                Value::Location {
                    lat: 90.5,
                    lon: 0.0,
                },
            ),
            (
                "lon",
                Value::Location {
                    lat: 0.0,
                    lon: f64::NAN,
                },
            ),
        ];
        for (key, value) in bad {
            let err = rejects(Event::new("e").with(key, value));
            assert!(
                matches!(&err, Error::InvalidProperty { key: k, .. } if k == key),
                "{err:?}"
            );
        }
        let ok = Event::new("e").with("a.b_c-1", Value::Text("x".repeat(MAX_TEXT_BYTES)));
        ok.validate().unwrap();
    }

    #[test]
    fn declared_classes_must_fit() {
        let mut event = Event::new("e").with("here", Value::Int(1));
        let err = event
            .declare_class("missing", DataClass::Contact)
            .unwrap_err();
        assert!(matches!(err, Error::InvalidProperty { key, .. } if key == "missing"));
        event
            .declare_class("here", DataClass::DeviceCapacity)
            .unwrap();
        assert_eq!(event.properties["here"].class(), DataClass::DeviceCapacity);
        let wrong = Event::new("e").with_class(
            "here",
            Value::Location { lat: 1.0, lon: 1.0 },
            DataClass::Text,
        );
        assert!(matches!(rejects(wrong), Error::InvalidProperty { key, .. } if key == "here"));
    }

    #[test]
    fn classes_are_declared_or_inferred() {
        let class = |value, class| Property { value, class }.class();
        assert_eq!(class(Value::Text("x".into()), None), DataClass::Text);
        assert_eq!(class(Value::Int(1), None), DataClass::Custom);
        assert_eq!(
            class(Value::Location { lat: 0.0, lon: 0.0 }, None),
            DataClass::Location
        );
        assert_eq!(
            class(Value::Text("1.2.3.4".into()), Some(DataClass::NetworkIp)),
            DataClass::NetworkIp
        );
    }

    #[test]
    fn property_count_is_bounded() {
        let mut event = Event::new("e");
        for i in 0..=MAX_PROPERTIES {
            event = event.with(format!("k{i}"), Value::Int(i64::try_from(i).unwrap()));
        }
        assert_eq!(
            rejects(event),
            Error::TooManyProperties {
                max: MAX_PROPERTIES
            }
        );
    }
}
