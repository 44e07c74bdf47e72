use std::collections::BTreeMap;

use crate::{Category, DataClass, Error};

pub const MAX_NAME_BYTES: usize = 128;
pub const MAX_PROPERTIES: usize = 64;
pub const MAX_TEXT_BYTES: usize = 4096;

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

/// A custom event as the app records it: raw, unvalidated, never stored as it is.
///
/// Each property may declare its [`DataClass`]; one that does not is `text` if it is text
/// (and so is scrubbed), `location` if it is a location, and `custom` otherwise.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    /// The purpose the event serves; custom events default to analytics.
    pub category: Category,
    pub properties: BTreeMap<String, Value>,
    pub classes: BTreeMap<String, DataClass>,
}

impl Event {
    pub fn new(name: impl Into<String>) -> Self {
        Event {
            name: name.into(),
            category: Category::Analytics,
            properties: BTreeMap::new(),
            classes: BTreeMap::new(),
        }
    }

    pub fn in_category(mut self, category: Category) -> Self {
        self.category = category;
        self
    }

    pub fn with(mut self, key: impl Into<String>, value: Value) -> Self {
        self.properties.insert(key.into(), value);
        self
    }

    /// Adds a property and declares its data class.
    pub fn with_class(mut self, key: impl Into<String>, value: Value, class: DataClass) -> Self {
        let key = key.into();
        self.classes.insert(key.clone(), class);
        self.properties.insert(key, value);
        self
    }

    /// The data class of property `key`: declared, or inferred from the value.
    pub fn class_of(&self, key: &str, value: &Value) -> DataClass {
        match (self.classes.get(key), value) {
            (_, Value::Location { .. }) => DataClass::Location,
            (Some(class), _) => *class,
            (None, Value::Text(_)) => DataClass::Text,
            (None, _) => DataClass::Custom,
        }
    }

    /// Rejects what no policy could store sensibly: empty or oversize names, odd keys,
    /// non-finite numbers, impossible coordinates, text beyond the size cap, classes declared
    /// for properties that are not there.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.name.trim().is_empty() {
            return Err(Error::EmptyEventName);
        }
        if self.name.len() > MAX_NAME_BYTES {
            return Err(Error::EventNameTooLong {
                max: MAX_NAME_BYTES,
            });
        }
        if self.properties.len() > MAX_PROPERTIES {
            return Err(Error::TooManyProperties {
                max: MAX_PROPERTIES,
            });
        }
        for (key, value) in &self.properties {
            validate_property(key, value, self.classes.get(key))?;
        }
        if let Some(key) = self
            .classes
            .keys()
            .find(|k| !self.properties.contains_key(*k))
        {
            return Err(invalid(
                key,
                "a data class is declared for a property the event does not have".into(),
            ));
        }
        Ok(())
    }
}

fn invalid(key: &str, reason: String) -> Error {
    Error::InvalidProperty {
        key: key.to_owned(),
        reason,
    }
}

fn validate_property(key: &str, value: &Value, class: Option<&DataClass>) -> Result<(), Error> {
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
    match value {
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
        Value::Location { .. } if class.is_some_and(|c| *c != DataClass::Location) => Err(invalid(
            key,
            "a location can only be of class `location`".into(),
        )),
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
        let mut orphan = Event::new("e");
        orphan.classes.insert("missing".into(), DataClass::Contact);
        assert!(matches!(rejects(orphan), Error::InvalidProperty { key, .. } if key == "missing"));
        let wrong = Event::new("e").with_class(
            "here",
            Value::Location { lat: 1.0, lon: 1.0 },
            DataClass::Text,
        );
        assert!(matches!(rejects(wrong), Error::InvalidProperty { key, .. } if key == "here"));
    }

    #[test]
    fn classes_are_declared_or_inferred() {
        let e = Event::new("e");
        assert_eq!(e.class_of("t", &Value::Text("x".into())), DataClass::Text);
        assert_eq!(e.class_of("n", &Value::Int(1)), DataClass::Custom);
        assert_eq!(
            e.class_of("l", &Value::Location { lat: 0.0, lon: 0.0 }),
            DataClass::Location
        );
        let e = e.with_class("ip", Value::Text("1.2.3.4".into()), DataClass::NetworkIp);
        assert_eq!(
            e.class_of("ip", &Value::Text("1.2.3.4".into())),
            DataClass::NetworkIp
        );
    }

    #[test]
    fn property_count_is_bounded() {
        let mut event = Event::new("e");
        for i in 0..=MAX_PROPERTIES {
            event = event.with(format!("k{i}"), Value::Int(i as i64));
        }
        assert_eq!(
            rejects(event),
            Error::TooManyProperties {
                max: MAX_PROPERTIES
            }
        );
    }
}
