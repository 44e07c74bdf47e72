//! The on-disk framing of one journal record:
//!
//! ```text
//! magic   4 bytes  "MJR1"
//! length  u32 LE   payload length, at most MAX_PAYLOAD
//! crc     u32 LE   CRC-32 (IEEE) of the length bytes and the payload
//! payload length bytes: nonce (12) || AES-256-GCM ciphertext and tag
//! ```
//! The CRC catches torn and flipped writes before any decryption is tried; the magic lets a
//! reader find the next record after a damaged one; the AEAD tag proves the payload is ours.

/// Marks the start of every record.
pub const MAGIC: [u8; 4] = *b"MJR1";
/// Bytes before the payload.
pub const HEADER_LEN: usize = 12;
/// The largest payload a record may claim. Bounds what a reader allocates on any input.
pub const MAX_PAYLOAD: usize = 1 << 20;

/// Frames `payload` as a record.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + payload.len());
    let Ok(()) = frame_appending(&mut out, |out| {
        out.extend_from_slice(payload);
        Ok::<(), std::convert::Infallible>(())
    });
    out
}

/// [`frame`] in place: appends a record to `out` whose payload is what `write` appends. On
/// error `out` is left as it was.
pub fn frame_appending<E>(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), E>,
) -> Result<(), E> {
    let start = out.len();
    out.extend_from_slice(&[0; HEADER_LEN]);
    if let Err(e) = write(out) {
        out.truncate(start);
        return Err(e);
    }
    let payload = start + HEADER_LEN;
    // A payload past u32::MAX claims u32::MAX, above MAX_PAYLOAD: readers skip it as damage,
    // as they do any record over MAX_PAYLOAD, rather than read a truncated length.
    let len = u32::try_from(out.len() - payload).unwrap_or(u32::MAX);
    let crc = checksum(&len.to_le_bytes(), &out[payload..]);
    out[start..start + 4].copy_from_slice(&MAGIC);
    out[start + 4..start + 8].copy_from_slice(&len.to_le_bytes());
    out[start + 8..payload].copy_from_slice(&crc.to_le_bytes());
    Ok(())
}

fn checksum(len: &[u8], payload: &[u8]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    hasher.update(len);
    hasher.update(payload);
    hasher.finalize()
}

/// What reading a segment found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Scan<'a> {
    /// The payloads of every record whose checksum holds, in file order.
    pub payloads: Vec<&'a [u8]>,
    /// Records whose header or checksum was wrong and were skipped.
    pub corrupt: u64,
    /// Whether the file ended inside a record (a write the process did not finish).
    pub torn_tail: bool,
    /// The length of the prefix holding only whole records: where appending may resume.
    pub valid_len: usize,
}

/// Reads every intact record in `bytes`. Damage costs only the damaged records: after a bad
/// header or checksum the reader looks for the next magic and carries on. Never panics, and
/// never yields a payload whose checksum fails.
pub fn scan(bytes: &[u8]) -> Scan<'_> {
    let mut scan = Scan::default();
    let mut at = 0;
    while at < bytes.len() {
        let rest = &bytes[at..];
        if rest.len() < HEADER_LEN {
            // A partial header at the end is a torn write; garbage that is no magic prefix is damage.
            if MAGIC.starts_with(&rest[..rest.len().min(4)]) {
                scan.torn_tail = true;
            } else {
                scan.corrupt += 1;
            }
            break;
        }
        if rest[..4] != MAGIC {
            scan.corrupt += 1;
            at += next_magic(&rest[1..]).map_or(rest.len(), |i| i + 1);
            continue;
        }
        let len_bytes = [rest[4], rest[5], rest[6], rest[7]];
        let len = u32::from_le_bytes(len_bytes) as usize;
        let crc = u32::from_le_bytes([rest[8], rest[9], rest[10], rest[11]]);
        if len > MAX_PAYLOAD {
            scan.corrupt += 1;
            at += next_magic(&rest[1..]).map_or(rest.len(), |i| i + 1);
            continue;
        }
        let Some(payload) = rest.get(HEADER_LEN..HEADER_LEN + len) else {
            // The record runs past the end: either a torn final write or a damaged length.
            match next_magic(&rest[1..]) {
                Some(i) => {
                    scan.corrupt += 1;
                    at += i + 1;
                    continue;
                }
                None => {
                    scan.torn_tail = true;
                    break;
                }
            }
        };
        if checksum(&len_bytes, payload) != crc {
            scan.corrupt += 1;
            at += next_magic(&rest[1..]).map_or(rest.len(), |i| i + 1);
            continue;
        }
        scan.payloads.push(payload);
        at += HEADER_LEN + len;
        scan.valid_len = at;
    }
    scan
}

fn next_magic(bytes: &[u8]) -> Option<usize> {
    bytes.windows(MAGIC.len()).position(|w| w == MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn records(payloads: &[&[u8]]) -> Vec<u8> {
        payloads.iter().flat_map(|p| frame(p)).collect()
    }

    #[test]
    fn reads_back_what_was_framed() {
        let bytes = records(&[b"one", b"", b"three"]);
        let scan = scan(&bytes);
        assert_eq!(scan.payloads, vec![&b"one"[..], b"", b"three"]);
        assert_eq!(
            (scan.corrupt, scan.torn_tail, scan.valid_len),
            (0, false, bytes.len())
        );
    }

    #[test]
    fn a_torn_tail_keeps_every_record_before_it() {
        let whole = records(&[b"one", b"two"]);
        let mut bytes = whole.clone();
        bytes.extend_from_slice(&frame(b"three")[..7]);
        let scan = scan(&bytes);
        assert_eq!(scan.payloads, vec![&b"one"[..], b"two"]);
        assert!(scan.torn_tail);
        assert_eq!(scan.valid_len, whole.len());
    }

    #[test]
    fn a_flipped_bit_costs_only_its_record() {
        let mut bytes = records(&[b"one", b"two", b"three"]);
        let second = frame(b"one").len() + HEADER_LEN;
        bytes[second] ^= 0x10;
        let scan = scan(&bytes);
        assert_eq!(scan.payloads, vec![&b"one"[..], b"three"]);
        assert_eq!(scan.corrupt, 1);
    }

    #[test]
    fn a_damaged_length_is_skipped_by_finding_the_next_magic() {
        let mut bytes = records(&[b"one", b"two", b"three"]);
        let second_len = frame(b"one").len() + 4;
        bytes[second_len..second_len + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let scan = scan(&bytes);
        assert_eq!(scan.payloads, vec![&b"one"[..], b"three"]);
        assert_eq!(scan.corrupt, 1);
    }

    proptest! {
        /// The journal reader's fuzz target: any bytes at all.
        #[test]
        fn arbitrary_bytes_never_panic_or_yield_a_bad_record(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let scan = scan(&bytes);
            for payload in &scan.payloads {
                prop_assert!(payload.len() <= MAX_PAYLOAD);
            }
            prop_assert!(scan.valid_len <= bytes.len());
        }

        /// Valid records with garbage spliced in: every record not touched by the garbage survives.
        #[test]
        fn garbage_between_records_costs_nothing_else(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..64), 1..8),
            garbage in proptest::collection::vec(any::<u8>(), 1..32),
            at in 0usize..8,
        ) {
            let at = at % payloads.len();
            let mut bytes = Vec::new();
            for (i, p) in payloads.iter().enumerate() {
                if i == at {
                    bytes.extend_from_slice(&garbage);
                }
                bytes.extend_from_slice(&frame(p));
            }
            let found = scan(&bytes);
            let expected: Vec<&[u8]> = payloads.iter().map(Vec::as_slice).collect();
            // Garbage that happens to hold the magic could swallow a record; it never invents one.
            for p in &found.payloads {
                prop_assert!(expected.contains(p));
            }
            if !garbage.windows(4).any(|w| w == MAGIC) && !garbage.ends_with(&MAGIC[..1]) {
                prop_assert_eq!(found.payloads, expected);
            }
        }
    }
}
