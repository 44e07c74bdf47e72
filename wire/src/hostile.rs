//! Payloads no device makes, written in the real layout: for tests of every decoder that
//! must refuse them in bounded memory (the core's, the collector's, anyone's written from
//! `docs/wire-format.md`). Each is compressed as a device compresses, ready to seal.

use super::compress::deflate;
use super::dictionary;
use super::layout::{Cell, Cells, Column, Group, Meta, Payload};
use super::{WireError, SCHEMA};

/// When the events of these payloads happened: any time will do.
const AT_MS: u64 = 1_795_000_000_000;

fn packed(strings: Vec<String>, device: Vec<(u32, Cell)>, groups: Vec<Group>) -> Payload<String> {
    Payload {
        schema: SCHEMA,
        meta: Meta {
            app_id: 0,
            install: None,
            sdk: 0,
            created_at_ms: AT_MS,
            device: device.into(),
        },
        strings: strings.into(),
        groups: groups.into(),
    }
}

fn compressed(payload: &Payload<String>) -> Result<Vec<u8>, WireError> {
    let bytes = rmp_serde::to_vec(payload).map_err(|e| WireError::Encode(e.to_string()))?;
    deflate(&bytes, &dictionary::FORMAT_2)
}

fn group(events: usize, columns: Vec<Column>) -> Group {
    Group {
        name: 0,
        category: 2,
        basis: 0,
        first_ms: AT_MS,
        deltas: vec![0; events].into(),
        columns: columns.into(),
    }
}

/// `events` events whose one property refers to the same string of `string_len` bytes: a
/// few hundred bytes that a decoder copying each reference turns into gigabytes.
pub fn shared_string(events: usize, string_len: usize) -> Result<Vec<u8>, WireError> {
    let strings = vec!["app".into(), "note".into(), "a".repeat(string_len)];
    let column = Column {
        key: 1,
        cells: Cells::Text(vec![Some(2); events].into()),
    };
    compressed(&packed(strings, vec![], vec![group(events, vec![column])]))
}

/// A group of `events` events with a column stating `cells` empty cells: a few kilobytes
/// that state millions of values.
pub fn empty_cells(events: usize, cells: usize) -> Result<Vec<u8>, WireError> {
    let column = Column {
        key: 1,
        cells: Cells::Int(vec![None; cells].into()),
    };
    compressed(&packed(
        vec!["app".into(), "k".into()],
        vec![],
        vec![group(events, vec![column])],
    ))
}

/// Three events with the same property key in two columns; with `in_device`, the device
/// context names one key twice instead. A decoder that lets the last one win stores what
/// the check before it never saw.
pub fn duplicate_key(in_device: bool) -> Result<Vec<u8>, WireError> {
    let ints = |n| Cells::Int(vec![Some(n); 3].into());
    let (device, columns) = if in_device {
        (vec![(1, Cell::Int(1)), (1, Cell::Int(2))], vec![])
    } else {
        let columns = vec![
            Column {
                key: 1,
                cells: ints(1),
            },
            Column {
                key: 1,
                cells: ints(2),
            },
        ];
        (vec![], columns)
    };
    compressed(&packed(
        vec!["app".into(), "k".into()],
        device,
        vec![group(3, columns)],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode, decode_expecting, Limits};

    #[test]
    fn each_is_small_and_refused() {
        let limits = Limits::default();
        let bomb = shared_string(100_000, 60_000).unwrap();
        assert!(bomb.len() < 400, "{} bytes", bomb.len());
        let roomy = Limits::for_inflated(4 << 20, 100_000);
        assert!(matches!(
            decode(&bomb, roomy),
            Err(WireError::TooMuchBuilt { .. })
        ));
        let cells = empty_cells(2, 16_000_000).unwrap();
        assert!(cells.len() < 20_000, "{} bytes", cells.len());
        assert!(matches!(
            decode(&cells, Limits::for_inflated(16 << 20, 10_000)),
            Err(WireError::TooMuchBuilt { .. })
        ));
        for in_device in [false, true] {
            assert!(matches!(
                decode_expecting(&duplicate_key(in_device).unwrap(), limits, Some(3)),
                Err(WireError::Malformed(_))
            ));
        }
    }
}
