//! The MessagePack layout of a batch payload (schemas 1 and 2, which differ only in what the
//! install pseudonym is), before compression.
//!
//! Row-shaped events repeat every key and most values; telemetry batches are a few event
//! kinds recorded many times. So events are grouped by (name, category, basis), each group
//! stores one column per property key, every string (names, keys, text values) is written
//! once in a string table and referred to by index, and timestamps are deltas from the
//! group's first one. Structs are MessagePack arrays in field order (rmp-serde's compact form).

use serde::{Deserialize, Serialize};

use super::budget::Bounded;

/// The whole payload. `S` is an owned string when encoding and a string borrowed from the
/// inflated bytes when decoding, so the table is not copied before its lengths are checked.
/// Every array is [`Bounded`]: decoding charges its elements before it builds them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Payload<S> {
    pub schema: u16,
    pub meta: Meta,
    /// Every string the batch uses, once.
    pub strings: Bounded<S>,
    pub groups: Bounded<Group>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Meta {
    pub app_id: u32,
    pub install: Option<u32>,
    pub sdk: u32,
    pub created_at_ms: u64,
    /// Device context, once per batch: (key, value) pairs.
    pub device: Bounded<(u32, Cell)>,
}

/// Events sharing a name, category and basis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Group {
    pub name: u32,
    /// Position in `Category::ALL`.
    pub category: u8,
    /// 0 consent, 1 essential.
    pub basis: u8,
    pub first_ms: u64,
    /// Each event's time minus the previous one's (the first is 0).
    pub deltas: Bounded<u64>,
    pub columns: Bounded<Column>,
}

/// One property key's values, one cell per event of the group (`None` where absent).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct Column {
    pub key: u32,
    pub cells: Cells,
}

/// A column's cells: typed when every present value has one kind (most columns), mixed
/// otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Cells {
    Bool(Bounded<Option<bool>>),
    Int(Bounded<Option<i64>>),
    Double(Bounded<Option<f64>>),
    /// Doubles that are all exact with `scale` decimals (prices, ratios), stored as integers
    /// times 10^scale: 2–3 bytes instead of 9, and the same f64 back on decoding.
    Decimal(u8, Bounded<Option<i64>>),
    Text(Bounded<Option<u32>>),
    Location(Bounded<Option<(f64, f64)>>),
    Mixed(Bounded<Option<Cell>>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) enum Cell {
    Bool(bool),
    Int(i64),
    Double(f64),
    Text(u32),
    Location(f64, f64),
}

impl Cells {
    pub fn len(&self) -> usize {
        match self {
            Cells::Bool(v) => v.len(),
            Cells::Int(v) => v.len(),
            Cells::Double(v) => v.len(),
            Cells::Decimal(_, v) => v.len(),
            Cells::Text(v) => v.len(),
            Cells::Location(v) => v.len(),
            Cells::Mixed(v) => v.len(),
        }
    }
}
