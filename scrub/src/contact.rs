//! Contact data: email addresses (also spelled out, `name at domain dot com`) and the phone
//! numbers that start with `+`, `00`, a trunk `0` or a bracketed area code. (Chinese and North
//! American numbers of plain digits are read with the other digit families, in
//! [`super::numbers`].)

use std::sync::LazyLock;

use regex::Regex;

use super::numbers::has_digit_run;
use super::{pattern, Families, PiiKind, Span};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)(?-u:\b)[a-z0-9._%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}(?-u:\b)",
    )
});

/// `name at domain dot com`, `name [at] domain [dot] com`, `name(at)domain(dot)co(dot)uk`:
/// the words `at` and `dot`, bracketed or between spaces, and a top-level domain people use.
static SPELLED_EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    let at = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+)";
    let dot = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\.)";
    let last_dot = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+)";
    pattern(&format!(
        r"(?i)(?-u:\b)[a-z0-9][a-z0-9._+-]*{at}[a-z0-9][a-z0-9-]*(?:{dot}[a-z0-9][a-z0-9-]*)*{last_dot}(?:com|net|org|edu|gov|info|biz|io|me|co|cn|hk|tw|jp|kr|sg|in|br|uk|de|fr|ru|us|ca|au)(?-u:\b)"
    ))
});

/// International numbers start with `+` or `00`; national ones are written with a trunk `0`
/// or a bracketed North American area code. Bare digit runs are left to the digit families,
/// which know which ones are phone numbers.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    // Each ends at a word boundary, so a number is never cut short in the middle of its digits.
    pattern(concat!(
        r"(?:\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,4}){1,5}",
        r"|(?-u:\b)00\d{1,3}[ .-]?\d{1,4}(?:[ .-]?\d{2,4}){1,5}",
        r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}",
        r"|(?-u:\b)0\d{1,4}[ /-]\d{3,8}(?:[ -]\d{2,4}){0,2})(?-u:\b)",
    ))
});

pub(super) fn may_hold_email(text: &str) -> bool {
    text.contains('@') || text.contains("dot") || text.contains("DOT") || text.contains("Dot")
}

/// What the phone patterns start with: `+` and a digit, `(` and three digits, or a `0` that
/// begins a run of at least seven digits (a trunk or international prefix).
pub(super) fn may_hold_phone(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        let next = |k: usize| bytes.get(i + k).is_some_and(u8::is_ascii_digit);
        match b {
            b'+' => next(1) && has_digit_run(&bytes[i + 1..(i + 24).min(bytes.len())], 7),
            b'(' => next(1) && next(2) && next(3) && bytes.get(i + 4) == Some(&b')'),
            b'0' if i == 0 || !bytes[i - 1].is_ascii_digit() => {
                let run = bytes[i + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if bytes.get(i + 1) == Some(&b'0') {
                    // `00` and a country code, which never starts with 0.
                    bytes.get(i + 2).is_some_and(|b| (b'1'..=b'9').contains(b))
                        && has_digit_run(&bytes[i..(i + 24).min(bytes.len())], 7)
                } else {
                    // A trunk `0`, one to four digits, and a separator before the rest.
                    (1..=4).contains(&run)
                        && matches!(bytes.get(i + 1 + run), Some(b' ' | b'/' | b'-'))
                        && bytes.get(i + 2 + run).is_some_and(u8::is_ascii_digit)
                }
            }
            _ => false,
        }
    })
}

pub(super) fn emails(text: &str, _: Families, found: &mut Vec<Span>) {
    let email = |m: regex::Match<'_>| Span {
        start: m.start(),
        end: m.end(),
        kind: PiiKind::Email,
    };
    if text.contains('@') {
        found.extend(EMAIL.find_iter(text).map(email));
    }
    let before = found.len();
    for m in SPELLED_EMAIL.find_iter(text) {
        let overlaps = found[..before]
            .iter()
            .any(|s| s.start < m.end() && m.start() < s.end);
        if !overlaps {
            found.push(email(m));
        }
    }
}

pub(super) fn phones(text: &str, _: Families, found: &mut Vec<Span>) {
    for m in PHONE.find_iter(text) {
        let number = m.as_str();
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        // A run glued to a dash or a word is part of a longer token (a UUID, a date range, an
        // identifier), not a number. Next to another family's claim it is still a number, as
        // it is next to that claim's tag when scrubbed text is read again.
        let glued = |c: Option<char>| {
            c.is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+'))
        };
        if glued(before) || glued(after) {
            continue;
        }
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        // E.164 allows at most 15 digits; fewer than 7 is an extension or a counter.
        if (7..=15).contains(&digits) {
            found.push(Span {
                start: m.start(),
                end: m.end(),
                kind: PiiKind::Phone,
            });
        }
    }
}
