//! Free-text scrubbing: personal data found in text is replaced by a bracketed tag naming
//! what was removed, so the rest of the text stays readable.
//!
//! Detection runs on a normalized view of the text ([`view`]: full-width forms folded to
//! ASCII, zero-width characters dropped, `%XX` escapes decoded), so personal data typed by a
//! Chinese input method or disguised on purpose reads the same as plain ASCII; each match is
//! mapped back to exactly the original characters it covers, and those are replaced.
//!
//! Families run in a fixed order, each blind to what an earlier one claimed, so a token inside a
//! URL is gone before the email family could mistake `user:pass@host` for an address, and an
//! IP address is never read as a phone number: credentials and secrets (JWTs, bearer tokens,
//! URL credentials and queries, `key=value` secrets), emails, home paths, UUID-shaped IDs, MAC
//! and IP addresses, identifiers with letters (IBAN, Hong Kong and Taiwan IDs), identifiers made
//! of digits ([`numbers`]: cards, IMEIs, national numbers, Chinese and North American phone
//! numbers), then other phone numbers. Every family that has a check digit or a structure rule
//! is validated by it ([`checks`]), which is what tells an identifier from a timestamp, an
//! order number or a build number. [`PiiKind::describe`] says what each family finds.
//!
//! Patterns use the `regex` crate, which matches in linear time; the digit scanner is one pass;
//! each family first checks for a byte its matches must contain, so clean text skips most of
//! the work. Word boundaries are ASCII (`(?-u:\b)`): a Unicode boundary stops the fast engine at
//! the first non-ASCII byte, and does not separate Chinese characters from digits.

mod checks;
mod contact;
mod identifiers;
mod kind;
mod network;
mod numbers;
mod paths;
mod secrets;
mod tokens;
mod view;

use std::borrow::Cow;

use regex::Regex;

pub use kind::{Families, PiiKind, UnknownFamily};
pub use numbers::{identifier_in_number, integer_digits};
use view::View;

/// Personal data found: a byte range and its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub kind: PiiKind,
}

/// Scrubbed text and what was found in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scrubbed<'a> {
    pub text: Cow<'a, str>,
    /// How many of each kind were replaced; only kinds found appear, in the order first found.
    pub found: Vec<(PiiKind, u32)>,
    /// Where each was, in the original text, in order.
    pub spans: Vec<Span>,
}

impl Scrubbed<'_> {
    /// How many pieces of personal data were replaced in all.
    pub fn removed(&self) -> u32 {
        self.found.iter().map(|(_, n)| n).sum()
    }
}

/// Returns `text` with personal data replaced by tags; borrows when nothing matched.
pub fn scrub(text: &str) -> Cow<'_, str> {
    scrub_report(text).text
}

/// [`scrub`], also saying what was found.
pub fn scrub_report(text: &str) -> Scrubbed<'_> {
    scrub_with(text, Families::ALL)
}

/// How many times scrubbed text is read again at most (see [`scrub_with`]).
const READINGS: usize = 4;

/// [`scrub_report`] with only the `families` given.
///
/// Scrubbed text is read again until nothing more is found: a family that ran early can find
/// something only once a later one's finding is a tag (`[phone]::1` reads as an address once
/// the digits before it are gone). The collector reads what arrives once, with the same rules,
/// and must find nothing, so what leaves the device is where reading stops changing it. The
/// first reading almost always finds everything; `spans` are that reading's, and `found`
/// counts every reading's.
pub fn scrub_with(text: &str, families: Families) -> Scrubbed<'_> {
    let mut scrubbed = read(text, families);
    for _ in 1..READINGS {
        if scrubbed.spans.is_empty() {
            break;
        }
        let again = read(&scrubbed.text, families);
        if again.spans.is_empty() {
            break;
        }
        for (kind, n) in again.found {
            match scrubbed.found.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, total)) => *total += n,
                None => scrubbed.found.push((kind, n)),
            }
        }
        scrubbed.text = Cow::Owned(again.text.into_owned());
    }
    scrubbed
}

/// One reading: every family over the normalized view, and the tags put in.
fn read(text: &str, families: Families) -> Scrubbed<'_> {
    let view = View::new(text);
    let mut work = Work::new(&view.text);
    for family in FAMILIES {
        if family.kinds.iter().any(|&k| families.contains(k)) && (family.may_match)(&work.text) {
            let before = work.spans.len();
            (family.find)(&work.text, families, &mut work.spans);
            work.claim_from(before);
        }
    }
    render(text, &view, work.spans)
}

/// Whether `n` occurrences of `byte` fall within `span` bytes somewhere in `text`: the
/// separators a pattern needs must be close together, which a long text with the separator
/// scattered through it (dashes in dates, colons in times) rarely has.
fn close_together(text: &str, byte: u8, n: usize, span: usize) -> bool {
    // The positions of the last `n` occurrences, as a ring.
    let mut ring = [0usize; 8];
    let n = n.clamp(1, ring.len());
    let mut seen = 0;
    for (i, b) in text.bytes().enumerate() {
        if b != byte {
            continue;
        }
        ring[seen % n] = i;
        seen += 1;
        // The oldest of the last `n` is the next slot to be overwritten.
        if seen >= n && i - ring[seen % n] < span {
            return true;
        }
    }
    false
}

/// Compiles a pattern that is a constant of this module.
fn pattern(re: &str) -> Regex {
    Regex::new(re).expect("scrub patterns are valid")
}

/// What an earlier family's claim reads as to later ones.
const MASK: char = '\u{1}';

/// Whether `text` is exactly a tag: what an earlier scrub left, not data to scrub again.
fn is_tag(text: &str) -> bool {
    text.starts_with('[') && text.ends_with(']')
}

/// One family's detector: the kinds it reports, a cheap test that the text could hold a
/// match, and the search, which pushes spans (view coordinates) for what it finds.
struct Family {
    kinds: &'static [PiiKind],
    may_match: fn(&str) -> bool,
    find: fn(&str, Families, &mut Vec<Span>),
}

const FAMILIES: &[Family] = &[
    Family {
        kinds: &[PiiKind::Jwt],
        may_match: secrets::may_hold_jwt,
        find: secrets::jwts,
    },
    Family {
        kinds: &[PiiKind::Token],
        may_match: secrets::may_hold_bearer,
        find: secrets::bearer_tokens,
    },
    Family {
        kinds: &[PiiKind::Credentials],
        may_match: secrets::may_hold_credentials,
        find: secrets::url_credentials,
    },
    Family {
        kinds: &[PiiKind::Query],
        may_match: secrets::may_hold_query,
        find: secrets::url_queries,
    },
    Family {
        kinds: &[PiiKind::Secret],
        may_match: secrets::may_hold_pair,
        find: secrets::secret_pairs,
    },
    Family {
        kinds: &[PiiKind::Email],
        may_match: contact::may_hold_email,
        find: contact::emails,
    },
    Family {
        kinds: &[PiiKind::UserPath],
        may_match: paths::may_hold_home,
        find: paths::home_paths,
    },
    Family {
        kinds: &[PiiKind::Id],
        may_match: identifiers::may_hold_uuid,
        find: identifiers::uuids,
    },
    Family {
        kinds: &[PiiKind::Mac],
        may_match: network::may_hold_mac,
        find: network::macs,
    },
    Family {
        kinds: &[PiiKind::Ip],
        may_match: network::may_hold_ip,
        find: network::ips,
    },
    Family {
        kinds: &[
            PiiKind::Id,
            PiiKind::Mac,
            PiiKind::Iban,
            PiiKind::HkId,
            PiiKind::TwId,
        ],
        may_match: tokens::may_hold,
        find: tokens::find,
    },
    Family {
        kinds: &[
            PiiKind::CnResidentId,
            PiiKind::Card,
            PiiKind::Imei,
            PiiKind::CnMobile,
            PiiKind::UsSsn,
            PiiKind::InAadhaar,
            PiiKind::JpMyNumber,
            PiiKind::BrCpf,
            PiiKind::Phone,
        ],
        may_match: numbers::may_hold,
        find: numbers::find,
    },
    Family {
        kinds: &[PiiKind::Phone],
        may_match: contact::may_hold_phone,
        find: contact::phones,
    },
];

/// The view as the families see it: what earlier families claimed is masked (each byte
/// replaced by `\x01`, which no pattern matches and which splits words), so a later family can
/// neither match inside a claim nor across one, and positions stay those of the view.
struct Work<'v> {
    text: Cow<'v, str>,
    spans: Vec<Span>,
}

impl<'v> Work<'v> {
    fn new(view: &'v str) -> Work<'v> {
        Work {
            text: Cow::Borrowed(view),
            spans: Vec::new(),
        }
    }

    /// Masks the spans found from index `from` on.
    fn claim_from(&mut self, from: usize) {
        if self.spans.len() == from {
            return;
        }
        let mut bytes = std::mem::take(&mut self.text).into_owned().into_bytes();
        for span in &self.spans[from..] {
            bytes[span.start..span.end].fill(MASK as u8);
        }
        // Whole characters were replaced by ASCII bytes: still UTF-8.
        self.text = Cow::Owned(String::from_utf8(bytes).unwrap_or_default());
    }
}

/// Replaces each span's original characters by its tag.
fn render<'t>(text: &'t str, view: &View<'_>, spans: Vec<Span>) -> Scrubbed<'t> {
    if spans.is_empty() {
        return Scrubbed {
            text: Cow::Borrowed(text),
            found: Vec::new(),
            spans: Vec::new(),
        };
    }
    let mut original: Vec<Span> = spans
        .into_iter()
        .map(|s| {
            let (start, end) = view.original(s.start, s.end);
            Span { start, end, ..s }
        })
        .collect();
    original.sort_by_key(|s| (s.start, s.end));
    let mut found: Vec<(PiiKind, u32)> = Vec::new();
    let mut merged: Vec<Span> = Vec::with_capacity(original.len());
    for span in original {
        match found.iter_mut().find(|(k, _)| *k == span.kind) {
            Some((_, n)) => *n += 1,
            None => found.push((span.kind, 1)),
        }
        // Two matches can touch one original character (a ligature split between them).
        match merged.last_mut() {
            Some(last) if span.start < last.end => last.end = last.end.max(span.end),
            _ => merged.push(span),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for span in &merged {
        out.push_str(&text[at..span.start]);
        out.push_str(span.kind.tag());
        at = span.end;
    }
    out.push_str(&text[at..]);
    Scrubbed {
        text: Cow::Owned(out),
        found,
        spans: merged,
    }
}

#[cfg(test)]
mod tests;
