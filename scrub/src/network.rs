//! Network addresses: MAC addresses with separators (without, they are found with the other
//! one-word identifiers, in [`super::tokens`]) and IPv4/IPv6 addresses that really are
//! addresses.

use std::net::Ipv6Addr;
use std::sync::LazyLock;

use regex::Regex;

use super::{pattern, Families, PiiKind, Span};

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
/// How far back a version word is looked for: the longest word and its separators. Looking at
/// a bounded tail keeps a text of many dotted quads linear.
const VERSION_LOOK: usize = 16;

// The prefilters count the separators the patterns need, so ordinary text with a hyphen or a
// dot (names, versions, sentences) skips the regexes.
pub(super) fn may_hold_mac(text: &str) -> bool {
    let bytes = text.as_bytes();
    // `xxxx.xxxx.xxxx`: dots five bytes apart.
    let cisco = bytes
        .windows(6)
        .any(|w| w[0] == b'.' && w[5] == b'.' && w[1..5].iter().all(u8::is_ascii_hexdigit));
    super::close_together(text, b':', 5, 17) || super::close_together(text, b'-', 5, 17) || cisco
}

/// A dotted quad has three dots with digits on both sides within 15 bytes.
fn may_hold_ipv4(text: &str) -> bool {
    let bytes = text.as_bytes();
    let mut ring = [0usize; 3];
    let mut seen = 0;
    for i in 1..bytes.len().saturating_sub(1) {
        if bytes[i] == b'.' && bytes[i - 1].is_ascii_digit() && bytes[i + 1].is_ascii_digit() {
            ring[seen % 3] = i;
            seen += 1;
            if seen >= 3 && i - ring[seen % 3] < 15 {
                return true;
            }
        }
    }
    false
}

/// An IPv6 address has seven colons close together, or is compressed: a `::` inside a run of
/// hex digits, colons and dots that holds a digit (`::1`, `2001:db8::8a2e`; not `art::Thread`).
fn may_hold_ipv6(text: &str) -> bool {
    let bytes = text.as_bytes();
    let addressy = |b: &u8| b.is_ascii_hexdigit() || matches!(b, b':' | b'.');
    let compressed = text.match_indices("::").any(|(i, _)| {
        let before = bytes[..i].iter().rev().take(40).take_while(|b| addressy(b));
        let after = bytes[i + 2..].iter().take(40).take_while(|b| addressy(b));
        let (mut len, mut digit) = (2, false);
        for b in before.chain(after) {
            len += 1;
            digit |= b.is_ascii_digit();
        }
        len >= 3 && digit
    });
    compressed || super::close_together(text, b':', 7, 40)
}

pub(super) fn may_hold_ip(text: &str) -> bool {
    may_hold_ipv4(text) || may_hold_ipv6(text)
}

pub(super) fn macs(text: &str, _: Families, found: &mut Vec<Span>) {
    found.extend(MAC.find_iter(text).map(|m| Span {
        start: m.start(),
        end: m.end(),
        kind: PiiKind::Mac,
    }));
}

pub(super) fn ips(text: &str, _: Families, found: &mut Vec<Span>) {
    let ip = |start, end| Span {
        start,
        end,
        kind: PiiKind::Ip,
    };
    let first_v4 = found.len();
    let v6_matches = may_hold_ipv6(text)
        .then(|| IPV6.find_iter(text))
        .into_iter()
        .flatten();
    for m in v6_matches {
        // `ip:2001:db8::1` (or a full-width colon before it): the label's colon is not the
        // address's.
        let label_colon = m.as_str().starts_with(':')
            && !m.as_str().starts_with("::")
            && !text[..m.start()].ends_with(':');
        let start = m.start() + usize::from(label_colon);
        let (before, after) = (
            if label_colon {
                None
            } else {
                text[..start].chars().next_back()
            },
            text[m.end()..].chars().next(),
        );
        // ASCII letters and digits only: an address right next to Chinese text is still one.
        let standalone = !before
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, ':' | '.' | '_'))
            && !after.is_some_and(|a| a.is_ascii_alphanumeric() || matches!(a, ':' | '_'));
        let address = text[start..m.end()].split('%').next().unwrap_or_default();
        // Real addresses carry a digit somewhere; `a::b` or `dead::beef` are far likelier to be
        // code paths than addresses.
        let has_digit = address.bytes().any(|b| b.is_ascii_digit());
        if standalone && has_digit && address.parse::<Ipv6Addr>().is_ok() {
            found.push(ip(start, m.end()));
        }
    }
    let v6 = found[first_v4..].to_vec();
    let v4_matches = may_hold_ipv4(text)
        .then(|| IPV4.find_iter(text))
        .into_iter()
        .flatten();
    for m in v4_matches {
        if v6.iter().any(|s| s.start < m.end() && m.start() < s.end) {
            continue;
        }
        let before = &text[..m.start()];
        let after = &text[m.end()..];
        // Part of a longer dotted token (a five-part version, a hostname) is not an address.
        let glued_before = before
            .chars()
            .next_back()
            .is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, '.' | '_'));
        let mut rest = after.chars();
        let glued_after = match rest.next() {
            Some('.') => rest.next().is_some_and(|n| n.is_ascii_digit()),
            Some(a) => a.is_ascii_alphanumeric() || a == '_',
            None => false,
        };
        if !glued_before && !glued_after && !after_version_word(before) && octets(m.as_str()) {
            found.push(ip(m.start(), m.end()));
        }
    }
}

/// Four parts of at most three digits, each at most 255; leading zeros are allowed
/// (`192.168.001.010` is an address written to slip past a stricter parser).
fn octets(text: &str) -> bool {
    text.split('.')
        .all(|part| part.parse::<u16>().is_ok_and(|n| n <= 255))
}

fn after_version_word(before: &str) -> bool {
    let mut tail = before.len().saturating_sub(VERSION_LOOK);
    while !before.is_char_boundary(tail) {
        tail += 1;
    }
    let word = before[tail..]
        .trim_end_matches([' ', ':', '=', 'v', 'V'])
        .to_ascii_lowercase();
    VERSION_WORDS.iter().any(|w| word.ends_with(w))
}
