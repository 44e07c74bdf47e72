//! Home paths: the user's account name in `/Users/<name>`, `/home/<name>`,
//! `C:\Users\<name>`, and the app's package in Android's `/data/user/<n>/<package>`.

use std::sync::LazyLock;

use regex::Regex;

use super::{is_tag, pattern, Families, PiiKind, Span, MASK};

static HOME: LazyLock<Regex> = LazyLock::new(|| {
    pattern(r#"(?i)(?:^|[^\w])(?:/Users/|/home/|[a-z]:\\Users\\|/data/user/\d+/)([^/\\\s:'"]+)"#)
});

/// Account folders that name no person.
const SHARED: [&str; 4] = ["shared", "public", "default", "all users"];

pub(super) fn may_hold_home(text: &str) -> bool {
    text.contains("/Users/")
        || text.contains("/home/")
        || text.contains("\\Users\\")
        || text.contains("/data/user/")
        || text.contains("\\users\\")
}

pub(super) fn home_paths(text: &str, _: Families, found: &mut Vec<Span>) {
    for caps in HOME.captures_iter(text) {
        let Some(name) = caps.get(1) else { continue };
        let shared = SHARED.contains(&name.as_str().to_ascii_lowercase().as_str());
        if !shared && !is_tag(name.as_str()) && !name.as_str().starts_with(['[', MASK]) {
            found.push(Span {
                start: name.start(),
                end: name.end(),
                kind: PiiKind::UserPath,
            });
        }
    }
}
