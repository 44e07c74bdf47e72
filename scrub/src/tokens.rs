//! Identifiers that are one word of letters and digits, found in a single pass over the words
//! of the text rather than one regex each (a pass of the regex engine over all the text per
//! pattern is what clean text pays most for): UUIDs and MAC addresses written without
//! separators, IBANs (which may go on in groups of four), and the identity card numbers of
//! Hong Kong and Taiwan. A word is a run of ASCII letters, digits and `_`, as `\b` sees it.

use super::{checks, Families, PiiKind, Span};

/// The shortest word any of these families starts with: an IBAN's first group of four.
const SHORTEST: usize = 4;

pub(super) fn may_hold(text: &str) -> bool {
    let mut run = 0;
    text.bytes().any(|b| {
        run = if is_word(b) { run + 1 } else { 0 };
        run >= SHORTEST
    })
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

pub(super) fn find(text: &str, families: Families, found: &mut Vec<Span>) {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !is_word(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_word(bytes[i]) {
            i += 1;
        }
        if i - start < SHORTEST {
            continue;
        }
        if let Some(span) = word(bytes, start, i, families) {
            i = i.max(span.end);
            found.push(span);
        }
    }
}

/// The identifier the word `start..end` is (or begins, for an IBAN in groups), if any.
fn word(bytes: &[u8], start: usize, end: usize, families: Families) -> Option<Span> {
    let w = &bytes[start..end];
    let on = |kind| families.contains(kind);
    let span = |end, kind| Some(Span { start, end, kind });
    let hex = w.iter().all(u8::is_ascii_hexdigit);
    // Without dashes, a random (version 4) UUID, which advertising and vendor IDs are: the
    // version and variant digits tell it from a hash but one time in 64.
    if on(PiiKind::Id)
        && w.len() == 32
        && hex
        && w[12] == b'4'
        && matches!(w[16], b'8' | b'9' | b'a' | b'b' | b'A' | b'B')
    {
        return span(end, PiiKind::Id);
    }
    // Twelve hex digits, letters and digits both among them, not a `0x` number: a MAC
    // address without separators.
    let prefixed = start >= 2 && matches!(&bytes[start - 2..start], b"0x" | b"0X");
    if on(PiiKind::Mac)
        && w.len() == 12
        && hex
        && !prefixed
        && w.iter().any(u8::is_ascii_digit)
        && w.iter().any(u8::is_ascii_alphabetic)
    {
        return span(end, PiiKind::Mac);
    }
    if on(PiiKind::Iban)
        && w[..2].iter().all(u8::is_ascii_alphabetic)
        && w[2..4].iter().all(u8::is_ascii_digit)
    {
        if let Some(end) = iban_end(bytes, start) {
            return span(end, PiiKind::Iban);
        }
    }
    if on(PiiKind::TwId) && w.len() == 10 && checks::tw_id(w) {
        return span(end, PiiKind::TwId);
    }
    if on(PiiKind::HkId) {
        // `A123456(3)`: the check character in brackets after the word.
        let bracketed = matches!(bytes.get(end..end + 3), Some([b'(', c, b')']) if c.is_ascii_digit() || *c == b'A')
            && !bytes.get(end + 3).is_some_and(|&b| is_word(b));
        if bracketed && matches!(w.len(), 7 | 8) {
            let mut id = w.to_vec();
            id.push(bytes[end + 1]);
            if checks::hk_id(&id) {
                return span(end + 3, PiiKind::HkId);
            }
        }
        if matches!(w.len(), 8 | 9) && checks::hk_id(w) {
            return span(end, PiiKind::HkId);
        }
    }
    None
}

/// Where the IBAN starting at `start` ends: its country's number of letters and digits,
/// single spaces allowed between them (print groups of four), then no further letter or
/// digit; `None` if that does not pass the check.
fn iban_end(bytes: &[u8], start: usize) -> Option<usize> {
    let country = [
        bytes[start].to_ascii_uppercase(),
        bytes[start + 1].to_ascii_uppercase(),
    ];
    let length = checks::iban_length(&country)?;
    let mut chars = Vec::with_capacity(length);
    let mut i = start;
    while chars.len() < length {
        match bytes.get(i) {
            Some(b) if b.is_ascii_alphanumeric() => {
                chars.push(b.to_ascii_uppercase());
                i += 1;
            }
            Some(b' ') if bytes.get(i + 1).is_some_and(u8::is_ascii_alphanumeric) => i += 1,
            _ => return None,
        }
    }
    let boundary = !bytes.get(i).is_some_and(|&b| is_word(b));
    (boundary && checks::iban(&chars)).then_some(i)
}
