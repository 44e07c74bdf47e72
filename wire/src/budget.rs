//! What decoding may build, counted before it is built.
//!
//! MessagePack states an array's length before its elements, and a nil takes one byte, so a
//! few kilobytes inflate to a column of millions of empty cells, each 16 bytes once decoded. Every
//! array the payload holds is decoded through [`Bounded`], which charges its elements' size to
//! the budget of the decode in progress before it allocates them, and refuses what does not
//! fit. The budget lives in a thread-local for the length of one [`with_budget`] call: serde's
//! derived decoders cannot carry it down the payload's types themselves.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error, SeqAccess, Visitor};
use serde::{Serialize, Serializer};

thread_local! {
    /// Bytes the decode in progress on this thread may still build; `None` outside one.
    static REMAINING: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Runs `decode` with `bytes` to build at most; charges outside it cost nothing.
pub(super) fn with_budget<T>(bytes: usize, decode: impl FnOnce() -> T) -> T {
    let previous = REMAINING.with(|r| r.replace(Some(bytes)));
    let result = decode();
    REMAINING.with(|r| r.set(previous));
    result
}

/// Takes `bytes` from the budget, or says it would be exceeded.
pub(super) fn charge(bytes: usize) -> Result<(), Exceeded> {
    REMAINING.with(|r| match r.get() {
        None => Ok(()),
        Some(left) if bytes <= left => {
            r.set(Some(left - bytes));
            Ok(())
        }
        Some(_) => {
            r.set(Some(0));
            Err(Exceeded)
        }
    })
}

/// The budget ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Exceeded;

/// How a decode reports [`Exceeded`] through serde, so it can be told from a malformed payload.
pub(super) const EXCEEDED: &str = "the decode budget is exhausted";

/// A vector whose elements are charged to the budget before they are decoded: by the length
/// the array states, at least one byte each, so a stated length the payload cannot back is
/// refused at once.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Bounded<T>(pub Vec<T>);

impl<T> Bounded<T> {
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

impl<T> FromIterator<T> for Bounded<T> {
    fn from_iter<I: IntoIterator<Item = T>>(items: I) -> Bounded<T> {
        Bounded(items.into_iter().collect())
    }
}

impl<T> From<Vec<T>> for Bounded<T> {
    fn from(v: Vec<T>) -> Bounded<T> {
        Bounded(v)
    }
}

impl<T: Serialize> Serialize for Bounded<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Bounded<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Bounded<T>, D::Error> {
        struct Elements<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<T> {
            type Value = Bounded<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Bounded<T>, A::Error> {
                let each = size_of::<T>().max(1);
                let stated = seq.size_hint().unwrap_or(0);
                charge(stated.saturating_mul(each)).map_err(|_| A::Error::custom(EXCEEDED))?;
                let mut out = Vec::with_capacity(stated);
                while let Some(element) = seq.next_element()? {
                    if out.len() >= stated {
                        // More than it stated (a format without lengths): charged one by one.
                        charge(each).map_err(|_| A::Error::custom(EXCEEDED))?;
                    }
                    out.push(element);
                }
                Ok(Bounded(out))
            }
        }

        d.deserialize_seq(Elements(PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stated_length_is_charged_before_anything_is_built() {
        // An array stating 16 million elements, backed by three bytes.
        let mut bytes = vec![0xdd];
        bytes.extend_from_slice(&16_000_000u32.to_be_bytes());
        bytes.extend_from_slice(&[0xc0, 0xc0, 0xc0]);
        let decoded = with_budget(1 << 20, || {
            rmp_serde::from_slice::<Bounded<Option<i64>>>(&bytes)
        });
        let error = decoded.unwrap_err().to_string();
        assert!(error.contains(EXCEEDED), "{error}");
        // Outside a budget, and within one, honest arrays decode.
        let honest = rmp_serde::to_vec(&vec![Some(1i64), None]).unwrap();
        let decoded = with_budget(64, || {
            rmp_serde::from_slice::<Bounded<Option<i64>>>(&honest)
        });
        assert_eq!(decoded.unwrap().0, vec![Some(1), None]);
        assert_eq!(charge(usize::MAX), Ok(()), "no budget outside a decode");
    }
}
