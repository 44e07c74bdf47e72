use std::collections::BTreeMap;

use crate::Error;

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
}

/// A custom event as the app records it: raw, unvalidated, never stored as it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub name: String,
    pub properties: BTreeMap<String, Value>,
}

impl Event {
    pub fn new(name: impl Into<String>) -> Self {
        Event { name: name.into(), properties: BTreeMap::new() }
    }

    pub fn with(mut self, key: impl Into<String>, value: Value) -> Self {
        self.properties.insert(key.into(), value);
        self
    }

    /// Rejects what no policy could store sensibly: empty or oversize names, odd keys,
    /// non-finite numbers, text beyond the size cap.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.name.trim().is_empty() {
            return Err(Error::EmptyEventName);
        }
        if self.name.len() > MAX_NAME_BYTES {
            return Err(Error::EventNameTooLong { max: MAX_NAME_BYTES });
        }
        if self.properties.len() > MAX_PROPERTIES {
            return Err(Error::TooManyProperties { max: MAX_PROPERTIES });
        }
        for (key, value) in &self.properties {
            validate_property(key, value)?;
        }
        Ok(())
    }
}

fn validate_property(key: &str, value: &Value) -> Result<(), Error> {
    let invalid = |reason: String| Err(Error::InvalidProperty { key: key.to_owned(), reason });
    if key.is_empty() || key.len() > MAX_NAME_BYTES {
        return invalid(format!("keys must be 1 to {MAX_NAME_BYTES} bytes"));
    }
    if !key.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
        return invalid("keys may hold only ASCII letters, digits, '_', '.' and '-'".into());
    }
    match value {
        Value::Double(d) if !d.is_finite() => invalid("numbers must be finite".into()),
        Value::Text(t) if t.len() > MAX_TEXT_BYTES => invalid(format!("text is longer than {MAX_TEXT_BYTES} bytes")),
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
        assert_eq!(rejects(Event::new("x".repeat(129))), Error::EventNameTooLong { max: 128 });
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
        ];
        for (key, value) in bad {
            let err = rejects(Event::new("e").with(key, value));
            assert!(matches!(&err, Error::InvalidProperty { key: k, .. } if k == key), "{err:?}");
        }
        let ok = Event::new("e").with("a.b_c-1", Value::Text("x".repeat(MAX_TEXT_BYTES)));
        ok.validate().unwrap();
    }

    #[test]
    fn property_count_is_bounded() {
        let mut event = Event::new("e");
        for i in 0..=MAX_PROPERTIES {
            event = event.with(format!("k{i}"), Value::Int(i as i64));
        }
        assert_eq!(rejects(event), Error::TooManyProperties { max: MAX_PROPERTIES });
    }
}
