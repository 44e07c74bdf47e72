//! Payment card numbers and IMEIs: long digit runs that pass the Luhn check.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::{has_digit_run, pattern, replace, Found, PiiKind};

static LONG_NUMBER: LazyLock<Regex> =
    LazyLock::new(|| pattern(r"(?-u:\b)\d(?:[ -]?\d){12,18}(?-u:\b)"));

pub(super) fn may_hold_long_number(text: &str) -> bool {
    has_digit_run(text, 13)
}

pub(super) fn cards_and_imeis<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&LONG_NUMBER, text, found, |c| {
        let digits: Vec<u8> = c[0]
            .bytes()
            .filter(u8::is_ascii_digit)
            .map(|b| b - b'0')
            .collect();
        let kind = classify(&digits)?;
        Some((kind, kind.tag().to_owned()))
    })
}

/// The kind of personal data the digits of a whole number are, if any: what a number kept
/// as a number is checked for (its digits are never rewritten into text). Only kinds that
/// carry a check digit qualify, so counters, sizes and timestamps pass.
pub fn identifier_in_number(n: u64) -> Option<PiiKind> {
    let text = n.to_string();
    let digits: Vec<u8> = text.bytes().map(|b| b - b'0').collect();
    if digits.len() < 13 {
        return None;
    }
    classify(&digits)
}

/// An IMEI is 15 digits; a card number 13 to 19 with an issuer's prefix. Both end in a Luhn
/// check digit, which is what tells them from timestamps and counters (together with the
/// prefix: a millisecond timestamp starts with 1, which no card network uses).
fn classify(digits: &[u8]) -> Option<PiiKind> {
    if !luhn(digits) {
        return None;
    }
    let prefix2 = digits[0] * 10 + digits[1];
    let card_prefix =
        matches!(digits[0], 4 | 6) || matches!(prefix2, 22..=27 | 30 | 34..=38 | 51..=55);
    match digits.len() {
        15 if !matches!(prefix2, 34 | 37) => Some(PiiKind::Imei),
        13..=19 if card_prefix => Some(PiiKind::Card),
        _ => None,
    }
}

fn luhn(digits: &[u8]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 {
                    doubled - 9
                } else {
                    doubled
                }
            } else {
                d
            }
        })
        .sum();
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digits(s: &str) -> Vec<u8> {
        s.bytes().map(|b| b - b'0').collect()
    }

    #[test]
    fn luhn_and_classification() {
        assert!(luhn(&digits("4111111111111111")));
        assert!(!luhn(&digits("4111111111111112")));
        assert_eq!(classify(&digits("490154203237518")), Some(PiiKind::Imei));
        assert_eq!(
            classify(&digits("378282246310005")),
            Some(PiiKind::Card),
            "Amex is 15 digits too"
        );
        assert_eq!(classify(&digits("5555555555554444")), Some(PiiKind::Card));
        assert_eq!(classify(&digits("490154203237517")), None, "fails Luhn");
        assert_eq!(
            classify(&digits("1795359944414")),
            None,
            "a Luhn-valid ms timestamp is not a card"
        );
    }
}
