//! Identifiers made of digits: payment cards, IMEIs, national identity numbers and phone
//! numbers of the shapes that carry no other mark.
//!
//! One pass finds runs of digit groups (digits, with single spaces, dashes or dots between
//! groups); each run is read left to right, taking at each group the longest window of groups
//! that a family accepts, in its written shapes only (a card in fours, a Chinese mobile number
//! as 3-4-4, an SSN as 3-2-4), and with its check digit or structure rule ([`super::checks`]).
//! A window never holds more than 22 digits, so the pass is linear in the text. Digits may be
//! glued to letters (`imei490154203237518`) unless the letters make a hexadecimal token
//! (`0x7fff…`, `deadbeef…`), whose digits are not identifiers.

use super::checks;
use super::{Families, PiiKind, Span};

/// The most digits any family's window holds (`0086` and an 11-digit number, a 19-digit card).
const MAX_DIGITS: usize = 22;
/// The fewest digits any family's window holds (an SSN).
const MIN_DIGITS: usize = 9;
/// How far a token is followed to tell whether it is hexadecimal.
const TOKEN_LOOK: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

/// Whether `text` holds a run of at least `n` digits, with single separators (` `, `-`, `.`,
/// brackets) between them: the cheapest test that a number-shaped rule can match.
pub(super) fn has_digit_run(text: &[u8], n: usize) -> bool {
    let mut run = 0;
    let mut last_was_separator = false;
    for &b in text {
        if b.is_ascii_digit() {
            run += 1;
            last_was_separator = false;
            if run >= n {
                return true;
            }
        } else if matches!(b, b' ' | b'-' | b'.' | b'(' | b')') && run > 0 && !last_was_separator {
            last_was_separator = true;
        } else {
            run = 0;
            last_was_separator = false;
        }
    }
    false
}

pub(super) fn may_hold(text: &str) -> bool {
    has_digit_run(text.as_bytes(), 9)
}

/// Finds the identifiers made of digits in `view`.
pub(super) fn find(view: &str, families: Families, found: &mut Vec<Span>) {
    let bytes = view.as_bytes();
    let mut i = 0;
    let mut groups: Vec<Group> = Vec::new();
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        groups.clear();
        loop {
            let start = i;
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            groups.push(Group { start, end: i });
            let continues = matches!(bytes.get(i), Some(b' ' | b'-' | b'.'))
                && bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            if !continues {
                break;
            }
            i += 1;
        }
        // The shortest identifier made of digits has nine (an SSN): most runs in text (line
        // numbers, counts, times) are shorter and cost nothing more.
        let digits: usize = groups.iter().map(|g| g.end - g.start).sum();
        if digits >= MIN_DIGITS {
            read_run(bytes, &groups, families, found);
        }
    }
}

/// Reads one run of groups left to right, taking the longest window a family accepts.
fn read_run(bytes: &[u8], groups: &[Group], families: Families, found: &mut Vec<Span>) {
    let mut i = 0;
    while i < groups.len() {
        let mut best = None;
        let mut total = 0;
        for j in i..groups.len() {
            total += groups[j].end - groups[j].start;
            if total > MAX_DIGITS {
                break;
            }
            if total < MIN_DIGITS || cuts_a_pattern(bytes, groups, i, j) {
                continue;
            }
            let last_of_run = j + 1 == groups.len();
            if let Some(span) = classify(bytes, &groups[i..=j], last_of_run, families) {
                best = Some((j, span));
            }
        }
        match best {
            Some((j, span)) => {
                found.push(span);
                i = j + 1;
            }
            None => i += 1,
        }
    }
}

/// Whether the grouped window `i..=j` is a piece cut out of a longer regular grouping (the
/// middle groups of an IBAN or of a longer number in fours): a neighbouring group of the same
/// size behind the same separator continues it.
fn cuts_a_pattern(bytes: &[u8], groups: &[Group], i: usize, j: usize) -> bool {
    if i == j {
        return false;
    }
    let len = |g: Group| g.end - g.start;
    let sep_before = |k: usize| bytes[groups[k].start - 1];
    let sep = sep_before(i + 1);
    let continues_after =
        j + 1 < groups.len() && sep_before(j + 1) == sep && len(groups[j + 1]) == len(groups[j]);
    let continues_before = i > 0 && sep_before(i) == sep && len(groups[i - 1]) == len(groups[i]);
    continues_after || continues_before
}

/// A window of groups as a family sees it.
struct Window<'a> {
    bytes: &'a [u8],
    shape: Vec<usize>,
    /// The separators between the groups.
    seps: Vec<u8>,
    digits: Vec<u8>,
    start: usize,
    end: usize,
}

impl Window<'_> {
    fn before(&self) -> Option<u8> {
        self.start.checked_sub(1).map(|i| self.bytes[i])
    }

    fn after(&self) -> Option<u8> {
        self.bytes.get(self.end).copied()
    }

    fn shaped(&self, shape: &[usize]) -> bool {
        self.shape == shape
    }

    /// One unbroken group, or the given grouping with one separator throughout.
    fn single_or(&self, grouped: &[usize]) -> bool {
        self.shape.len() == 1
            || (self.shaped(grouped) && self.seps.windows(2).all(|w| w[0] == w[1]))
    }

    fn span(&self, kind: PiiKind) -> Span {
        Span {
            start: self.start,
            end: self.end,
            kind,
        }
    }

    /// The span with the `+` before it, if there is one.
    fn with_plus(&self, kind: PiiKind) -> Span {
        let start = if self.before() == Some(b'+') {
            self.start - 1
        } else {
            self.start
        };
        Span {
            start,
            end: self.end,
            kind,
        }
    }
}

fn classify(bytes: &[u8], groups: &[Group], last_of_run: bool, families: Families) -> Option<Span> {
    let first = groups[0];
    let last = groups[groups.len() - 1];
    let mut w = Window {
        bytes,
        shape: groups.iter().map(|g| g.end - g.start).collect(),
        seps: groups[1..].iter().map(|g| bytes[g.start - 1]).collect(),
        digits: groups
            .iter()
            .flat_map(|g| bytes[g.start..g.end].iter().map(|b| b - b'0'))
            .collect(),
        start: first.start,
        end: last.end,
    };
    // No identifier is one digit over and over (`0000 0000 0000`, a zeroed field).
    if in_hex_token(bytes, w.start, w.end) || w.digits.iter().all(|&d| d == w.digits[0]) {
        return None;
    }
    let on = |kind| families.contains(kind);
    // After a `+` only a phone number can follow: a Luhn-valid run there is a number that
    // happens to pass, not a card.
    if w.before() == Some(b'+') {
        return on(PiiKind::CnMobile)
            .then(|| cn_mobile(&w))
            .flatten()
            .or_else(|| on(PiiKind::Phone).then(|| nanp(&w)).flatten());
    }
    // The 18th character of a resident identity number may be `X`.
    if on(PiiKind::CnResidentId)
        && last_of_run
        && w.digits.len() == 17
        && matches!(w.after(), Some(b'X' | b'x'))
        && (w.shape.len() == 1 || w.shaped(&[6, 8, 3]))
    {
        let mut text: Vec<u8> = w.digits.iter().map(|d| d + b'0').collect();
        text.push(b'X');
        if checks::cn_resident_id(&text) && !glued_after(bytes, w.end + 1) {
            w.end += 1;
            return Some(w.span(PiiKind::CnResidentId));
        }
    }
    let text: Vec<u8> = w.digits.iter().map(|d| d + b'0').collect();
    let n = w.digits.len();
    if on(PiiKind::CnResidentId)
        && n == 18
        && w.single_or(&[6, 8, 4])
        && checks::cn_resident_id(&text)
    {
        return Some(w.span(PiiKind::CnResidentId));
    }
    // Fifteen digits are an IMEI unless American Express's prefix says card, or the Luhn
    // check fails and they read as the legacy resident identity number (issued until 2004,
    // and its province codes overlap the IMEI's commonest prefixes).
    if on(PiiKind::Imei)
        && (w.shape.len() == 1 || w.shaped(&[2, 6, 6, 1]) || w.shaped(&[8, 6, 1]))
        && checks::imei(&w.digits)
    {
        return Some(w.span(PiiKind::Imei));
    }
    if on(PiiKind::CnResidentId)
        && n == 15
        && w.single_or(&[6, 6, 3])
        && checks::cn_resident_id(&text)
    {
        return Some(w.span(PiiKind::CnResidentId));
    }
    if on(PiiKind::Card) && card_shape(&w) && checks::card(&w.digits) {
        return Some(w.span(PiiKind::Card));
    }
    if on(PiiKind::CnMobile) {
        if let Some(span) = cn_mobile(&w) {
            return Some(span);
        }
    }
    if on(PiiKind::UsSsn)
        && w.shaped(&[3, 2, 4])
        && w.seps[0] == w.seps[1]
        && matches!(w.seps[0], b'-' | b' ')
        && checks::us_ssn(&w.digits)
    {
        return Some(w.span(PiiKind::UsSsn));
    }
    if n == 12 && w.single_or(&[4, 4, 4]) {
        if on(PiiKind::InAadhaar) && checks::in_aadhaar(&w.digits) {
            return Some(w.span(PiiKind::InAadhaar));
        }
        if on(PiiKind::JpMyNumber) && checks::jp_my_number(&w.digits) {
            return Some(w.span(PiiKind::JpMyNumber));
        }
    }
    if on(PiiKind::BrCpf)
        && (w.shape.len() == 1 || (w.shaped(&[3, 3, 3, 2]) && w.seps == [b'.', b'.', b'-']))
        && checks::br_cpf(&w.digits)
    {
        return Some(w.span(PiiKind::BrCpf));
    }
    if on(PiiKind::Phone) {
        return nanp(&w);
    }
    None
}

/// Cards are written whole, in fours (the last group shorter), or as American Express and
/// Diners Club print them (4-6-5, 4-6-4).
fn card_shape(w: &Window<'_>) -> bool {
    let shape = &w.shape;
    let in_fours = shape.len() >= 3
        && shape[..shape.len() - 1].iter().all(|&g| g == 4)
        && (1..=4).contains(&shape[shape.len() - 1]);
    shape.len() == 1 || in_fours || w.shaped(&[4, 6, 5]) || w.shaped(&[4, 6, 4])
}

/// A mainland China mobile number, bare (11 digits, 3-4-4) or after `+86` or `0086`.
fn cn_mobile(w: &Window<'_>) -> Option<Span> {
    let d = &w.digits;
    let bare = |shape: &[usize]| w.shape.len() == 1 || w.shaped(shape);
    if d.len() == 11 && bare(&[3, 4, 4]) && checks::cn_mobile(d) {
        return Some(w.span(PiiKind::CnMobile));
    }
    let plus = w.before() == Some(b'+');
    let national = if d.starts_with(&[0, 0, 8, 6]) && d.len() == 15 {
        w.shape.len() == 1 || w.shaped(&[4, 11]) || w.shaped(&[4, 3, 4, 4])
    } else if d.starts_with(&[8, 6]) && d.len() == 13 && plus {
        w.shape.len() == 1 || w.shaped(&[2, 11]) || w.shaped(&[2, 3, 4, 4])
    } else {
        false
    };
    (national && checks::cn_mobile(&d[d.len() - 11..])).then(|| w.with_plus(PiiKind::CnMobile))
}

/// A North American number: `202-555-0143`, `202.555.0143`, `202 555 0143`, `+1 202 555 0143`,
/// or ten bare digits standing alone (not glued to letters, dots, dashes or slashes: a
/// bare run inside a longer token is an order or build number).
fn nanp(w: &Window<'_>) -> Option<Span> {
    let d = &w.digits;
    let same_seps = w.seps.windows(2).all(|s| s[0] == s[1]);
    let grouped = same_seps && matches!(w.seps.first(), Some(b'-' | b'.' | b' '));
    if d.len() == 10 && checks::nanp(d) {
        if w.shaped(&[3, 3, 4]) && grouped {
            return Some(w.span(PiiKind::Phone));
        }
        let alone = |b: Option<u8>| {
            !b.is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'/'))
        };
        if w.shape.len() == 1
            && alone(w.before())
            && alone(w.after())
            && !date_like(d)
            && !after_counter_word(&w.bytes[..w.start])
        {
            return Some(w.span(PiiKind::Phone));
        }
    }
    if d.len() == 11 && d[0] == 1 && checks::nanp(&d[1..]) {
        let plus = w.before() == Some(b'+');
        if (w.shaped(&[1, 3, 3, 4]) && grouped) || (w.shape.len() == 1 && plus) {
            return Some(w.with_plus(PiiKind::Phone));
        }
    }
    None
}

/// Ten digits that read as a date and hour, `YYYYMMDDHH`: a build or version code.
fn date_like(d: &[u8]) -> bool {
    let n = |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |n, &x| n * 10 + u32::from(x));
    (1990..=2099).contains(&n(0..4))
        && (1..=12).contains(&n(4..6))
        && (1..=31).contains(&n(6..8))
        && n(8..10) <= 23
}

/// Words after which ten bare digits count something (a build, an order, a ticket) rather
/// than reach someone.
const COUNTER_WORDS: [&str; 12] = [
    "build",
    "version",
    "versioncode",
    "code",
    "order",
    "ref",
    "no",
    "id",
    "number",
    "invoice",
    "ticket",
    "serial",
];

/// Whether the word just before (skipping `: = # (` and spaces) is a [`COUNTER_WORDS`] one.
/// Only the last 24 bytes are read, so a text of many numbers stays linear.
fn after_counter_word(before: &[u8]) -> bool {
    let tail = &before[before.len().saturating_sub(24)..];
    let trimmed = tail
        .iter()
        .rposition(|b| !matches!(b, b' ' | b':' | b'=' | b'#' | b'('))
        .map_or(&tail[..0], |end| &tail[..=end]);
    let word_start = trimmed
        .iter()
        .rposition(|b| !b.is_ascii_alphanumeric())
        .map_or(0, |i| i + 1);
    let word = trimmed[word_start..].to_ascii_lowercase();
    COUNTER_WORDS
        .iter()
        .any(|w| w.as_bytes() == word.as_slice())
}

fn glued_after(bytes: &[u8], at: usize) -> bool {
    bytes.get(at).is_some_and(u8::is_ascii_alphanumeric)
}

/// Whether the digits at `start..end` sit in a hexadecimal token: one starting `0x`, or made
/// only of hex digits with at least one letter among them.
fn in_hex_token(bytes: &[u8], start: usize, end: usize) -> bool {
    let alnum = |b: &u8| b.is_ascii_alphanumeric();
    let before = bytes[start.saturating_sub(TOKEN_LOOK)..start]
        .iter()
        .rev()
        .take_while(|b| alnum(b))
        .count();
    let after = bytes[end..(end + TOKEN_LOOK).min(bytes.len())]
        .iter()
        .take_while(|b| alnum(b))
        .count();
    if before == 0 && after == 0 {
        return false;
    }
    let token = &bytes[start - before..end + after];
    if token.len() > 2 && matches!(&token[..2], b"0x" | b"0X") {
        return true;
    }
    token.iter().all(u8::is_ascii_hexdigit) && token.iter().any(u8::is_ascii_alphabetic)
}

/// The integer digits of a finite double, when they fit a `u64`: what [`identifier_in_number`]
/// reads of a double, on the device and at the collector alike (its fraction digits are never
/// read).
pub fn integer_digits(d: f64) -> Option<u64> {
    let whole = d.abs().trunc();
    // 2^64: every smaller whole double converts exactly.
    if !(d.is_finite() && whole < 18_446_744_073_709_551_616.0) {
        return None;
    }
    // Whole, not negative and below 2^64 (checked above): the cast is exact.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = whole as u64;
    Some(n)
}

/// A family's check over a number's digits (as values, and as ASCII text).
type NumberCheck = fn(&[u8], &[u8]) -> bool;

/// The family whose identifiers the digits of a whole number are, if any: what a number kept
/// as a number is checked for (its digits are never rewritten into text). Only families with a
/// check digit or a structure rule strict enough qualify, so counters, sizes and timestamps pass.
pub fn identifier_in_number(n: u64, families: Families) -> Option<PiiKind> {
    let text = n.to_string();
    let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
    let on = |kind| families.contains(kind);
    let checks: [(PiiKind, NumberCheck); 6] = [
        (PiiKind::Card, |d, _| checks::card(d)),
        (PiiKind::Imei, |d, _| checks::imei(d)),
        (PiiKind::CnResidentId, |_, t| checks::cn_resident_id(t)),
        (PiiKind::InAadhaar, |d, _| checks::in_aadhaar(d)),
        (PiiKind::JpMyNumber, |d, _| checks::jp_my_number(d)),
        (PiiKind::BrCpf, |d, _| checks::br_cpf(d)),
    ];
    checks
        .into_iter()
        .find(|&(kind, check)| on(kind) && check(&digits, text.as_bytes()))
        .map(|(kind, _)| kind)
}
