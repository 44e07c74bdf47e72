//! An event's properties as the app builds them: keys that cost nothing when they are string
//! literals, kept inline for the few properties most events carry, so building an event
//! allocates only for the text values it holds.

use std::borrow::Cow;

use smallvec::SmallVec;

use crate::event::Property;

/// A property key or an event name: borrowed when the app passes a literal, owned otherwise.
pub type Key = Cow<'static, str>;

/// How many properties live inline before the list moves to the heap: most events carry fewer.
const INLINE: usize = 6;

/// Properties in the order they were first added, each key once (adding a key again replaces
/// its value, as a map would).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Properties(SmallVec<[(Key, Property); INLINE]>);

impl Properties {
    pub fn new() -> Properties {
        Properties(SmallVec::new())
    }

    /// Adds `key`, or replaces its value if it is there already.
    pub fn insert(&mut self, key: Key, property: Property) {
        match self.0.iter_mut().find(|(k, _)| *k == key) {
            Some((_, existing)) => *existing = property,
            None => self.0.push((key, property)),
        }
    }

    pub fn get(&self, key: &str) -> Option<&Property> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, p)| p)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Property> {
        self.0.iter_mut().find(|(k, _)| k == key).map(|(_, p)| p)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Property)> {
        self.0.iter().map(|(k, p)| (k.as_ref(), p))
    }
}

impl IntoIterator for Properties {
    type Item = (Key, Property);
    type IntoIter = smallvec::IntoIter<[(Key, Property); INLINE]>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

impl std::ops::Index<&str> for Properties {
    type Output = Property;

    fn index(&self, key: &str) -> &Property {
        self.get(key)
            .unwrap_or_else(|| panic!("no property `{key}`"))
    }
}

impl<K: Into<Key>> FromIterator<(K, Property)> for Properties {
    fn from_iter<I: IntoIterator<Item = (K, Property)>>(items: I) -> Properties {
        let mut properties = Properties::new();
        for (key, property) in items {
            properties.insert(key.into(), property);
        }
        properties
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Value;

    fn p(n: i64) -> Property {
        Property {
            value: Value::Int(n),
            class: None,
        }
    }

    #[test]
    fn a_key_added_again_replaces_its_value_and_order_is_kept() {
        let mut props = Properties::new();
        for (i, key) in ["b", "a", "c", "a"].into_iter().enumerate() {
            props.insert(key.into(), p(i64::try_from(i).unwrap()));
        }
        let keys: Vec<_> = props.iter().map(|(k, _)| k.to_owned()).collect();
        assert_eq!(keys, ["b", "a", "c"]);
        assert_eq!(props["a"], p(3));
        assert!(props.contains_key("c") && !props.contains_key("d"));
        // Past the inline capacity it keeps working, on the heap.
        let many: Properties = (0..20).map(|i| (format!("k{i}"), p(i))).collect();
        assert_eq!(many.len(), 20);
        assert_eq!(many.get("k19"), Some(&p(19)));
    }
}
