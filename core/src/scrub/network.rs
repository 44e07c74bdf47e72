//! Network addresses: MAC addresses, and IPv4/IPv6 addresses that really parse as such.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

use super::{pattern, replace, Found, PiiKind};

static MAC: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)(?-u:\b)(?:[0-9a-f]{2}(?::[0-9a-f]{2}){5}|[0-9a-f]{2}(?:-[0-9a-f]{2}){5}|[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4})(?-u:\b)",
    )
});
static IPV4: LazyLock<Regex> = LazyLock::new(|| pattern(r"\d{1,3}(?:\.\d{1,3}){3}"));
static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    pattern(
        r"(?i)(?:[0-9a-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9a-f]{0,4})(?:%[0-9a-z_.-]+)?",
    )
});

/// Words after which a dotted quad is a version, not an address.
const VERSION_WORDS: [&str; 4] = ["version", "ver", "build", "release"];

// The prefilters count the separators the patterns need, so ordinary text with a hyphen or a
// dot (names, versions, sentences) skips the regexes.
pub(super) fn may_hold_mac(text: &str) -> bool {
    super::at_least(text, b':', 5)
        || super::at_least(text, b'-', 5)
        || super::at_least(text, b'.', 2)
}

pub(super) fn may_hold_ip(text: &str) -> bool {
    super::at_least(text, b'.', 3) || super::at_least(text, b':', 2)
}

pub(super) fn macs<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&MAC, text, found, |_| {
        Some((PiiKind::Mac, PiiKind::Mac.tag().to_owned()))
    })
}

pub(super) fn ips<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    let v6 = replace(&IPV6, text, found, |c| {
        let m = c.get(0)?;
        let (before, after) = (
            text[..m.start()].chars().next_back(),
            text[m.end()..].chars().next(),
        );
        let standalone = !before
            .is_some_and(|b| b.is_alphanumeric() || matches!(b, ':' | '.' | '_'))
            && !after.is_some_and(|a| a.is_alphanumeric() || matches!(a, ':' | '_'));
        let address = m.as_str().split('%').next().unwrap_or_default();
        // Real addresses carry a digit somewhere; `a::b` or `dead::beef` are far likelier to be
        // code paths than addresses.
        let has_digit = address.bytes().any(|b| b.is_ascii_digit());
        (standalone && has_digit && address.parse::<Ipv6Addr>().is_ok())
            .then(|| (PiiKind::Ip, PiiKind::Ip.tag().to_owned()))
    });
    let v6_text: &str = &v6;
    let v4 = replace(&IPV4, v6_text, found, |c| {
        let m = c.get(0)?;
        let before = &v6_text[..m.start()];
        let after = &v6_text[m.end()..];
        // Part of a longer dotted token (a five-part version, a hostname) is not an address.
        let glued_before = before
            .chars()
            .next_back()
            .is_some_and(|b| b.is_alphanumeric() || matches!(b, '.' | '_'));
        let mut rest = after.chars();
        let glued_after = match rest.next() {
            Some('.') => rest.next().is_some_and(|n| n.is_ascii_digit()),
            Some(a) => a.is_alphanumeric() || a == '_',
            None => false,
        };
        let word_before = before
            .trim_end_matches([' ', ':', '='])
            .to_ascii_lowercase();
        let is_version = VERSION_WORDS.iter().any(|w| word_before.ends_with(w));
        let parses = m.as_str().parse::<Ipv4Addr>().is_ok();
        (parses && !glued_before && !glued_after && !is_version)
            .then(|| (PiiKind::Ip, PiiKind::Ip.tag().to_owned()))
    });
    match v4 {
        Cow::Owned(s) => Cow::Owned(s),
        Cow::Borrowed(_) => v6,
    }
}
