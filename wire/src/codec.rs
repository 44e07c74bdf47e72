//! Batch ↔ bytes.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap;

use std::sync::Arc;

use super::budget;
use super::compress::{deflate, inflate};
use super::layout::{Cell, Cells, Column, Group, Meta, Payload};
use crate::envelope::{Format, Header};

use super::{
    Batch, BatchMeta, EncodeEvent, Limits, ValueRef, WireError, WireEvent, WireValue, SCHEMA,
};
use crate::{Basis, Category};

/// Encodes and compresses `batch` for the current envelope format.
pub fn encode(batch: &Batch) -> Result<Vec<u8>, WireError> {
    let events: Vec<&WireEvent> = batch.events.iter().collect();
    encode_events(&batch.meta, &events)
}

/// The MessagePack payload of `batch` before compression (docs/wire-format.md section 5): for
/// test vectors of that layer alone.
pub fn pack(batch: &Batch) -> Result<Vec<u8>, WireError> {
    let events: Vec<&WireEvent> = batch.events.iter().collect();
    pack_events(&batch.meta, &events)
}

/// Encodes and compresses `events` with `meta`, as [`encode`] would the same events as
/// [`WireEvent`]s, reading them in place (a device passes its own event type).
pub fn encode_events<E: EncodeEvent>(
    meta: &BatchMeta,
    events: &[&E],
) -> Result<Vec<u8>, WireError> {
    encode_events_as(Format::CURRENT, meta, events)
}

/// [`encode_events`] for an envelope of `format` (its dictionary).
pub fn encode_events_as<E: EncodeEvent>(
    format: Format,
    meta: &BatchMeta,
    events: &[&E],
) -> Result<Vec<u8>, WireError> {
    deflate(&pack_events(meta, events)?, format.dictionary())
}

fn pack_events<E: EncodeEvent>(meta: &BatchMeta, events: &[&E]) -> Result<Vec<u8>, WireError> {
    let mut strings = Interner::default();
    let meta = Meta {
        app_id: strings.index(&meta.app_id),
        install: meta.install.as_deref().map(|i| strings.index(i)),
        sdk: strings.index(&meta.sdk_version),
        created_at_ms: meta.created_at_ms,
        device: meta
            .device
            .iter()
            .map(|(k, v)| (strings.index(k), cell(v.into(), &mut strings)))
            .collect(),
    };
    let groups = group(events)
        .into_iter()
        .map(|events| column_group(&events, &mut strings))
        .collect();
    if strings.overflowed {
        return Err(WireError::Encode(
            "more distinct strings than a u32 index holds".into(),
        ));
    }
    let payload = Payload {
        schema: SCHEMA,
        meta,
        strings: strings.table.into(),
        groups,
    };
    rmp_serde::to_vec(&payload).map_err(|e| WireError::Encode(e.to_string()))
}

/// Inflates (at most `limits.max_inflated` bytes) and decodes a payload of the current format,
/// checking every index,
/// length and count against what the payload itself declares, and building at most
/// `limits.max_built` bytes (see [`super::budget`]).
pub fn decode(bytes: &[u8], limits: Limits) -> Result<Batch, WireError> {
    decode_expecting(bytes, limits, None)
}

/// [`decode`], also checking that the payload holds `expected` events (the count an envelope's
/// authenticated header declares) before it builds any.
pub fn decode_expecting(
    bytes: &[u8],
    limits: Limits,
    expected: Option<u32>,
) -> Result<Batch, WireError> {
    decode_as(Format::CURRENT, bytes, limits, expected)
}

/// The payload an envelope with `header` carried, as a collector reads it: inflated with the
/// dictionary of the header's format, and holding the events the header declares.
pub fn decode_sealed(header: &Header, bytes: &[u8], limits: Limits) -> Result<Batch, WireError> {
    decode_as(header.format, bytes, limits, Some(header.event_count))
}

/// [`decode_expecting`] for a payload of `format`.
pub fn decode_as(
    format: Format,
    bytes: &[u8],
    limits: Limits,
    expected: Option<u32>,
) -> Result<Batch, WireError> {
    let packed = inflate(bytes, format.dictionary(), limits.max_inflated)?;
    budget::with_budget(limits.max_built, || {
        decode_packed(&packed, limits, expected)
    })
}

fn decode_packed(packed: &[u8], limits: Limits, expected: Option<u32>) -> Result<Batch, WireError> {
    let too_much = WireError::TooMuchBuilt {
        limit: limits.max_built,
    };
    let payload: Payload<&str> = rmp_serde::from_slice(packed).map_err(|e| {
        let message = e.to_string();
        if message.contains(budget::EXCEEDED) {
            too_much.clone()
        } else {
            WireError::Malformed(message)
        }
    })?;
    if !(1..=SCHEMA).contains(&payload.schema) {
        return Err(WireError::UnknownSchema(payload.schema));
    }
    check_shape(&payload, limits, expected)?;
    // Each string once: every reference to it shares it.
    let mut table = Vec::with_capacity(payload.strings.len());
    for s in payload.strings.iter() {
        if s.len() > limits.max_string {
            return Err(WireError::Malformed(format!(
                "a string of {} bytes (at most {})",
                s.len(),
                limits.max_string
            )));
        }
        budget::charge(s.len() + size_of::<Arc<str>>()).map_err(|_| too_much.clone())?;
        table.push(Arc::<str>::from(*s));
    }
    let text = |i: u32| {
        table
            .get(i as usize)
            .cloned()
            .ok_or_else(|| WireError::Malformed(format!("string index {i} out of range")))
    };
    let meta = BatchMeta {
        app_id: text(payload.meta.app_id)?.to_string(),
        install: payload
            .meta
            .install
            .map(text)
            .transpose()?
            .map(|i| i.to_string()),
        sdk_version: text(payload.meta.sdk)?.to_string(),
        created_at_ms: payload.meta.created_at_ms,
        device: payload
            .meta
            .device
            .iter()
            .map(|(k, v)| Ok((text(*k)?.to_string(), value(v, &text)?)))
            .collect::<Result<_, WireError>>()?,
    };
    let total: usize = payload.groups.iter().map(|g| g.deltas.len()).sum();
    // Each event once in the batch, and once more for the stable sort's scratch space.
    budget::charge(total.saturating_mul(2 * EVENT_COST)).map_err(|_| too_much.clone())?;
    let mut events = Vec::with_capacity(total);
    for g in payload.groups.iter() {
        decode_group(g, &text, &mut events).map_err(|e| match e {
            GroupError::Wire(e) => e,
            GroupError::Exceeded => too_much.clone(),
        })?;
    }
    // Groups are stored apart; the batch reads back in time order (stable within a group).
    events.sort_by_key(|e| e.recorded_at_ms);
    Ok(Batch { meta, events })
}

/// Counts and lengths against each other before anything is built from them: the events
/// against the limit and the expected count, every column against its group's events, and
/// each key once per group and in the device context.
fn check_shape(
    payload: &Payload<&str>,
    limits: Limits,
    expected: Option<u32>,
) -> Result<(), WireError> {
    let total: usize = payload.groups.iter().map(|g| g.deltas.len()).sum();
    if total > limits.max_events {
        return Err(WireError::TooManyEvents {
            limit: limits.max_events,
        });
    }
    if let Some(expected) = expected {
        if total != expected as usize {
            return Err(WireError::Malformed(format!(
                "the header declares {expected} events, the payload holds {total}"
            )));
        }
    }
    for g in payload.groups.iter() {
        let mut keys = BTreeSet::new();
        for column in g.columns.iter() {
            if column.cells.len() != g.deltas.len() {
                return Err(WireError::Malformed(format!(
                    "a column has {} cells for {} events",
                    column.cells.len(),
                    g.deltas.len()
                )));
            }
            if !keys.insert(column.key) {
                return Err(WireError::Malformed(format!(
                    "string {} is a key of two columns of one group",
                    column.key
                )));
            }
        }
    }
    let mut device_keys = BTreeSet::new();
    if !payload
        .meta
        .device
        .iter()
        .all(|(k, _)| device_keys.insert(*k))
    {
        return Err(WireError::Malformed(
            "a device context key appears twice".into(),
        ));
    }
    Ok(())
}

/// Groups events by (name, category, basis), in order of first appearance, each group in time
/// order so its deltas are never negative.
fn group<'a, E: EncodeEvent>(events: &[&'a E]) -> Vec<Vec<&'a E>> {
    let mut index: FxHashMap<(&str, Category, Basis), usize> = FxHashMap::default();
    let mut groups: Vec<Vec<&E>> = Vec::new();
    for &e in events {
        let at = *index
            .entry((e.name(), e.category(), e.basis()))
            .or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
        groups[at].push(e);
    }
    for g in &mut groups {
        // Events arrive in time order almost always; checking is cheaper than sorting.
        if !g.is_sorted_by_key(|e| e.recorded_at_ms()) {
            g.sort_by_key(|e| e.recorded_at_ms());
        }
    }
    groups
}

fn column_group<E: EncodeEvent>(events: &[&E], strings: &mut Interner) -> Group {
    let first = events[0];
    let first_ms = first.recorded_at_ms();
    let mut last = first_ms;
    let deltas = events
        .iter()
        .map(|e| {
            let d = e.recorded_at_ms() - last;
            last = e.recorded_at_ms();
            d
        })
        .collect();
    let keys: BTreeSet<&str> = events.iter().flat_map(|e| e.keys()).collect();
    let columns = keys
        .into_iter()
        .map(|key| {
            let values: Vec<Option<ValueRef>> = events.iter().map(|e| e.value(key)).collect();
            Column {
                key: strings.index(key),
                cells: cells(&values, strings),
            }
        })
        .collect();
    Group {
        name: strings.index(first.name()),
        category: first.category() as u8,
        basis: u8::from(first.basis() == Basis::Essential),
        first_ms,
        deltas,
        columns,
    }
}

fn cells(values: &[Option<ValueRef>], strings: &mut Interner) -> Cells {
    let kinds: BTreeSet<u8> = values.iter().flatten().map(|v| kind(*v)).collect();
    macro_rules! typed {
        ($variant:ident, $pattern:pat => $out:expr) => {
            Cells::$variant(
                values
                    .iter()
                    .map(|v| {
                        v.and_then(|v| match v {
                            $pattern => Some($out),
                            _ => None,
                        })
                    })
                    .collect(),
            )
        };
    }
    match kinds.iter().copied().collect::<Vec<_>>().as_slice() {
        [0] => typed!(Bool, ValueRef::Bool(b) => b),
        [1] => typed!(Int, ValueRef::Int(i) => i),
        [2] => decimal(values).unwrap_or_else(|| typed!(Double, ValueRef::Double(d) => d)),
        [3] => Cells::Text(
            values
                .iter()
                .map(|v| match v {
                    Some(ValueRef::Text(t)) => Some(strings.index(t)),
                    _ => None,
                })
                .collect(),
        ),
        [4] => typed!(Location, ValueRef::Location { lat, lon } => (lat, lon)),
        _ => Cells::Mixed(values.iter().map(|v| v.map(|v| cell(v, strings))).collect()),
    }
}

/// The smallest scale (0 to 6 decimals) at which every double in the column is exact, as
/// scaled integers; `None` if there is none.
fn decimal(values: &[Option<ValueRef>]) -> Option<Cells> {
    let doubles: Vec<Option<f64>> = values
        .iter()
        .map(|v| match v {
            Some(ValueRef::Double(d)) => Some(*d),
            _ => None,
        })
        .collect();
    (0u8..=6).find_map(|scale| {
        let factor = 10f64.powi(i32::from(scale));
        let scaled: Option<Vec<Option<i64>>> = doubles
            .iter()
            .map(|d| match d {
                None => Some(None),
                Some(d) => {
                    let n = (d * factor).round();
                    let in_range = n.abs() < 9.0e15; // false for NaN and the infinities
                    if !in_range {
                        return None;
                    }
                    // `n` is whole and |n| < 9e15 < 2^63 (checked above): the cast is exact.
                    #[allow(clippy::cast_possible_truncation)]
                    let i = n as i64;
                    // Bits, not `==`: -0.0 equals 0.0 but would come back as +0.0.
                    let exact = (i as f64 / factor).to_bits() == d.to_bits();
                    exact.then_some(Some(i))
                }
            })
            .collect();
        scaled.map(|v| Cells::Decimal(scale, v.into()))
    })
}

fn kind(value: ValueRef) -> u8 {
    match value {
        ValueRef::Bool(_) => 0,
        ValueRef::Int(_) => 1,
        ValueRef::Double(_) => 2,
        ValueRef::Text(_) => 3,
        ValueRef::Location { .. } => 4,
    }
}

fn cell(value: ValueRef, strings: &mut Interner) -> Cell {
    match value {
        ValueRef::Bool(b) => Cell::Bool(b),
        ValueRef::Int(i) => Cell::Int(i),
        ValueRef::Double(d) => Cell::Double(d),
        ValueRef::Text(t) => Cell::Text(strings.index(t)),
        ValueRef::Location { lat, lon } => Cell::Location(lat, lon),
    }
}

fn value(
    cell: &Cell,
    text: &impl Fn(u32) -> Result<Arc<str>, WireError>,
) -> Result<WireValue, WireError> {
    Ok(match cell {
        Cell::Bool(b) => WireValue::Bool(*b),
        Cell::Int(i) => WireValue::Int(*i),
        Cell::Double(d) => WireValue::Double(*d),
        Cell::Text(i) => WireValue::Text(text(*i)?),
        Cell::Location(lat, lon) => WireValue::Location {
            lat: *lat,
            lon: *lon,
        },
    })
}

enum GroupError {
    Wire(WireError),
    Exceeded,
}

impl From<WireError> for GroupError {
    fn from(e: WireError) -> GroupError {
        GroupError::Wire(e)
    }
}

/// What one event costs to build, beyond the strings it shares; and what its properties cost:
/// a map node (a B-tree leaf holds eleven entries) for its first property and every eighth
/// after (nodes are at least half full), charged before the node can be allocated.
const EVENT_COST: usize = size_of::<WireEvent>();
const NODE_COST: usize = 11 * size_of::<(Arc<str>, WireValue)>() + 16;
const PROPERTIES_PER_NODE: usize = 8;

/// Appends the group's events to `events` (whose room, and the events' cost, are charged).
fn decode_group(
    g: &Group,
    text: &impl Fn(u32) -> Result<Arc<str>, WireError>,
    events: &mut Vec<WireEvent>,
) -> Result<(), GroupError> {
    let name = text(g.name)?;
    let category = *Category::ALL
        .get(g.category as usize)
        .ok_or_else(|| WireError::Malformed(format!("unknown category {}", g.category)))?;
    let basis = match g.basis {
        0 => Basis::Consent,
        1 => Basis::Essential,
        other => return Err(WireError::Malformed(format!("unknown basis {other}")).into()),
    };
    let first = events.len();
    let mut at = g.first_ms;
    for (i, delta) in g.deltas.iter().enumerate() {
        at = if i == 0 {
            at
        } else {
            at.checked_add(*delta)
                .ok_or_else(|| WireError::Malformed("time overflows".into()))?
        };
        events.push(WireEvent {
            name: Arc::clone(&name),
            category,
            basis,
            recorded_at_ms: at,
            properties: Default::default(),
        });
    }
    for column in g.columns.iter() {
        let key = text(column.key)?;
        for (i, event) in events[first..].iter_mut().enumerate() {
            let cell = match &column.cells {
                Cells::Bool(v) => v.0[i].map(Cell::Bool),
                Cells::Int(v) => v.0[i].map(Cell::Int),
                Cells::Double(v) => v.0[i].map(Cell::Double),
                Cells::Decimal(scale, v) => {
                    v.0[i].map(|n| Cell::Double(n as f64 / 10f64.powi(i32::from(*scale))))
                }
                Cells::Text(v) => v.0[i].map(Cell::Text),
                Cells::Location(v) => v.0[i].map(|(lat, lon)| Cell::Location(lat, lon)),
                Cells::Mixed(v) => v.0[i].clone(),
            };
            if let Some(cell) = cell {
                if event.properties.len() % PROPERTIES_PER_NODE == 0 {
                    budget::charge(NODE_COST).map_err(|_| GroupError::Exceeded)?;
                }
                event
                    .properties
                    .insert(Arc::clone(&key), value(&cell, text)?);
            }
        }
    }
    Ok(())
}

/// The batch's string table: each distinct string once, by first use.
#[derive(Default)]
struct Interner {
    table: Vec<String>,
    /// FxHash: the keys are the batch's own strings, not input an attacker picks to collide.
    index: FxHashMap<String, u32>,
    /// Set when a string did not fit the u32 indices: the batch is refused, not truncated.
    overflowed: bool,
}

impl Interner {
    fn index(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let Ok(i) = u32::try_from(self.table.len()) else {
            self.overflowed = true;
            return u32::MAX;
        };
        self.table.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
}
