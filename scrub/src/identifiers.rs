//! UUID-shaped identifiers: the shape of IDFA, IDFV and Google's advertising ID. (Without
//! dashes they are found with the other one-word identifiers, in [`super::tokens`].)

use std::sync::LazyLock;

use regex::Regex;

use super::{pattern, Families, PiiKind, Span};

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"(?i)(?-u:\b)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?-u:\b)")
});

pub(super) fn may_hold_uuid(text: &str) -> bool {
    // The pattern needs four hyphens within 36 bytes.
    super::close_together(text, b'-', 4, 36)
}

pub(super) fn uuids(text: &str, _: Families, found: &mut Vec<Span>) {
    let id = |m: regex::Match<'_>| Span {
        start: m.start(),
        end: m.end(),
        kind: PiiKind::Id,
    };
    // The all-zero ID is what iOS reports when tracking is not authorized: it names no one.
    let named = |m: &regex::Match<'_>| !m.as_str().bytes().all(|b| b == b'0' || b == b'-');
    found.extend(UUID.find_iter(text).filter(named).map(id));
}
