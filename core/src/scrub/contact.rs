//! Contact data: email addresses and phone numbers.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::{has_digit_run, pattern, replace, Found, PiiKind};

static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)(?-u:\b)[a-z0-9._%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,}(?-u:\b)",
    )
});

/// International numbers start with `+`; national ones are written with a trunk `0` or in
/// North American `(202) 555-0143` / `202-555-0143` shapes. Bare digit runs are not phone
/// numbers here: too much crash text (timestamps, counters) looks like them.
static PHONE: LazyLock<Regex> = LazyLock::new(|| {
    pattern(concat!(
        r"(?:^|[^\w+])(",
        r"\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?)(?:[ .-]?\d{2,4}){1,5}",
        r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}",
        r"|\d{3}[-.]\d{3}[-.]\d{4}",
        r"|0\d{1,4}[ /-]\d{3,8}(?:[ -]\d{2,4}){0,2}",
        r")(?-u:\b)",
    ))
});

pub(super) fn may_hold_email(text: &str) -> bool {
    text.contains('@')
}

pub(super) fn may_hold_phone(text: &str) -> bool {
    has_digit_run(text, 7)
}

pub(super) fn emails<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&EMAIL, text, found, |_| {
        Some((PiiKind::Email, PiiKind::Email.tag().to_owned()))
    })
}

pub(super) fn phones<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&PHONE, text, found, |c| {
        let (whole, number) = (c.get(0)?, c.get(1)?);
        // A run glued to a dash is part of a longer token (a UUID, a date range), not a number.
        let glued = text[..number.start()].ends_with('-') || text[number.end()..].starts_with('-');
        let (whole, number) = (whole.as_str(), number.as_str());
        if glued {
            return None;
        }
        let digits = number.bytes().filter(u8::is_ascii_digit).count();
        // E.164 allows at most 15 digits; fewer than 7 is an extension or a counter.
        if !(7..=15).contains(&digits) {
            return None;
        }
        let prefix = &whole[..whole.len() - number.len()];
        Some((PiiKind::Phone, format!("{prefix}{}", PiiKind::Phone.tag())))
    })
}
