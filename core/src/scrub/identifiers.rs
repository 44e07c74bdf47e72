//! UUID-shaped identifiers: the shape of IDFA, IDFV and Google's advertising ID.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

use super::{pattern, replace, Found, PiiKind};

static UUID: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r"(?i)(?-u:\b)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?-u:\b)")
});

pub(super) fn may_hold_uuid(text: &str) -> bool {
    // The pattern needs four hyphens; most text with a hyphen has fewer.
    super::at_least(text, b'-', 4)
}

pub(super) fn uuids<'t>(text: &'t str, found: &mut Found) -> Cow<'t, str> {
    replace(&UUID, text, found, |c| {
        // The all-zero ID is what iOS reports when tracking is not authorized: it names no one.
        let all_zero = c[0].bytes().all(|b| b == b'0' || b == b'-');
        (!all_zero).then(|| (PiiKind::Id, PiiKind::Id.tag().to_owned()))
    })
}
